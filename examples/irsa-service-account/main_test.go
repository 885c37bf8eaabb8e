package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fargatekit/fargatekit/envtest"
	"github.com/fargatekit/fargatekit/iamtrust"
	"github.com/fargatekit/fargatekit/irsa"
)

const region = "ap-northeast-1"

// TestIRSAServiceAccount runs the program against a cluster in moto and a
// real kube-apiserver and checks every stage in the output and in the live
// state: the role and annotation it creates, the exact trust, the audit
// finding after the trust is widened, and the state after the fix.
func TestIRSAServiceAccount(t *testing.T) {
	a := envtest.NewAWS(t)
	kube := envtest.NewKube(t)
	ctx := t.Context()
	cfg := a.Config(region)
	cl := createCluster(ctx, t, cfg, "eks-test")
	issuer := aws.ToString(cl.Identity.Oidc.Issuer)
	if _, err := kube.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "apps"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	if err := run(ctx, Config{AWS: cfg, Cluster: "eks-test", Kube: kube.Config}, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	t.Logf("output:\n%s", out.String())
	stages := splitStages(t, out.String())

	roleName := "eks-test-apps-report-reader"
	roleARN := "arn:aws:iam::" + envtest.AccountID + ":role/" + roleName
	providerARN := iamtrust.OIDCProviderARN("aws", envtest.AccountID, issuer)
	exact, err := iamtrust.IRSATrust(iamtrust.IRSA{AccountID: envtest.AccountID, IssuerURL: issuer,
		ServiceAccounts: []iamtrust.ServiceAccount{{Namespace: "apps", Name: "report-reader"}}})
	if err != nil {
		t.Fatal(err)
	}

	// 1. The plan creates the provider, the role, the attachment and the
	// annotated ServiceAccount.
	for _, kind := range []string{"iam.oidc-provider", "iam.role", "iam.role-policy-attachment", "k8s.serviceaccount"} {
		if !strings.Contains(stages[1], "create  "+kind+" ") {
			t.Errorf("stage 1 (plan): no create of a %s", kind)
		}
	}
	// 2. Each change is reported done.
	for _, id := range []string{
		"iam.oidc-provider/" + iamtrust.IssuerHostPath(issuer),
		"iam.role/" + roleName,
		"iam.role-policy/" + roleName + "/arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
		"k8s.serviceaccount/apps/report-reader",
	} {
		if !strings.Contains(stages[2], "done: "+id+"\n") {
			t.Errorf("stage 2 (apply): %s not done", id)
		}
	}
	// 3. The output shows the annotation and a trust equal (as IAM
	// compares) to the documented IRSA trust.
	if !strings.Contains(stages[3], irsa.AnnotationRoleARN+": "+roleARN) {
		t.Errorf("stage 3: no annotation %s: %s", irsa.AnnotationRoleARN, roleARN)
	}
	shown := docAfter(t, stages[3], "trust:\n")
	if !iamtrust.Equal(exact, shown) {
		t.Errorf("stage 3: shown trust differs from the documented IRSA trust: %v", iamtrust.Diff(exact, shown))
	}
	// 4. The widened trust uses StringLike on the subject.
	if !strings.Contains(stages[4], `"StringLike"`) || !strings.Contains(stages[4], "system:serviceaccount:*:*") {
		t.Errorf("stage 4: the widened trust is not shown")
	}
	// 5. The audit finds IRSA-04 for the role.
	if !strings.Contains(stages[5], "IRSA-04  "+roleARN) {
		t.Errorf("stage 5: no IRSA-04 finding for %s", roleARN)
	}
	// 6. The fix updates the role's trust and nothing is held back.
	if !strings.Contains(stages[6], "update  iam.role "+roleARN) || strings.Contains(stages[6], "held back") {
		t.Errorf("stage 6: fix plan is not one trust update")
	}
	// 7. No finding is left, and the role matches the spec again.
	if !strings.Contains(stages[7], "No findings") {
		t.Errorf("stage 7: the audit still has findings")
	}
	if !strings.Contains(stages[7], "irsa.Plan: No changes.") {
		t.Errorf("stage 7: irsa.Plan is not empty")
	}

	// The live state: annotation, attached policy, exact trust, provider.
	sa, err := kube.Client.CoreV1().ServiceAccounts("apps").Get(ctx, "report-reader", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := sa.Annotations[irsa.AnnotationRoleARN]; got != roleARN {
		t.Errorf("annotation %s = %q, want %q", irsa.AnnotationRoleARN, got, roleARN)
	}
	im := iam.NewFromConfig(cfg)
	att, err := im.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(roleName)})
	if err != nil {
		t.Fatal(err)
	}
	if len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyArn) != reportReader.ManagedPolicyARNs[0] {
		t.Errorf("attached policies %+v, want only %s", att.AttachedPolicies, reportReader.ManagedPolicyARNs[0])
	}
	live, err := liveTrust(ctx, cfg, roleName)
	if err != nil {
		t.Fatal(err)
	}
	if !iamtrust.Equal(exact, live) {
		t.Errorf("live trust after the fix differs from the exact trust: %v", iamtrust.Diff(exact, live))
	}
	if _, err := im.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(providerARN)}); err != nil {
		t.Errorf("OIDC provider %s: %v", providerARN, err)
	}
}

// splitStages returns the output of each stage by number.
func splitStages(t *testing.T, out string) map[int]string {
	t.Helper()
	m := map[int]string{}
	parts := strings.Split(out, "\n== ")
	for _, p := range parts[1:] {
		n := int(p[0] - '0')
		m[n] = p
	}
	if len(m) != 7 {
		t.Fatalf("%d stage(s) in the output, want 7", len(m))
	}
	return m
}

// docAfter parses the JSON document that follows marker in s.
func docAfter(t *testing.T, s, marker string) *iamtrust.Document {
	t.Helper()
	_, rest, ok := strings.Cut(s, marker)
	if !ok {
		t.Fatalf("no %q in %q", marker, s)
	}
	end := strings.Index(rest, "\n}\n")
	if end < 0 {
		t.Fatalf("no document after %q", marker)
	}
	d, err := iamtrust.Parse([]byte(rest[:end+3]))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// createCluster creates what the example starts from: a cluster with its
// role and two subnets. (fargatekit would build all of it from a spec; see
// examples/walkthrough.)
func createCluster(ctx context.Context, t *testing.T, cfg aws.Config, name string) *ekstypes.Cluster {
	t.Helper()
	ec := ec2.NewFromConfig(cfg)
	vpc, err := ec.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	var subnets []string
	for i, az := range []string{"a", "c"} {
		sn, err := ec.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String([]string{"10.0.0.0/18", "10.0.64.0/18"}[i]), AvailabilityZone: aws.String(region + az)})
		if err != nil {
			t.Fatal(err)
		}
		subnets = append(subnets, aws.ToString(sn.Subnet.SubnetId))
	}
	role, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name + "-cluster"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	out, err := eks.NewFromConfig(cfg).CreateCluster(ctx, &eks.CreateClusterInput{Name: aws.String(name), RoleArn: role.Role.Arn,
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: subnets}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Cluster.Identity == nil || out.Cluster.Identity.Oidc == nil || aws.ToString(out.Cluster.Identity.Oidc.Issuer) == "" {
		t.Fatal("the cluster has no OIDC issuer")
	}
	return out.Cluster
}
