package irsa_test

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fargatekit/fargatekit/iamtrust"
	"github.com/fargatekit/fargatekit/irsa"
	"github.com/fargatekit/fargatekit/plan"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const (
	testAccount = "111122223333"
	issuerID    = "EXAMPLED539D4633E53DE1B71EXAMPLE"
	cniPolicy   = "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"
	s3ReadOnly  = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
)

func testCluster() irsa.Cluster {
	return irsa.Cluster{
		Name: "eks-test", Region: "ap-northeast-1", AccountID: testAccount, Partition: "aws",
		IssuerURL: "https://oidc.eks.ap-northeast-1.amazonaws.com/id/" + issuerID,
	}
}

// trustFor returns the IRSA trust of roles' ServiceAccounts for cluster.
func trustFor(t testing.TB, c irsa.Cluster, r irsa.ServiceAccountRole) *iamtrust.Document {
	t.Helper()
	var sas []iamtrust.ServiceAccount
	for _, sa := range r.ServiceAccounts() {
		sas = append(sas, iamtrust.ServiceAccount{Namespace: sa.Namespace, Name: sa.Name})
	}
	d, err := iamtrust.IRSATrust(iamtrust.IRSA{Partition: "aws", AccountID: c.AccountID, IssuerURL: c.IssuerURL, ServiceAccounts: sas, AllowWildcard: r.AllowWildcardSubjects})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// synced returns a snapshot in which everything roles ask for exists as
// asked.
func synced(t testing.TB, c irsa.Cluster, roles ...irsa.ServiceAccountRole) *irsa.Snapshot {
	t.Helper()
	s := &irsa.Snapshot{
		Provider: &irsa.Provider{
			ARN: c.ProviderARN(), URL: iamtrust.IssuerHostPath(c.IssuerURL), ClientIDs: []string{"sts.amazonaws.com"},
			Tags: map[string]string{irsa.OwnerTag: c.Name},
		},
		Roles:           map[string]*irsa.Role{},
		ServiceAccounts: map[irsa.ServiceAccountRef]*irsa.ServiceAccount{},
		Namespaces:      map[string]bool{},
	}
	for _, r := range roles {
		trust := trustFor(t, c, r)
		name := r.EffectiveRoleName(c.Name)
		tags := map[string]string{irsa.OwnerTag: c.Name}
		for k, v := range r.Tags {
			tags[k] = v
		}
		managed := slices.Sorted(slices.Values(r.ManagedPolicyARNs))
		role := &irsa.Role{
			Name: name, ARN: r.RoleARN(c), Path: r.EffectiveRolePath(), TrustSource: trust.String(), Trust: trust,
			ManagedPolicyARNs: managed, InlinePolicies: map[string]string{}, Tags: tags, PermissionsBoundary: r.PermissionsBoundary,
		}
		for n, doc := range r.InlinePolicies {
			role.InlinePolicyNames = append(role.InlinePolicyNames, n)
			role.InlinePolicies[n] = doc
		}
		slices.Sort(role.InlinePolicyNames)
		s.Roles[name] = role
		for _, sa := range r.ServiceAccounts() {
			s.ServiceAccounts[sa] = &irsa.ServiceAccount{
				Ref:         sa,
				Annotations: map[string]string{irsa.AnnotationRoleARN: r.RoleARN(c)},
				Labels:      map[string]string{irsa.LabelManagedBy: irsa.ManagedBy},
			}
		}
	}
	return s
}

// actions summarises a result's changes as "ID action".
func actions(cs []plan.Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID+" "+string(c.Action))
	}
	return out
}

func change(t *testing.T, cs []plan.Change, id string) plan.Change {
	t.Helper()
	for _, c := range cs {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no change %s in %v", id, actions(cs))
	return plan.Change{}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, d)
	}
}

