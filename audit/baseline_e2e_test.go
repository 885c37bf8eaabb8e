package audit_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/fargatekit/fargatekit/audit"
	"github.com/fargatekit/fargatekit/iamtrust"
)

// TestBaselineAgainstMoto audits, changes permissions the way a night's
// drift does, and audits against the first report decoded from its JSON
// (as the nightly job reads it back).
func TestBaselineAgainstMoto(t *testing.T) {
	a := setupAWS(t)
	ctx := t.Context()
	cfg := a.Config(region)
	st := buildStack(ctx, t, cfg, "base", "API_AND_CONFIG_MAP", podTrustUnscoped, []string{fargatePolicyARN}, "apps")
	im := iam.NewFromConfig(cfg)
	issuer := aws.ToString(st.cluster.Identity.Oidc.Issuer)
	hp := iamtrust.IssuerHostPath(issuer)
	prov := accountARN + "oidc-provider/" + hp
	if _, err := im.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(issuer), ClientIDList: []string{"sts.amazonaws.com"}}); err != nil {
		t.Fatal(err)
	}
	irsaTrust := func(subs string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + prov + `"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"` + hp + `:sub":[` + subs + `],"` + hp + `:aud":"sts.amazonaws.com"}}}]}`
	}
	web := createRole(ctx, t, im, "base-web", irsaTrust(`"system:serviceaccount:apps:web"`))
	run := func(base *audit.Report) *audit.Report {
		t.Helper()
		r, err := audit.Audit(ctx, audit.ClustersTarget(region, "base"), func(o *audit.Options) { o.AWS = cfg; o.Kube = noKube })
		if err != nil {
			t.Fatal(err)
		}
		if base != nil {
			if err := audit.ApplyBaseline(r, base); err != nil {
				t.Fatal(err)
			}
		}
		return r
	}
	roundTrip := func(r *audit.Report) *audit.Report {
		t.Helper()
		b, err := r.JSON()
		if err != nil {
			t.Fatal(err)
		}
		d, err := audit.DecodeReport(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	first := run(nil)
	if len(first.Findings) == 0 || len(first.Inventory) < 3 {
		t.Fatalf("first audit: %d findings, %d roles in the inventory", len(first.Findings), len(first.Inventory))
	}
	for _, f := range first.Findings {
		if f.Status != audit.StatusNew || f.FirstSeen == nil || f.Fingerprint == "" {
			t.Fatalf("without a baseline: %s status %q firstSeen %v fingerprint %q", f.Check, f.Status, f.FirstSeen, f.Fingerprint)
		}
	}
	base := roundTrip(first)

	t.Run("no change", func(t *testing.T) {
		time.Sleep(1100 * time.Millisecond) // a later run
		r := run(base)
		for _, f := range r.Findings {
			if f.Status != audit.StatusPersisting || !f.FirstSeen.Equal(*base.Findings[0].FirstSeen) {
				t.Errorf("%s: status %q firstSeen %v, want persisting since %v", f.Check, f.Status, f.FirstSeen, base.Findings[0].FirstSeen)
			}
		}
		if len(r.PermissionChanges) != 0 || len(r.Resolved) != 0 {
			t.Errorf("no change: permissionChanges %+v, resolved %+v", r.PermissionChanges, r.Resolved)
		}
	})

	t.Run("drift", func(t *testing.T) {
		ok(t)(im.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("base-pods"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")}))
		ok(t)(im.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("base-pods"), PolicyName: aws.String("narrow"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::assets/*"}]}`)}))
		ok(t)(im.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("base-web"),
			PolicyDocument: aws.String(irsaTrust(`"system:serviceaccount:apps:web","system:serviceaccount:apps:batch"`))}))
		// The unscoped pod trust (IAM-02) is fixed: a resolved finding.
		ok(t)(im.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("base-pods"), PolicyDocument: aws.String(
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks-fargate-pods.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:eks:` + region + `:123456789012:fargateprofile/base/*"}}}]}`)}))
		r := run(base)
		changes := map[string]audit.PermissionChange{}
		for _, c := range r.PermissionChanges {
			changes[strings.TrimPrefix(c.Resource, accountARN)+" "+c.Part+" "+c.Policy] = c
		}
		if c, found := changes["role/base-pods permissions arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]; !found || !strings.Contains(strings.Join(c.Added, " "), "attached") {
			t.Errorf("attached managed policy: %+v (all: %v)", c, keysOf(changes))
		}
		if c, found := changes["role/base-pods permissions inline:narrow"]; !found || !strings.Contains(strings.Join(c.Added, " "), "arn:aws:s3:::assets/*") {
			t.Errorf("narrow inline policy: %+v (all: %v)", c, keysOf(changes))
		}
		if c, found := changes["role/base-web trust trust policy"]; !found || len(c.Added) != 1 || !strings.Contains(c.Added[0], "system:serviceaccount:apps:batch") || len(c.Removed) != 0 {
			t.Errorf("new sub in the IRSA trust: %+v (all: %v)", c, keysOf(changes))
		}
		_ = web
		var resolved, newIDs []string
		for _, f := range r.Resolved {
			resolved = append(resolved, f.Check)
		}
		for _, f := range r.NewFindings() {
			newIDs = append(newIDs, f.Check)
		}
		if !slices.Contains(resolved, "IAM-02") {
			t.Errorf("resolved %v, want IAM-02", resolved)
		}
		if !slices.Contains(newIDs, "PERM-01") {
			t.Errorf("new findings %v, want PERM-01 (the pod role reads S3 now)", newIDs)
		}
	})

	t.Run("bad baselines", func(t *testing.T) {
		other := *base
		other.Account = "210987654321"
		r := run(nil)
		var be *audit.BaselineError
		if err := audit.ApplyBaseline(r, &other); !errors.As(err, &be) || !strings.Contains(err.Error(), "210987654321") {
			t.Errorf("another account: %v", err)
		}
		wrong := *base
		wrong.Schema = "fargatekit.io/audit-report/v0"
		if err := audit.ApplyBaseline(r, &wrong); !errors.As(err, &be) {
			t.Errorf("another schema: %v", err)
		}
		if _, err := audit.DecodeReport(strings.NewReader(`{"schema":`)); err == nil {
			t.Error("corrupt JSON decoded")
		}
	})
}

func keysOf(m map[string]audit.PermissionChange) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
