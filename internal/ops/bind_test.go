package ops

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/fargatekit/fargatekit/plan"
)

// TestBindRefuses: an operation the binder does not know, arguments that do
// not decode, and a Kubernetes operation without a Kubernetes runner are
// refused when the change is bound, before anything runs.
func TestBindRefuses(t *testing.T) {
	env := Env{Clients: func(string) Clients { return Clients{} }}
	for _, tc := range []struct {
		why string
		op  *plan.Op
		err string
	}{
		{"a newer report's operation", &plan.Op{Name: "iam.FutureOperation"}, `unknown operation "iam.FutureOperation"`},
		{"arguments of another shape", &plan.Op{Name: OpUpdateTrust, Args: json.RawMessage(`{"role": 7}`)}, "arguments of iam.UpdateAssumeRolePolicy"},
		{"no Kubernetes runner", NewOp(OpAWSAuthRemove, "r", "c", AWSAuthArgs{ARNs: []string{"a"}}), "no Kubernetes client"},
	} {
		if _, err := env.Bind(plan.Change{ID: "x", Op: tc.op}); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: err = %v, want %q", tc.why, err, tc.err)
		}
	}
	if _, err := (Env{}).Bind(plan.Change{ID: "x", Op: NewOp(OpUpdateTrust, "", "", TrustArgs{Role: "r"})}); err == nil || !strings.Contains(err.Error(), "no AWS clients") {
		t.Errorf("no clients: %v", err)
	}
	// Every operation the audit's fixes use binds.
	for _, op := range []*plan.Op{
		NewOp(OpUpdateTrust, "", "", TrustArgs{Role: "r", Document: "{}"}),
		NewOp(OpAttachRolePolicy, "", "", RolePolicyArgs{Role: "r", PolicyARN: "p"}),
		NewOp(OpDetachRolePolicy, "", "", RolePolicyArgs{Role: "r", PolicyARN: "p"}),
		NewOp(OpDeleteRolePolicy, "", "", RolePolicyArgs{Role: "r", PolicyName: "p"}),
		NewOp(OpCreateOIDCProvider, "", "c", OIDCArgs{URL: "https://x"}),
		NewOp(OpAddOIDCClientID, "", "c", OIDCArgs{ProviderARN: "p", ClientIDs: []string{"sts.amazonaws.com"}}),
		NewOp(OpEnableLogging, "r", "c", LoggingArgs{Types: []string{"api"}}),
		NewOp(OpCreateAccessEntry, "r", "c", AccessArgs{Principal: "p", Type: "FARGATE_LINUX"}),
		NewOp(OpUpdateAccessGroups, "r", "c", AccessArgs{Principal: "p"}),
		NewOp(OpDisassociatePolicy, "r", "c", AccessArgs{Principal: "p", PolicyARN: "a"}),
		NewOp(OpUpdateAddonConfig, "r", "c", AddonArgs{Addon: "coredns", ConfigurationValues: "{}"}),
		NewOp(OpDeletePodIdentity, "r", "c", PodIdentityArgs{AssociationID: "a-1"}),
	} {
		if run, err := env.Bind(plan.Change{ID: "x", Op: op}); err != nil || run == nil {
			t.Errorf("%s does not bind: %v", op.Name, err)
		}
	}
}

// TestOwnership: the one test of ownership, and the reason a change of an
// unmanaged resource waits for.
func TestOwnership(t *testing.T) {
	tags := map[string]string{OwnerTag: "eks-test"}
	if !Owned(tags, "eks-test") || Owned(tags, "other") || Owned(nil, "eks-test") || Owned(tags, "") {
		t.Error("Owned is wrong")
	}
	if !Managed(tags) || Managed(map[string]string{"team": "a"}) {
		t.Error("Managed is wrong")
	}
	if why := NotOwned("role arn:aws:iam::1:role/r"); !strings.Contains(why, "--allow-unowned") || !strings.Contains(why, "role arn:aws:iam::1:role/r") {
		t.Errorf("NotOwned = %q", why)
	}
}