func TestDiffFromNothing(t *testing.T) {
	c := testCluster()
	roles := []irsa.ServiceAccountRole{{
		Namespace: "monitoring", Name: "prometheus",
		ManagedPolicyARNs: []string{s3ReadOnly},
		InlinePolicies:    map[string]string{"write": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"aps:RemoteWrite","Resource":"*"}]}`},
		RestartWorkloads:  true,
	}}
	s := &irsa.Snapshot{
		Namespaces: map[string]bool{"monitoring": true},
		Workloads:  []irsa.Workload{{Kind: "Deployment", Namespace: "monitoring", Name: "prometheus", ServiceAccount: "prometheus"}},
	}
	res, err := irsa.Diff(irsa.Clients{}, c, roles, s)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"iam.oidc-provider/oidc.eks.ap-northeast-1.amazonaws.com/id/" + issuerID + " create",
		"iam.role/eks-test-monitoring-prometheus create",
		"iam.role-policy/eks-test-monitoring-prometheus/" + s3ReadOnly + " create",
		"iam.role-inline-policy/eks-test-monitoring-prometheus/write create",
		"k8s.serviceaccount/monitoring/prometheus create",
		"k8s.rollout-restart/Deployment/monitoring/prometheus update",
	}
	if d := cmp.Diff(want, actions(res.Changes)); d != "" {
		t.Errorf("changes (-want +got):\n%s", d)
	}
	// The role waits for the provider, the ServiceAccount for the role and
	// its policies, the restart for the ServiceAccount.
	deps := map[string][]string{}
	for _, ch := range res.Changes {
		deps[ch.ID] = ch.DependsOn
	}
	role := "iam.role/eks-test-monitoring-prometheus"
	if d := cmp.Diff([]string{"iam.oidc-provider/oidc.eks.ap-northeast-1.amazonaws.com/id/" + issuerID}, deps[role]); d != "" {
		t.Errorf("role deps (-want +got):\n%s", d)
	}
	wantSA := []string{role, "iam.role-policy/eks-test-monitoring-prometheus/" + s3ReadOnly, "iam.role-inline-policy/eks-test-monitoring-prometheus/write"}
	if d := cmp.Diff(wantSA, deps["k8s.serviceaccount/monitoring/prometheus"]); d != "" {
		t.Errorf("ServiceAccount deps (-want +got):\n%s", d)
	}
	if len(res.Drift) != 0 {
		t.Errorf("drift from nothing: %+v", res.Drift)
	}
	p := &plan.Plan{Changes: res.Changes}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	golden(t, "from-nothing.plan.txt", p.Text())
}

func TestDiffInSync(t *testing.T) {
	c := testCluster()
	exp := int64(3600)
	roles := []irsa.ServiceAccountRole{
		{Namespace: "apps", Name: "api", ManagedPolicyARNs: []string{s3ReadOnly}, Tags: map[string]string{"team": "a"}},
		{Namespace: "apps", Name: "worker", AlsoServiceAccounts: []irsa.ServiceAccountRef{{Namespace: "batch", Name: "worker"}}, TokenExpiration: &exp,
			InlinePolicies: map[string]string{"sqs": `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sqs:*","Resource":"*"}}`}},
	}
	s := synced(t, c, roles...)
	for _, sa := range roles[1].ServiceAccounts() {
		s.ServiceAccounts[sa].Annotations[irsa.AnnotationTokenExpiration] = "3600"
	}
	// IAM rewrites what it stores: the live inline policy has another shape.
	s.Roles["eks-test-apps-worker"].InlinePolicies["sqs"] = `{"Statement":[{"Resource":["*"],"Action":["SQS:*"],"Effect":"Allow"}],"Version":"2012-10-17"}`
	res, err := irsa.Diff(irsa.Clients{}, c, roles, s)
	if err != nil {
		t.Fatal(err)
	}
	if p := (&plan.Plan{Changes: res.Changes}); !p.Empty() {
		t.Errorf("plan of an in-sync snapshot is not empty:\n%s", p.Text())
	}
	if len(res.Drift) != 0 {
		t.Errorf("drift: %+v", res.Drift)
	}
}

