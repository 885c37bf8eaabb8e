package observe

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// iamPageSize is the page size of every IAM list: IAM's maximum, so that a
// large account costs few calls.
const iamPageSize = 1000

// CallerAPI identifies the caller.
type CallerAPI interface {
	GetCallerIdentity(ctx context.Context, params *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// Caller returns the caller's account ID and ARN (sts:GetCallerIdentity).
func Caller(ctx context.Context, api CallerAPI) (account, arn string, err error) {
	out, err := api.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", "", err
	}
	return aws.ToString(out.Account), aws.ToString(out.Arn), nil
}

// Role reads a role by name (iam:GetRole): its trust policy (URL-encoded,
// as IAM returns it), path, tags and permissions boundary.
func Role(ctx context.Context, api iam.GetRoleAPIClient, name string) (*iamtypes.Role, error) {
	out, err := api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		return nil, err
	}
	return out.Role, nil
}

// Roles lists every role of the account (iam:ListRoles), calling each for
// every page. ListRoles leaves out tags and permissions boundaries.
func Roles(ctx context.Context, api iam.ListRolesAPIClient, each func([]iamtypes.Role) error) error {
	p := iam.NewListRolesPaginator(api, &iam.ListRolesInput{MaxItems: aws.Int32(iamPageSize)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		if err := each(out.Roles); err != nil {
			return err
		}
	}
	return nil
}

// AttachedRolePolicies lists the managed policies attached to a role
// (iam:ListAttachedRolePolicies).
func AttachedRolePolicies(ctx context.Context, api iam.ListAttachedRolePoliciesAPIClient, role string) ([]iamtypes.AttachedPolicy, error) {
	var all []iamtypes.AttachedPolicy
	p := iam.NewListAttachedRolePoliciesPaginator(api, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role), MaxItems: aws.Int32(iamPageSize)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all = append(all, out.AttachedPolicies...)
	}
	return all, nil
}

// InlinePolicyNames lists the names of a role's inline policies
// (iam:ListRolePolicies).
func InlinePolicyNames(ctx context.Context, api iam.ListRolePoliciesAPIClient, role string) ([]string, error) {
	var all []string
	p := iam.NewListRolePoliciesPaginator(api, &iam.ListRolePoliciesInput{RoleName: aws.String(role), MaxItems: aws.Int32(iamPageSize)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all = append(all, out.PolicyNames...)
	}
	return all, nil
}

// InlinePolicyAPI reads an inline policy.
type InlinePolicyAPI interface {
	GetRolePolicy(ctx context.Context, params *iam.GetRolePolicyInput, optFns ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error)
}

// InlinePolicy returns a role's inline policy document as IAM stores it,
// URL-encoded (iam:GetRolePolicy).
func InlinePolicy(ctx context.Context, api InlinePolicyAPI, role, name string) (string, error) {
	out, err := api.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(name)})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.PolicyDocument), nil
}

// ManagedPolicyAPI reads a managed policy and its versions.
type ManagedPolicyAPI interface {
	iam.GetPolicyAPIClient
	GetPolicyVersion(ctx context.Context, params *iam.GetPolicyVersionInput, optFns ...func(*iam.Options)) (*iam.GetPolicyVersionOutput, error)
}

// ManagedPolicy reads a managed policy (iam:GetPolicy) and, when it has
// one, its default version's document as IAM stores it, URL-encoded
// (iam:GetPolicyVersion).
func ManagedPolicy(ctx context.Context, api ManagedPolicyAPI, arn string) (*iamtypes.Policy, string, error) {
	out, err := api.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil {
		return nil, "", err
	}
	if out.Policy == nil || aws.ToString(out.Policy.DefaultVersionId) == "" {
		return out.Policy, "", nil
	}
	v, err := api.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: out.Policy.DefaultVersionId})
	if err != nil {
		return out.Policy, "", err
	}
	if v.PolicyVersion == nil {
		return out.Policy, "", nil
	}
	return out.Policy, aws.ToString(v.PolicyVersion.Document), nil
}

// PolicyVersions lists a managed policy's versions (iam:ListPolicyVersions).
func PolicyVersions(ctx context.Context, api iam.ListPolicyVersionsAPIClient, arn string) ([]iamtypes.PolicyVersion, error) {
	var all []iamtypes.PolicyVersion
	p := iam.NewListPolicyVersionsPaginator(api, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(arn)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all = append(all, out.Versions...)
	}
	return all, nil
}

