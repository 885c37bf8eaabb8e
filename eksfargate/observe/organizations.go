package observe

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// OrganizationAccounts lists the accounts of the caller's AWS Organization
// (organizations:ListAccounts, from the management account or a delegated
// administrator), in every state.
func OrganizationAccounts(ctx context.Context, api organizations.ListAccountsAPIClient) ([]orgtypes.Account, error) {
	var all []orgtypes.Account
	p := organizations.NewListAccountsPaginator(api, &organizations.ListAccountsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all = append(all, out.Accounts...)
	}
	return all, nil
}