func TestDiffTrustDrift(t *testing.T) {
	c := testCluster()
	role := irsa.ServiceAccountRole{Namespace: "kube-system", Name: "aws-node", ManagedPolicyARNs: []string{cniPolicy}}
	tests := []struct {
		name        string
		live        string
		wantSummary []string
		golden      string
		why         string
	}{
		{
			name:   "walkthrough: issuer of another region",
			golden: "walkthrough-trust.plan.txt",
			live: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
			  "Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.ap-northeast-1.amazonaws.com/id/` + issuerID + `"},
			  "Action":"sts:AssumeRoleWithWebIdentity",
			  "Condition":{"StringEquals":{
			    "oidc.eks.us-west-2.amazonaws.com/id/` + issuerID + `:sub":"system:serviceaccount:kube-system:aws-node",
			    "oidc.eks.us-west-2.amazonaws.com/id/` + issuerID + `:aud":"sts.amazonaws.com"}}}]}`,
			wantSummary: []string{"condition keys name issuer oidc.eks.us-west-2.amazonaws.com/id/" + issuerID},
			why:         "the walkthrough's manual trust uses us-west-2 condition keys while the cluster is in ap-northeast-1: the keys never match, so no pod can assume the role",
		},
		{
			name:        "subject changed",
			live:        strings.ReplaceAll(trustFor(t, c, role).String(), "kube-system:aws-node", "kube-system:default"),
			wantSummary: []string{"+system:serviceaccount:kube-system:aws-node", "-system:serviceaccount:kube-system:default"},
			why:         "someone pointed the role at another ServiceAccount",
		},
		{
			name: "extra principal",
			live: `{"Version":"2012-10-17","Statement":[` + strings.TrimSuffix(strings.TrimPrefix(trustFor(t, c, role).String(), `{"Version":"2012-10-17","Statement":[`), "]}") +
				`,{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole"}]}`,
			wantSummary: []string{"other principals AWS:arn:aws:iam::999999999999:root removed"},
			why:         "a statement letting another account assume the role is drift",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := synced(t, c, role)
			live, err := iamtrust.Parse([]byte(tc.live))
			if err != nil {
				t.Fatal(err)
			}
			r := s.Roles["eks-test-kube-system-aws-node"]
			r.Trust, r.TrustSource = live, tc.live
			res, err := irsa.Diff(irsa.Clients{}, c, []irsa.ServiceAccountRole{role}, s)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff([]string{"iam.role/eks-test-kube-system-aws-node update"}, actions((&plan.Plan{Changes: res.Changes}).Pending())); d != "" {
				t.Fatalf("pending (-want +got):\n%s", d)
			}
			ch := change(t, res.Changes, "iam.role/eks-test-kube-system-aws-node")
			for _, w := range tc.wantSummary {
				if !strings.Contains(ch.Summary, w) {
					t.Errorf("summary %q lacks %q (%s)", ch.Summary, w, tc.why)
				}
			}
			if len(res.Drift) != 1 || res.Drift[0].Repair != ch.ID {
				t.Errorf("drift = %+v, want one entry repaired by %s", res.Drift, ch.ID)
			}
			if tc.golden != "" {
				golden(t, tc.golden, (&plan.Plan{Changes: res.Changes}).Text())
			}
		})
	}
}

func TestDiffOutOfBandPolicies(t *testing.T) {
	c := testCluster()
	for _, detach := range []bool{false, true} {
		role := irsa.ServiceAccountRole{Namespace: "apps", Name: "api", ManagedPolicyARNs: []string{s3ReadOnly}, DetachUnmanagedPolicies: detach}
		s := synced(t, c, role)
		r := s.Roles["eks-test-apps-api"]
		r.ManagedPolicyARNs = append(r.ManagedPolicyARNs, "arn:aws:iam::aws:policy/AdministratorAccess")
		r.InlinePolicyNames = []string{"added-by-hand"}
		res, err := irsa.Diff(irsa.Clients{}, c, []irsa.ServiceAccountRole{role}, s)
		if err != nil {
			t.Fatal(err)
		}
		id := "iam.role-policy/eks-test-apps-api/arn:aws:iam::aws:policy/AdministratorAccess"
		ch := change(t, res.Changes, id)
		// Pending drift either way (a plan with it is not empty); only the
		// opt-in lets apply run it.
		if ch.Action != plan.Delete || !ch.Destructive || ch.Run == nil {
			t.Errorf("detach=%v: %s is %s (destructive %v), want a destructive delete", detach, id, ch.Action, ch.Destructive)
		}
		if blocked := ch.Blocked != ""; blocked == detach {
			t.Errorf("detach=%v: %s blocked %q", detach, id, ch.Blocked)
		}
		if !detach && !strings.Contains(ch.Blocked, "detachUnmanagedPolicies") {
			t.Errorf("blocked %q does not say how to detach", ch.Blocked)
		}
		var drifted []string
		for _, d := range res.Drift {
			drifted = append(drifted, d.Resource)
		}
		want := []string{id, "iam.role-inline-policy/eks-test-apps-api/added-by-hand"}
		if d := cmp.Diff(want, drifted); d != "" {
			t.Errorf("detach=%v: drift (-want +got):\n%s", detach, d)
		}
		if ch := change(t, res.Changes, want[1]); ch.Action != plan.Delete || (ch.Blocked != "") == detach {
			t.Errorf("detach=%v: an inline policy put out of band is %s blocked %q", detach, ch.Action, ch.Blocked)
		}
		if p := (&plan.Plan{Changes: res.Changes}); p.Empty() {
			t.Errorf("detach=%v: a plan with out-of-band permissions is empty", detach)
		}
	}
}

func TestDiffServiceAccounts(t *testing.T) {
	c := testCluster()
	role := irsa.ServiceAccountRole{Namespace: "apps", Name: "api"}
	other := "arn:aws:iam::111122223333:role/someone-elses"
	tests := []struct {
		name    string
		role    irsa.ServiceAccountRole
		mutate  func(s *irsa.Snapshot)
		want    []string // pending changes
		wantErr any
		check   func(t *testing.T, res *irsa.Result)
		why     string
	}{
		{
			name: "deleted ServiceAccount is re-created",
			role: role,
			mutate: func(s *irsa.Snapshot) {
				delete(s.ServiceAccounts, irsa.ServiceAccountRef{Namespace: "apps", Name: "api"})
				s.Namespaces["apps"] = true
			},
			want: []string{"k8s.serviceaccount/apps/api create"},
			why:  "a ServiceAccount deleted by hand comes back",
		},
		{
			name: "missing namespace",
			role: role,
			mutate: func(s *irsa.Snapshot) {
				delete(s.ServiceAccounts, irsa.ServiceAccountRef{Namespace: "apps", Name: "api"})
			},
			wantErr: new(*irsa.ServiceAccountError),
			why:     "fargatekit does not create namespaces",
		},
		{
			name: "annotation of another role refused",
			role: role,
			mutate: func(s *irsa.Snapshot) {
				s.ServiceAccounts[irsa.ServiceAccountRef{Namespace: "apps", Name: "api"}].Annotations[irsa.AnnotationRoleARN] = other
			},
			wantErr: new(*irsa.AnnotationConflictError),
			why:     "another tool's role is not replaced without the opt-in",
		},
		{
			name: "annotation of another role replaced with the opt-in",
			role: irsa.ServiceAccountRole{Namespace: "apps", Name: "api", OverrideExistingAnnotation: true},
			mutate: func(s *irsa.Snapshot) {
				s.ServiceAccounts[irsa.ServiceAccountRef{Namespace: "apps", Name: "api"}].Annotations[irsa.AnnotationRoleARN] = other
			},
			want: []string{"k8s.serviceaccount/apps/api update"},
			why:  "OverrideExistingAnnotation replaces it",
		},
		{
			name: "other annotations and another tool's managed-by label are kept",
			role: irsa.ServiceAccountRole{Namespace: "apps", Name: "api", STSRegionalEndpoints: new(bool)},
			mutate: func(s *irsa.Snapshot) {
				sa := s.ServiceAccounts[irsa.ServiceAccountRef{Namespace: "apps", Name: "api"}]
				sa.Annotations["example.com/keep"] = "yes"
				sa.Labels[irsa.LabelManagedBy] = "Helm"
			},
			want: []string{"k8s.serviceaccount/apps/api update"},
			check: func(t *testing.T, res *irsa.Result) {
				ch := change(t, res.Changes, "k8s.serviceaccount/apps/api")
				if ch.Summary != "annotate eks.amazonaws.com/sts-regional-endpoints=false" {
					t.Errorf("summary = %q; want only the new annotation (the label of Helm is kept)", ch.Summary)
				}
			},
			why: "only fargatekit's keys are written",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := synced(t, c, tc.role)
			tc.mutate(s)
			res, err := irsa.Diff(irsa.Clients{}, c, []irsa.ServiceAccountRole{tc.role}, s)
			if tc.wantErr != nil {
				if err == nil || !errors.As(err, tc.wantErr) {
					t.Fatalf("err = %v, want %T (%s)", err, tc.wantErr, tc.why)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v (%s)", err, tc.why)
			}
			if d := cmp.Diff(tc.want, actions((&plan.Plan{Changes: res.Changes}).Pending())); d != "" {
				t.Errorf("pending (-want +got) (%s):\n%s", tc.why, d)
			}
			if tc.check != nil {
				tc.check(t, res)
			}
		})
	}
	t.Run("conflict error names the ServiceAccount and both ARNs", func(t *testing.T) {
		s := synced(t, c, role)
		s.ServiceAccounts[irsa.ServiceAccountRef{Namespace: "apps", Name: "api"}].Annotations[irsa.AnnotationRoleARN] = other
		_, err := irsa.Diff(irsa.Clients{}, c, []irsa.ServiceAccountRole{role}, s)
		for _, w := range []string{"apps/api", other, "arn:aws:iam::111122223333:role/eks-test-apps-api", "OverrideExistingAnnotation"} {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("error %v lacks %q", err, w)
			}
		}
	})
}

