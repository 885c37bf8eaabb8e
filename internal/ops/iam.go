package ops

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/fargatekit/fargatekit/eksfargate/observe"
)

// IAM is what the write path calls on IAM; *iam.Client implements it.
type IAM interface {
	iam.GetRoleAPIClient
	CreateRole(ctx context.Context, params *iam.CreateRoleInput, optFns ...func(*iam.Options)) (*iam.CreateRoleOutput, error)
	DeleteRole(ctx context.Context, params *iam.DeleteRoleInput, optFns ...func(*iam.Options)) (*iam.DeleteRoleOutput, error)
	UpdateAssumeRolePolicy(ctx context.Context, params *iam.UpdateAssumeRolePolicyInput, optFns ...func(*iam.Options)) (*iam.UpdateAssumeRolePolicyOutput, error)
	PutRolePermissionsBoundary(ctx context.Context, params *iam.PutRolePermissionsBoundaryInput, optFns ...func(*iam.Options)) (*iam.PutRolePermissionsBoundaryOutput, error)
	TagRole(ctx context.Context, params *iam.TagRoleInput, optFns ...func(*iam.Options)) (*iam.TagRoleOutput, error)
	UntagRole(ctx context.Context, params *iam.UntagRoleInput, optFns ...func(*iam.Options)) (*iam.UntagRoleOutput, error)
	AttachRolePolicy(ctx context.Context, params *iam.AttachRolePolicyInput, optFns ...func(*iam.Options)) (*iam.AttachRolePolicyOutput, error)
	DetachRolePolicy(ctx context.Context, params *iam.DetachRolePolicyInput, optFns ...func(*iam.Options)) (*iam.DetachRolePolicyOutput, error)
	PutRolePolicy(ctx context.Context, params *iam.PutRolePolicyInput, optFns ...func(*iam.Options)) (*iam.PutRolePolicyOutput, error)
	DeleteRolePolicy(ctx context.Context, params *iam.DeleteRolePolicyInput, optFns ...func(*iam.Options)) (*iam.DeleteRolePolicyOutput, error)
	CreateOpenIDConnectProvider(ctx context.Context, params *iam.CreateOpenIDConnectProviderInput, optFns ...func(*iam.Options)) (*iam.CreateOpenIDConnectProviderOutput, error)
	AddClientIDToOpenIDConnectProvider(ctx context.Context, params *iam.AddClientIDToOpenIDConnectProviderInput, optFns ...func(*iam.Options)) (*iam.AddClientIDToOpenIDConnectProviderOutput, error)
	UpdateOpenIDConnectProviderThumbprint(ctx context.Context, params *iam.UpdateOpenIDConnectProviderThumbprintInput, optFns ...func(*iam.Options)) (*iam.UpdateOpenIDConnectProviderThumbprintOutput, error)
	TagOpenIDConnectProvider(ctx context.Context, params *iam.TagOpenIDConnectProviderInput, optFns ...func(*iam.Options)) (*iam.TagOpenIDConnectProviderOutput, error)
	DeleteOpenIDConnectProvider(ctx context.Context, params *iam.DeleteOpenIDConnectProviderInput, optFns ...func(*iam.Options)) (*iam.DeleteOpenIDConnectProviderOutput, error)
}

var _ IAM = (*iam.Client)(nil)

// IAMTags turns a tag map into IAM's tag list, sorted by key.
func IAMTags(tags map[string]string) []iamtypes.Tag {
	out := make([]iamtypes.Tag, 0, len(tags))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, iamtypes.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return out
}