// AuthorizationDetails reads the account's IAM entities of the given types
// in bulk (iam:GetAccountAuthorizationDetails), calling each for every page.
func AuthorizationDetails(ctx context.Context, api iam.GetAccountAuthorizationDetailsAPIClient, filter []iamtypes.EntityType, each func(*iam.GetAccountAuthorizationDetailsOutput) error) error {
	p := iam.NewGetAccountAuthorizationDetailsPaginator(api, &iam.GetAccountAuthorizationDetailsInput{Filter: filter, MaxItems: aws.Int32(iamPageSize)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		if err := each(out); err != nil {
			return err
		}
	}
	return nil
}

// AccountSummaryAPI reads the account's IAM usage and quotas.
type AccountSummaryAPI interface {
	GetAccountSummary(ctx context.Context, params *iam.GetAccountSummaryInput, optFns ...func(*iam.Options)) (*iam.GetAccountSummaryOutput, error)
}

// AccountSummary returns the account's IAM summary map
// (iam:GetAccountSummary), with quotas such as AssumeRolePolicySizeQuota
// and AttachedPoliciesPerRoleQuota.
func AccountSummary(ctx context.Context, api AccountSummaryAPI) (map[string]int32, error) {
	out, err := api.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	if err != nil {
		return nil, err
	}
	return out.SummaryMap, nil
}

// OIDCProvidersAPI lists the account's OIDC providers.
type OIDCProvidersAPI interface {
	ListOpenIDConnectProviders(ctx context.Context, params *iam.ListOpenIDConnectProvidersInput, optFns ...func(*iam.Options)) (*iam.ListOpenIDConnectProvidersOutput, error)
}

// OIDCProviderARNs lists the ARNs of the account's IAM OIDC providers
// (iam:ListOpenIDConnectProviders, which is not paginated).
func OIDCProviderARNs(ctx context.Context, api OIDCProvidersAPI) ([]string, error) {
	out, err := api.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
	if err != nil {
		return nil, err
	}
	arns := make([]string, 0, len(out.OpenIDConnectProviderList))
	for _, p := range out.OpenIDConnectProviderList {
		arns = append(arns, aws.ToString(p.Arn))
	}
	return arns, nil
}

// OIDCProviderAPI reads an OIDC provider.
type OIDCProviderAPI interface {
	GetOpenIDConnectProvider(ctx context.Context, params *iam.GetOpenIDConnectProviderInput, optFns ...func(*iam.Options)) (*iam.GetOpenIDConnectProviderOutput, error)
}

// OIDCProvider reads an IAM OIDC provider: its URL, client IDs,
// thumbprints and tags (iam:GetOpenIDConnectProvider).
func OIDCProvider(ctx context.Context, api OIDCProviderAPI, arn string) (*iam.GetOpenIDConnectProviderOutput, error) {
	return api.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
}

// RolePoliciesAPI reads a role and its policies.
type RolePoliciesAPI interface {
	iam.GetRoleAPIClient
	iam.ListAttachedRolePoliciesAPIClient
	iam.ListRolePoliciesAPIClient
	InlinePolicyAPI
}

// RoleWithPolicies is a role with what decides what it can do, read one
// way for every consumer: eksfargate's plan (out-of-band policies), irsa's
// (declared inline policies) and the audit's per-role fallback (effective
// permissions) can never read a role's permissions differently.
type RoleWithPolicies struct {
	// Role is GetRole's answer: trust policy (URL-encoded), path, tags and
	// permissions boundary.
	Role *iamtypes.Role
	// Attached are the managed policies attached to the role, sorted by
	// ARN.
	Attached []iamtypes.AttachedPolicy
	// InlineNames are the names of the role's inline policies, sorted.
	InlineNames []string
	// Inline are the documents, as IAM stores them (URL-encoded), of the
	// inline policies the caller asked for, by name.
	Inline map[string]string
}

// RolePolicies reads a role (iam:GetRole), its attached managed policies
// (iam:ListAttachedRolePolicies), the names of its inline policies
// (iam:ListRolePolicies) and the documents of those inline policies for
// which inline returns true (iam:GetRolePolicy each; nil reads none). A
// failed read is named in the error ("list managed policies: …"), which
// wraps the SDK's: a role that does not exist is the SDK's not-found error
// (IsNotFound).
func RolePolicies(ctx context.Context, api RolePoliciesAPI, name string, inline func(policy string) bool) (*RoleWithPolicies, error) {
	role, err := Role(ctx, api, name)
	if err != nil {
		return nil, err
	}
	out := &RoleWithPolicies{Role: role, Inline: map[string]string{}}
	if out.Attached, err = AttachedRolePolicies(ctx, api, name); err != nil {
		return nil, fmt.Errorf("list managed policies: %w", err)
	}
	sort.Slice(out.Attached, func(i, j int) bool {
		return aws.ToString(out.Attached[i].PolicyArn) < aws.ToString(out.Attached[j].PolicyArn)
	})
	if out.InlineNames, err = InlinePolicyNames(ctx, api, name); err != nil {
		return nil, fmt.Errorf("list inline policies: %w", err)
	}
	sort.Strings(out.InlineNames)
	for _, p := range out.InlineNames {
		if inline == nil || !inline(p) {
			continue
		}
		doc, err := InlinePolicy(ctx, api, name, p)
		if err != nil {
			return nil, fmt.Errorf("inline policy %s: %w", p, err)
		}
		out.Inline[p] = doc
	}
	return out, nil
}

// AttachedARNs returns the ARNs of the attached policies, sorted.
func (r *RoleWithPolicies) AttachedARNs() []string {
	arns := make([]string, 0, len(r.Attached))
	for _, a := range r.Attached {
		arns = append(arns, aws.ToString(a.PolicyArn))
	}
	return arns
}