func TestDiffProvider(t *testing.T) {
	c := testCluster()
	tests := []struct {
		name        string
		mutate      func(p *irsa.Provider)
		opts        func(*irsa.Options)
		want        plan.Action
		destructive bool
		why         string
	}{
		{"in sync", func(*irsa.Provider) {}, nil, plan.NoOp, false, "nothing to do"},
		{"client ID missing", func(p *irsa.Provider) { p.ClientIDs = []string{"other"} }, nil, plan.Update, false,
			"AddClientIDToOpenIDConnectProvider repairs it in place"},
		{"URL of another issuer", func(p *irsa.Provider) { p.URL = "oidc.eks.us-west-2.amazonaws.com/id/X" }, nil, plan.Replace, true,
			"a provider can't change its URL"},
		{"owner tag missing", func(p *irsa.Provider) { p.Tags = nil }, nil, plan.Update, false, "the provider is tagged"},
		{"not managed", func(p *irsa.Provider) { p.ClientIDs = nil }, func(o *irsa.Options) { o.OIDCProvider = false }, plan.NoOp, false,
			"OIDCProvider false leaves it alone"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := synced(t, c)
			tc.mutate(s.Provider)
			var opts []func(*irsa.Options)
			if tc.opts != nil {
				opts = append(opts, tc.opts)
			}
			res, err := irsa.Diff(irsa.Clients{}, c, nil, s, opts...)
			if err != nil {
				t.Fatal(err)
			}
			got, destructive := plan.NoOp, false
			for _, ch := range res.Changes {
				if ch.Kind == irsa.KindOIDCProvider {
					got, destructive = ch.Action, ch.Destructive
				}
			}
			if got != tc.want || destructive != tc.destructive {
				t.Errorf("provider change %s (destructive %v), want %s (%v): %s", got, destructive, tc.want, tc.destructive, tc.why)
			}
		})
	}
	t.Run("missing and not managed is drift", func(t *testing.T) {
		s := synced(t, c, irsa.ServiceAccountRole{Namespace: "a", Name: "b"})
		s.Provider = nil
		res, err := irsa.Diff(irsa.Clients{}, c, []irsa.ServiceAccountRole{{Namespace: "a", Name: "b"}}, s, func(o *irsa.Options) { o.OIDCProvider = false })
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Drift) != 1 || !strings.Contains(res.Drift[0].Summary, "does not exist") {
			t.Errorf("drift = %+v", res.Drift)
		}
	})
	t.Run("thumbprint", func(t *testing.T) {
		s := synced(t, c)
		s.IssuerThumbprint = strings.Repeat("ab", 20)
		res, err := irsa.Diff(irsa.Clients{}, c, nil, s)
		if err != nil {
			t.Fatal(err)
		}
		ch := change(t, res.Changes, "iam.oidc-provider/oidc.eks.ap-northeast-1.amazonaws.com/id/"+issuerID)
		if ch.Action != plan.Update || !strings.Contains(ch.Summary, "thumbprint") {
			t.Errorf("%s %q, want an update adding the thumbprint", ch.Action, ch.Summary)
		}
	})
}