// TagMap turns IAM's tag list into a map.
func TagMap(tags []iamtypes.Tag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// NewRole is a role to create.
type NewRole struct {
	// Name, Path and Description of the role.
	Name, Path, Description string
	// Trust is the trust policy document.
	Trust string
	// Boundary is the permissions boundary's ARN; empty for none.
	Boundary string
	// Tags of the role; they must carry OwnerTag with Cluster.
	Tags map[string]string
	// Cluster owns the role: a role of the same name that exists already
	// is adopted only when it carries OwnerTag with this value (an earlier
	// create whose answer was lost), never otherwise.
	Cluster string
}

// RoleCreate creates a role. When IAM answers that the role exists, it is
// an earlier create of ours whose answer was lost only if the role carries
// the ownership tag of r.Cluster and r's path: then its trust policy,
// boundary and tags are brought in line and CreateRole succeeds. A role of
// that name that someone else owns is an *OwnershipError.
func RoleCreate(ctx context.Context, api IAM, r NewRole) error {
	in := &iam.CreateRoleInput{
		RoleName: aws.String(r.Name), Path: aws.String(r.Path), AssumeRolePolicyDocument: aws.String(r.Trust),
		Tags: IAMTags(r.Tags),
	}
	if r.Description != "" {
		in.Description = aws.String(r.Description)
	}
	if r.Boundary != "" {
		in.PermissionsBoundary = aws.String(r.Boundary)
	}
	_, err := api.CreateRole(ctx, in)
	var exists *iamtypes.EntityAlreadyExistsException
	if !errors.As(err, &exists) {
		if err != nil {
			return fmt.Errorf("create role %s: %w", r.Name, err)
		}
		return nil
	}
	live, gerr := observe.Role(ctx, api, r.Name)
	if gerr != nil {
		return fmt.Errorf("create role %s: it exists already, and reading it failed: %w", r.Name, gerr)
	}
	tags := TagMap(live.Tags)
	if tags[OwnerTag] != r.Cluster || (r.Path != "" && aws.ToString(live.Path) != r.Path) {
		return &OwnershipError{Resource: "role " + r.Name, Cluster: r.Cluster, Owner: tags[OwnerTag], Err: err}
	}
	if err := RoleTrust(ctx, api, r.Name, r.Trust); err != nil {
		return err
	}
	if err := RoleTag(ctx, api, r.Name, r.Tags); err != nil {
		return err
	}
	if r.Boundary != "" {
		return RoleBoundary(ctx, api, r.Name, r.Boundary)
	}
	return nil
}

// RoleTrust replaces a role's trust policy.
func RoleTrust(ctx context.Context, api IAM, role, document string) error {
	if _, err := api.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(role), PolicyDocument: aws.String(document)}); err != nil {
		return fmt.Errorf("update trust policy of role %s: %w", role, err)
	}
	return nil
}

// RoleBoundary sets a role's permissions boundary.
func RoleBoundary(ctx context.Context, api IAM, role, boundary string) error {
	if _, err := api.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String(role), PermissionsBoundary: aws.String(boundary)}); err != nil {
		return fmt.Errorf("set permissions boundary of role %s: %w", role, err)
	}
	return nil
}

// RoleTag adds or overwrites tags of a role; no tags is no call.
func RoleTag(ctx context.Context, api IAM, role string, tags map[string]string) error {
	if len(tags) == 0 {
		return nil
	}
	if _, err := api.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String(role), Tags: IAMTags(tags)}); err != nil {
		return fmt.Errorf("tag role %s: %w", role, err)
	}
	return nil
}

// RoleUntag removes tags of a role; no keys is no call.
func RoleUntag(ctx context.Context, api IAM, role string, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	if _, err := api.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String(role), TagKeys: keys}); err != nil {
		return fmt.Errorf("untag role %s: %w", role, err)
	}
	return nil
}

// PolicyAttach attaches a managed policy to a role; attaching one that
// is attached already is no error in IAM.
func PolicyAttach(ctx context.Context, api IAM, role, policyARN string) error {
	if _, err := api.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(role), PolicyArn: aws.String(policyARN)}); err != nil {
		return fmt.Errorf("attach %s to role %s: %w", policyARN, role, err)
	}
	return nil
}

// PolicyDetach detaches a managed policy from a role; one detached
// already (a resumed apply) is fine.
func PolicyDetach(ctx context.Context, api IAM, role, policyARN string) error {
	if _, err := api.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(role), PolicyArn: aws.String(policyARN)}); err != nil && !observe.IsNotFound(err) {
		return fmt.Errorf("detach %s from role %s: %w", policyARN, role, err)
	}
	return nil
}