func TestDiffRoleConflicts(t *testing.T) {
	c := testCluster()
	role := irsa.ServiceAccountRole{Namespace: "apps", Name: "api"}
	for name, mutate := range map[string]func(r *irsa.Role){
		"tagged for another cluster": func(r *irsa.Role) { r.Tags[irsa.OwnerTag] = "other-cluster" },
		"other path":                 func(r *irsa.Role) { r.Path = "/legacy/" },
	} {
		t.Run(name, func(t *testing.T) {
			s := synced(t, c, role)
			mutate(s.Roles["eks-test-apps-api"])
			_, err := irsa.Diff(irsa.Clients{}, c, []irsa.ServiceAccountRole{role}, s)
			var rc *irsa.RoleConflictError
			if !errors.As(err, &rc) || rc.Role != "eks-test-apps-api" {
				t.Fatalf("err = %v, want a *RoleConflictError for the role", err)
			}
		})
	}
}

func TestDiffVPCCNI(t *testing.T) {
	c := testCluster()
	awsNode := irsa.ServiceAccountRole{Namespace: "kube-system", Name: "aws-node", ManagedPolicyARNs: []string{cniPolicy}}
	roleARN := awsNode.RoleARN(c)
	tests := []struct {
		name  string
		cni   irsa.VPCCNIOptions
		addon *irsa.Addon
		want  []string
		why   string
	}{
		{
			name:  "role set with UpdateAddon, then aws-node restarted",
			addon: &irsa.Addon{Name: "vpc-cni", Version: "v1.19.2-eksbuild.1", Status: "ACTIVE"},
			want:  []string{"eks.addon/eks-test/vpc-cni/service-account-role update", "k8s.rollout-restart/DaemonSet/kube-system/aws-node update"},
			why:   "the add-on is updated in place",
		},
		{
			name:  "recreate on request",
			cni:   irsa.VPCCNIOptions{RecreateAddon: true},
			addon: &irsa.Addon{Name: "vpc-cni", Version: "v1.19.2-eksbuild.1", Status: "ACTIVE"},
			want:  []string{"eks.addon/eks-test/vpc-cni/service-account-role replace", "k8s.rollout-restart/DaemonSet/kube-system/aws-node update"},
			why:   "RecreateAddon deletes and creates the add-on",
		},
		{
			name:  "in sync",
			addon: &irsa.Addon{Name: "vpc-cni", Version: "v1.19.2-eksbuild.1", Status: "ACTIVE", ServiceAccountRoleARN: roleARN},
			why:   "nothing to do",
		},
		{
			name: "self-managed VPC CNI: the ServiceAccount is annotated",
			want: []string{"k8s.serviceaccount/kube-system/aws-node update", "k8s.rollout-restart/DaemonSet/kube-system/aws-node update"},
			why:  "without the add-on, fargatekit annotates aws-node itself",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := synced(t, c, awsNode)
			s.Addon, s.AWSNode = tc.addon, true
			// The add-on, not fargatekit, annotates its ServiceAccount: here
			// it has not yet.
			delete(s.ServiceAccounts[irsa.ServiceAccountRef{Namespace: "kube-system", Name: "aws-node"}].Annotations, irsa.AnnotationRoleARN)
			cni := tc.cni
			res, err := irsa.Diff(irsa.Clients{}, c, nil, s, func(o *irsa.Options) { o.VPCCNI = &cni; o.FargateOnly = true })
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, actions((&plan.Plan{Changes: res.Changes}).Pending())); d != "" {
				t.Errorf("pending (-want +got) (%s):\n%s", tc.why, d)
			}
			note := change(t, res.Changes, "eks.addon/eks-test/vpc-cni/fargate")
			if note.Action != plan.NoOp || !strings.Contains(note.Summary, "does not run on Fargate") {
				t.Errorf("Fargate note = %s %q", note.Action, note.Summary)
			}
			for _, ch := range res.Changes {
				if ch.Action == plan.Replace && !ch.Destructive {
					t.Errorf("%s replaces without being marked destructive", ch.ID)
				}
			}
		})
	}
	t.Run("IPv6 policy created and attached", func(t *testing.T) {
		s := &irsa.Snapshot{Namespaces: map[string]bool{"kube-system": true}}
		res, err := irsa.Diff(irsa.Clients{}, c, nil, s, func(o *irsa.Options) { o.VPCCNI = &irsa.VPCCNIOptions{IPv6: true} })
		if err != nil {
			t.Fatal(err)
		}
		pol := change(t, res.Changes, "iam.policy/eks-test-AmazonEKS_CNI_IPv6_Policy")
		att := change(t, res.Changes, "iam.role-policy/eks-test-kube-system-aws-node/arn:aws:iam::111122223333:policy/eks-test-AmazonEKS_CNI_IPv6_Policy")
		if pol.Action != plan.Create || !slices.Contains(att.DependsOn, pol.ID) {
			t.Errorf("policy %s; attachment depends on %v", pol.Action, att.DependsOn)
		}
	})
}

func TestValidation(t *testing.T) {
	c := testCluster()
	exp := int64(60)
	tests := []struct {
		name  string
		roles []irsa.ServiceAccountRole
		field string
		why   string
	}{
		{"wildcard without opt-in", []irsa.ServiceAccountRole{{Namespace: "apps", Name: "*"}}, "roles[0].name", "a pattern must be asked for"},
		{"not a policy ARN", []irsa.ServiceAccountRole{{Namespace: "a", Name: "b", ManagedPolicyARNs: []string{"AmazonS3ReadOnlyAccess"}}}, "roles[0].managedPolicyARNs[0]", "a name is not an ARN"},
		{"other partition", []irsa.ServiceAccountRole{{Namespace: "a", Name: "b", ManagedPolicyARNs: []string{"arn:aws-cn:iam::aws:policy/X"}}}, "roles[0].managedPolicyARNs[0]", "policies live in the cluster's partition"},
		{"ServiceAccount twice", []irsa.ServiceAccountRole{{Namespace: "a", Name: "b"}, {Namespace: "c", Name: "d", AlsoServiceAccounts: []irsa.ServiceAccountRef{{Namespace: "a", Name: "b"}}}}, "roles[1]", "one annotation, one role"},
		{"role name twice", []irsa.ServiceAccountRole{{Namespace: "a", Name: "b", RoleName: "r"}, {Namespace: "c", Name: "d", RoleName: "r"}}, "roles[1].roleName", "sharing is spelled alsoServiceAccounts"},
		{"role name too long", []irsa.ServiceAccountRole{{Namespace: "a", Name: "b", RoleName: strings.Repeat("r", 65)}}, "roles[0].roleName", "IAM's limit"},
		{"bad path", []irsa.ServiceAccountRole{{Namespace: "a", Name: "b", RolePath: "irsa"}}, "roles[0].rolePath", "paths start and end with /"},
		{"bad namespace", []irsa.ServiceAccountRole{{Namespace: "Apps", Name: "b"}}, "roles[0].namespace", "RFC 1123"},
		{"empty also", []irsa.ServiceAccountRole{{Namespace: "a", Name: "b", AlsoServiceAccounts: []irsa.ServiceAccountRef{{Namespace: "c"}}}}, "roles[0].alsoServiceAccounts[0].name", "every ServiceAccount is named"},
		{"token expiration", []irsa.ServiceAccountRole{{Namespace: "a", Name: "b", TokenExpiration: &exp}}, "roles[0].tokenExpiration", "kube-apiserver refuses < 600 s"},
		{"owner tag", []irsa.ServiceAccountRole{{Namespace: "a", Name: "b", Tags: map[string]string{irsa.OwnerTag: "x"}}}, `roles[0].tags["fargatekit.io/cluster"]`, "the owner tag is fargatekit's"},
		{"bad inline JSON", []irsa.ServiceAccountRole{{Namespace: "a", Name: "b", InlinePolicies: map[string]string{"p": `{"Statement": [}`}}}, `roles[0].inlinePolicies["p"]`, "documents are parsed before any call"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := irsa.Diff(irsa.Clients{}, c, tc.roles, &irsa.Snapshot{})
			var ve *irsa.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want a *ValidationError (%s)", err, tc.why)
			}
			if ve.Field != tc.field {
				t.Errorf("field = %q, want %q (%s); err: %v", ve.Field, tc.field, tc.why, err)
			}
		})
	}
	t.Run("inline syntax error stays reachable", func(t *testing.T) {
		_, err := irsa.Diff(irsa.Clients{}, c, []irsa.ServiceAccountRole{{Namespace: "a", Name: "b", InlinePolicies: map[string]string{"p": `{"Statement": [}`}}}, &irsa.Snapshot{})
		var se *iamtrust.SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("err = %v, want the *iamtrust.SyntaxError in its chain", err)
		}
	})
	t.Run("every problem at once", func(t *testing.T) {
		_, err := irsa.Diff(irsa.Clients{}, c, []irsa.ServiceAccountRole{{Namespace: "", Name: "*", RolePath: "x"}}, &irsa.Snapshot{})
		if err == nil || strings.Count(err.Error(), "irsa: roles[0]") != 3 {
			t.Errorf("err = %v, want 3 problems", err)
		}
	})
	t.Run("cluster", func(t *testing.T) {
		_, err := irsa.Diff(irsa.Clients{}, irsa.Cluster{Name: "x", Region: "us-east-1", AccountID: testAccount, IssuerURL: "http://x"}, nil, &irsa.Snapshot{})
		var ve *irsa.ValidationError
		if !errors.As(err, &ve) || ve.Field != "cluster.IssuerURL" {
			t.Errorf("err = %v", err)
		}
	})
}