// InlinePolicyPut creates or replaces an inline policy of a role.
func InlinePolicyPut(ctx context.Context, api IAM, role, name, document string) error {
	if _, err := api.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(name), PolicyDocument: aws.String(document)}); err != nil {
		return fmt.Errorf("put inline policy %s of role %s: %w", name, role, err)
	}
	return nil
}

// InlinePolicyDelete deletes an inline policy of a role; one deleted already
// is fine.
func InlinePolicyDelete(ctx context.Context, api IAM, role, name string) error {
	if _, err := api.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(name)}); err != nil && !observe.IsNotFound(err) {
		return fmt.Errorf("delete inline policy %s of role %s: %w", name, role, err)
	}
	return nil
}

// RoleDelete detaches the given managed policies, deletes the given inline
// policies (both as observed when the change was planned), then deletes
// the role. What is gone already (a resumed apply) is passed over; a policy
// attached since the plan makes IAM refuse the delete (DeleteConflict),
// and the error says so.
func RoleDelete(ctx context.Context, api IAM, role string, managed, inline []string) error {
	for _, p := range managed {
		if err := PolicyDetach(ctx, api, role, p); err != nil {
			return err
		}
	}
	for _, p := range inline {
		if err := InlinePolicyDelete(ctx, api, role, p); err != nil {
			return err
		}
	}
	if _, err := api.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(role)}); err != nil && !observe.IsNotFound(err) {
		return fmt.Errorf("delete role %s: %w", role, err)
	}
	return nil
}

// NewOIDCProvider is an IAM OIDC provider to create.
type NewOIDCProvider struct {
	// URL is the issuer URL (https://…).
	URL string
	// ClientIDs are the audiences (sts.amazonaws.com for IRSA).
	ClientIDs []string
	// Thumbprints are optional: IAM verifies well-known root CAs itself.
	Thumbprints []string
	// Tags of the provider.
	Tags map[string]string
}

// OIDCProviderCreate creates an IAM OIDC provider. One that exists already
// (created since the plan, or by a resumed apply) is fine: the next plan
// checks its client IDs.
func OIDCProviderCreate(ctx context.Context, api IAM, p NewOIDCProvider) error {
	_, err := api.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String(p.URL), ClientIDList: p.ClientIDs, ThumbprintList: p.Thumbprints, Tags: IAMTags(p.Tags),
	})
	var exists *iamtypes.EntityAlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("create OIDC provider for %s: %w", p.URL, err)
	}
	return nil
}

// OIDCProviderClientID adds a client ID to a provider; adding one it has is no
// error in IAM.
func OIDCProviderClientID(ctx context.Context, api IAM, providerARN, clientID string) error {
	if _, err := api.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{
		OpenIDConnectProviderArn: aws.String(providerARN), ClientID: aws.String(clientID),
	}); err != nil {
		return fmt.Errorf("add client ID %s to OIDC provider %s: %w", clientID, providerARN, err)
	}
	return nil
}

// OIDCProviderThumbprints replaces a provider's thumbprints.
func OIDCProviderThumbprints(ctx context.Context, api IAM, providerARN string, thumbprints []string) error {
	if _, err := api.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{
		OpenIDConnectProviderArn: aws.String(providerARN), ThumbprintList: thumbprints,
	}); err != nil {
		return fmt.Errorf("set thumbprints of OIDC provider %s: %w", providerARN, err)
	}
	return nil
}

// OIDCProviderTag adds or overwrites tags of a provider; no tags is no call.
func OIDCProviderTag(ctx context.Context, api IAM, providerARN string, tags map[string]string) error {
	if len(tags) == 0 {
		return nil
	}
	if _, err := api.TagOpenIDConnectProvider(ctx, &iam.TagOpenIDConnectProviderInput{
		OpenIDConnectProviderArn: aws.String(providerARN), Tags: IAMTags(tags),
	}); err != nil {
		return fmt.Errorf("tag OIDC provider %s: %w", providerARN, err)
	}
	return nil
}

// OIDCProviderDelete deletes a provider; one deleted already is fine.
func OIDCProviderDelete(ctx context.Context, api IAM, providerARN string) error {
	_, err := api.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(providerARN)})
	if err != nil && !observe.IsNotFound(err) {
		return fmt.Errorf("delete OIDC provider %s: %w", providerARN, err)
	}
	return nil
}