func TestPodIdentity(t *testing.T) {
	refs := []irsa.ServiceAccountRef{{Namespace: "apps", Name: "api"}}
	err := irsa.ValidatePodIdentity("eks-test", true, refs...)
	if !errors.Is(err, irsa.ErrPodIdentityOnFargate) {
		t.Fatalf("err = %v, want ErrPodIdentityOnFargate", err)
	}
	for _, w := range []string{"apps/api", "eks-test", "IAM roles for service accounts"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%q lacks %q", err, w)
		}
	}
	if err := irsa.ValidatePodIdentity("eks-test", false, refs...); err != nil {
		t.Errorf("cluster with EC2 nodes: %v", err)
	}
}

func TestDiffBoundaryAndTags(t *testing.T) {
	c := testCluster()
	boundary := "arn:aws:iam::aws:policy/PowerUserAccess"
	role := irsa.ServiceAccountRole{Namespace: "apps", Name: "api", PermissionsBoundary: boundary, Tags: map[string]string{"team": "a"}}
	s := synced(t, c, role)
	r := s.Roles["eks-test-apps-api"]
	r.PermissionsBoundary = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	r.Tags = map[string]string{"team": "b", "extra": "kept"}
	res, err := irsa.Diff(irsa.Clients{}, c, []irsa.ServiceAccountRole{role}, s)
	if err != nil {
		t.Fatal(err)
	}
	ch := change(t, res.Changes, "iam.role/eks-test-apps-api")
	want := "tag fargatekit.io/cluster=eks-test, team=a; permissions boundary arn:aws:iam::aws:policy/ReadOnlyAccess → " + boundary
	if ch.Action != plan.Update || ch.Summary != want {
		t.Errorf("%s %q, want update %q", ch.Action, ch.Summary, want)
	}
	// Tags fargatekit does not manage stay in the desired state.
	b, err := json.Marshal(ch.After)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"tags":{"extra":"kept","fargatekit.io/cluster":"eks-test","team":"a"}`) {
		t.Errorf("after = %s", b)
	}
}

func TestDiffWildcardSubjects(t *testing.T) {
	c := testCluster()
	role := irsa.ServiceAccountRole{Namespace: "ci-*", Name: "runner", RoleName: "ci-runners", AllowWildcardSubjects: true,
		AlsoServiceAccounts: []irsa.ServiceAccountRef{{Namespace: "tools", Name: "runner"}}}
	s := &irsa.Snapshot{Namespaces: map[string]bool{"tools": true}}
	res, err := irsa.Diff(irsa.Clients{}, c, []irsa.ServiceAccountRole{role}, s)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ch := range res.Changes {
		if ch.Kind == irsa.KindServiceAccount {
			got = append(got, ch.ID)
		}
	}
	// The pattern is in the trust (StringLike), but no ServiceAccount
	// carries a pattern: only the exact one is annotated.
	if d := cmp.Diff([]string{"k8s.serviceaccount/tools/runner"}, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	ch := change(t, res.Changes, "iam.role/ci-runners")
	b, err := json.Marshal(ch.After)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"StringLike":{"oidc.eks.ap-northeast-1.amazonaws.com/id/`+issuerID+`:sub":"system:serviceaccount:ci-*:runner"}`) {
		t.Errorf("trust lacks the StringLike subject: %s", b)
	}
}

// sharedRole is a role trusted by n ServiceAccounts of "apps".
func sharedRole(n int) irsa.ServiceAccountRole {
	r := irsa.ServiceAccountRole{Namespace: "apps", Name: "sa-0", RoleName: "shared"}
	for i := 1; i < n; i++ {
		r.AlsoServiceAccounts = append(r.AlsoServiceAccounts, irsa.ServiceAccountRef{Namespace: "apps", Name: fmt.Sprintf("sa-%d", i)})
	}
	return r
}

// TestDiffTrustCapacity: a role shared by enough ServiceAccounts to pass
// the trust policy size quota is refused before any change, naming the
// size, the quota and the ways out; a raised quota lets it through.
func TestDiffTrustCapacity(t *testing.T) {
	c := testCluster()
	role := sharedRole(70)
	s := synced(t, c, role)
	_, err := irsa.Diff(irsa.Clients{}, c, []irsa.ServiceAccountRole{role}, s)
	var ce *irsa.CapacityError
	if !errors.As(err, &ce) || ce.What != "trust policy" || ce.Quota != irsa.DefaultAssumeRolePolicySizeQuota || ce.Size <= ce.Quota || ce.QuotaRead {
		t.Fatalf("err = %v, want a *CapacityError for the trust policy over the default quota", err)
	}
	for _, want := range []string{"split the role", "higher quota", "every ServiceAccount of the namespace", "roles[0]"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	s.Quotas = &irsa.Quotas{AssumeRolePolicySize: 8192, AttachedPoliciesPerRole: 10}
	if _, err := irsa.Diff(irsa.Clients{}, c, []irsa.ServiceAccountRole{role}, s); err != nil {
		t.Errorf("with a raised quota: %v", err)
	}
	// Attachments: 11 managed policies pass the default of 10.
	many := irsa.ServiceAccountRole{Namespace: "apps", Name: "api"}
	for i := range 11 {
		many.ManagedPolicyARNs = append(many.ManagedPolicyARNs, fmt.Sprintf("arn:aws:iam::123456789012:policy/p%d", i))
	}
	_, err = irsa.Diff(irsa.Clients{}, c, []irsa.ServiceAccountRole{many}, synced(t, c, many))
	if !errors.As(err, &ce) || ce.What != "attached managed policies" || ce.Size != 11 || ce.Quota != 10 {
		t.Errorf("err = %v, want a *CapacityError for 11 attachments", err)
	}
}
