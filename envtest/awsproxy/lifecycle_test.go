package awsproxy_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"

	"github.com/fargatekit/fargatekit/envtest/awsproxy"
)

func TestClusterLifecycleWithDelays(t *testing.T) {
	a := setup(t)
	c := newClients(a, 3)
	ctx := context.Background()
	const delay = 300 * time.Millisecond
	a.Proxy.SetDelays(awsproxy.Delays{ClusterCreate: delay, ClusterDelete: delay})
	n := newNetwork(t, c)
	role := createRole(t, c, "cluster-role", trustEKS)
	name := aws.String("lifecycle")

	start := time.Now()
	out, err := c.eks.CreateCluster(ctx, &eks.CreateClusterInput{
		Name: name, RoleArn: &role,
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{n.private, n.private2}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Cluster.Status; got != ekstypes.ClusterStatusCreating {
		t.Errorf("CreateCluster status = %s, want CREATING", got)
	}
	if got := out.Cluster.AccessConfig; got == nil || got.AuthenticationMode != ekstypes.AuthenticationModeConfigMap {
		t.Errorf("CreateCluster accessConfig = %+v, want authenticationMode CONFIG_MAP (the API's default)", got)
	}
	if got := aws.ToString(out.Cluster.Version); got != "1.35" {
		t.Errorf("CreateCluster version = %s, want the catalogue default 1.35", got)
	}
	d, err := c.eks.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Cluster.Status; got != ekstypes.ClusterStatusCreating {
		t.Errorf("DescribeCluster right after create: status = %s, want CREATING", got)
	}
	if err := eks.NewClusterActiveWaiter(c.eks, fastWaiter[eks.ClusterActiveWaiterOptions]).Wait(ctx, &eks.DescribeClusterInput{Name: name}, 5*time.Second); err != nil {
		t.Fatalf("ClusterActiveWaiter: %v", err)
	}
	if took := time.Since(start); took < delay {
		t.Errorf("cluster ACTIVE after %s, want at least the %s create delay", took, delay)
	}

	start = time.Now()
	del, err := c.eks.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	if got := del.Cluster.Status; got != ekstypes.ClusterStatusDeleting {
		t.Errorf("DeleteCluster status = %s, want DELETING", got)
	}
	d, err = c.eks.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: name})
	if err != nil {
		t.Fatalf("DescribeCluster while DELETING: %v", err)
	}
	if got := d.Cluster.Status; got != ekstypes.ClusterStatusDeleting {
		t.Errorf("DescribeCluster while deleting: status = %s, want DELETING", got)
	}
	list, err := c.eks.ListClusters(ctx, &eks.ListClustersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"lifecycle"}, list.Clusters); diff != "" {
		t.Errorf("ListClusters while DELETING (-want +got):\n%s", diff)
	}
	if err := eks.NewClusterDeletedWaiter(c.eks, fastWaiter[eks.ClusterDeletedWaiterOptions]).Wait(ctx, &eks.DescribeClusterInput{Name: name}, 5*time.Second); err != nil {
		t.Fatalf("ClusterDeletedWaiter: %v", err)
	}
	if took := time.Since(start); took < delay {
		t.Errorf("cluster gone after %s, want at least the %s delete delay", took, delay)
	}
	_, err = c.eks.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: name})
	var nf *ekstypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("DescribeCluster after delete: %v, want ResourceNotFoundException", err)
	}
}

func TestZeroDelaysKeepMotoBehaviour(t *testing.T) {
	a := setup(t)
	c := newClients(a, 3)
	ctx := context.Background()
	n := newNetwork(t, c)
	role := createRole(t, c, "cluster-role", trustEKS)
	out, err := c.eks.CreateCluster(ctx, &eks.CreateClusterInput{
		Name: aws.String("instant"), RoleArn: &role, Version: aws.String("1.33"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{n.private}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Cluster.Status != ekstypes.ClusterStatusActive {
		t.Errorf("status = %s, want ACTIVE at once with zero delays", out.Cluster.Status)
	}
	if got := aws.ToString(out.Cluster.Version); got != "1.33" {
		t.Errorf("version = %s, want 1.33 as asked", got)
	}
	if _, err := c.eks.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: aws.String("instant")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.eks.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("instant")})
	var nf *ekstypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("DescribeCluster right after a zero-delay delete: %v, want ResourceNotFoundException", err)
	}
}

func TestCreateClusterValidation(t *testing.T) {
	a := setup(t)
	c := newClients(a, 1)
	ctx := context.Background()
	n := newNetwork(t, c)
	role := createRole(t, c, "cluster-role", trustEKS)
	tests := []struct {
		name   string
		reason string
		in     func(*eks.CreateClusterInput)
	}{
		{"unsupported-version", "1.30 is UNSUPPORTED in the default catalogue", func(in *eks.CreateClusterInput) { in.Version = aws.String("1.30") }},
		{"unknown-version", "1.19 (moto's default) is not in the catalogue", func(in *eks.CreateClusterInput) { in.Version = aws.String("1.19") }},
		{"config-map-without-bootstrap", "EKS requires bootstrapClusterCreatorAdminPermissions in CONFIG_MAP mode", func(in *eks.CreateClusterInput) {
			in.AccessConfig = &ekstypes.CreateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationModeConfigMap, BootstrapClusterCreatorAdminPermissions: aws.Bool(false)}
		}},
		{"bad-auth-mode", "only the three documented modes exist", func(in *eks.CreateClusterInput) {
			in.AccessConfig = &ekstypes.CreateAccessConfigRequest{AuthenticationMode: "OPEN"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &eks.CreateClusterInput{Name: aws.String(tt.name), RoleArn: &role, ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{n.private}}}
			tt.in(in)
			_, err := c.eks.CreateCluster(ctx, in)
			var ip *ekstypes.InvalidParameterException
			if !errors.As(err, &ip) {
				t.Errorf("CreateCluster: %v, want InvalidParameterException (%s)", err, tt.reason)
			}
		})
	}
}

func TestRolePropagationDelay(t *testing.T) {
	a := setup(t)
	c := newClients(a, 1)
	ctx := context.Background()
	const delay = 400 * time.Millisecond
	a.Proxy.SetDelays(awsproxy.Delays{RolePropagation: delay})
	n := newNetwork(t, c)
	role := createRole(t, c, "fresh-cluster-role", trustEKS)
	created := time.Now()
	in := &eks.CreateClusterInput{Name: aws.String("propagation"), RoleArn: &role, ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{n.private}}}
	_, err := c.eks.CreateCluster(ctx, in)
	var ip *ekstypes.InvalidParameterException
	if !errors.As(err, &ip) {
		t.Fatalf("CreateCluster right after CreateRole: %v, want InvalidParameterException", err)
	}
	want := "Role with arn: " + role + ", could not be assumed because it does not exist or the trusted entity is not correct"
	if got := ip.ErrorMessage(); got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
	time.Sleep(time.Until(created.Add(delay + 20*time.Millisecond)))
	if _, err := c.eks.CreateCluster(ctx, in); err != nil {
		t.Fatalf("CreateCluster after the propagation delay: %v", err)
	}

	podRole := createRole(t, c, "fresh-pod-role", trustFargate)
	created = time.Now()
	pin := &eks.CreateFargateProfileInput{
		ClusterName: aws.String("propagation"), FargateProfileName: aws.String("default"), PodExecutionRoleArn: &podRole,
		Subnets: []string{n.private}, Selectors: []ekstypes.FargateProfileSelector{{Namespace: aws.String("default")}},
	}
	if _, err := c.eks.CreateFargateProfile(ctx, pin); !errors.As(err, &ip) {
		t.Fatalf("CreateFargateProfile right after CreateRole: %v, want InvalidParameterException", err)
	}
	time.Sleep(time.Until(created.Add(delay + 20*time.Millisecond)))
	if _, err := c.eks.CreateFargateProfile(ctx, pin); err != nil {
		t.Fatalf("CreateFargateProfile after the propagation delay: %v", err)
	}
}

func TestOneFargateProfileCreatingAtATime(t *testing.T) {
	a := setup(t)
	c := newClients(a, 1)
	ctx := context.Background()
	n, _ := newCluster(t, c, "serial")
	podRole := createRole(t, c, "pod-role", trustFargate)
	const delay = 500 * time.Millisecond
	a.Proxy.SetDelays(awsproxy.Delays{ProfileCreate: delay, ProfileDelete: delay})
	input := func(name string) *eks.CreateFargateProfileInput {
		return &eks.CreateFargateProfileInput{
			ClusterName: aws.String("serial"), FargateProfileName: aws.String(name), PodExecutionRoleArn: &podRole,
			Subnets: []string{n.private}, Selectors: []ekstypes.FargateProfileSelector{{Namespace: aws.String(name)}},
		}
	}

	names := []string{"first", "second"}
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = c.eks.CreateFargateProfile(ctx, input(name))
		}()
	}
	wg.Wait()
	var inUse, ok []string
	for i, err := range errs {
		var riu *ekstypes.ResourceInUseException
		switch {
		case err == nil:
			ok = append(ok, names[i])
		case errors.As(err, &riu):
			inUse = append(inUse, names[i])
			if !strings.Contains(riu.ErrorMessage(), "in status CREATING") {
				t.Errorf("ResourceInUseException message %q does not name the CREATING profile", riu.ErrorMessage())
			}
		default:
			t.Fatalf("CreateFargateProfile %s: %v", names[i], err)
		}
	}
	if len(ok) != 1 || len(inUse) != 1 {
		t.Fatalf("concurrent creates: succeeded %v, ResourceInUse %v; want exactly one of each", ok, inUse)
	}
	d, err := c.eks.DescribeFargateProfile(ctx, &eks.DescribeFargateProfileInput{ClusterName: aws.String("serial"), FargateProfileName: &ok[0]})
	if err != nil {
		t.Fatal(err)
	}
	if d.FargateProfile.Status != ekstypes.FargateProfileStatusCreating {
		t.Errorf("winner status = %s, want CREATING", d.FargateProfile.Status)
	}
	if err := eks.NewFargateProfileActiveWaiter(c.eks, fastWaiter[eks.FargateProfileActiveWaiterOptions]).Wait(ctx,
		&eks.DescribeFargateProfileInput{ClusterName: aws.String("serial"), FargateProfileName: &ok[0]}, 5*time.Second); err != nil {
		t.Fatalf("FargateProfileActiveWaiter: %v", err)
	}
	if _, err := c.eks.CreateFargateProfile(ctx, input(inUse[0])); err != nil {
		t.Fatalf("CreateFargateProfile %s once the first is ACTIVE: %v", inUse[0], err)
	}

	// While the second is CREATING, deleting the first is refused too.
	_, err = c.eks.DeleteFargateProfile(ctx, &eks.DeleteFargateProfileInput{ClusterName: aws.String("serial"), FargateProfileName: &ok[0]})
	var riu *ekstypes.ResourceInUseException
	if !errors.As(err, &riu) {
		t.Errorf("DeleteFargateProfile while another is CREATING: %v, want ResourceInUseException", err)
	}
	if err := eks.NewFargateProfileActiveWaiter(c.eks, fastWaiter[eks.FargateProfileActiveWaiterOptions]).Wait(ctx,
		&eks.DescribeFargateProfileInput{ClusterName: aws.String("serial"), FargateProfileName: &inUse[0]}, 5*time.Second); err != nil {
		t.Fatalf("FargateProfileActiveWaiter: %v", err)
	}

	// Delete: DELETING for the delay, then gone; meanwhile other profile
	// operations are refused.
	del, err := c.eks.DeleteFargateProfile(ctx, &eks.DeleteFargateProfileInput{ClusterName: aws.String("serial"), FargateProfileName: &ok[0]})
	if err != nil {
		t.Fatal(err)
	}
	if del.FargateProfile.Status != ekstypes.FargateProfileStatusDeleting {
		t.Errorf("DeleteFargateProfile status = %s, want DELETING", del.FargateProfile.Status)
	}
	if _, err := c.eks.CreateFargateProfile(ctx, input("third")); !errors.As(err, &riu) {
		t.Errorf("CreateFargateProfile while one is DELETING: %v, want ResourceInUseException", err)
	}
	_, err = c.eks.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: aws.String("serial")})
	if !errors.As(err, &riu) {
		t.Errorf("DeleteCluster with Fargate profiles attached: %v, want ResourceInUseException", err)
	}
	if err := eks.NewFargateProfileDeletedWaiter(c.eks, fastWaiter[eks.FargateProfileDeletedWaiterOptions]).Wait(ctx,
		&eks.DescribeFargateProfileInput{ClusterName: aws.String("serial"), FargateProfileName: &ok[0]}, 5*time.Second); err != nil {
		t.Fatalf("FargateProfileDeletedWaiter: %v", err)
	}
	list, err := c.eks.ListFargateProfiles(ctx, &eks.ListFargateProfilesInput{ClusterName: aws.String("serial")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{inUse[0]}, list.FargateProfileNames); diff != "" {
		t.Errorf("ListFargateProfiles after delete (-want +got):\n%s", diff)
	}
}

func TestFargateProfileSubnetsMustBePrivate(t *testing.T) {
	a := setup(t)
	c := newClients(a, 1)
	ctx := context.Background()
	n, _ := newCluster(t, c, "subnets")
	podRole := createRole(t, c, "pod-role", trustFargate)
	tests := []struct {
		name    string
		reason  string
		subnets []string
		bad     string // subnet the error must name; "" for success
	}{
		{"private", "no route table of its own; the VPC's main table has only the local route", []string{n.private}, ""},
		{"public", "its route table sends 0.0.0.0/0 to an internet gateway", []string{n.public}, n.public},
		{"mixed", "one public subnet spoils the profile", []string{n.private2, n.public}, n.public},
		{"missing", "a subnet that does not exist is refused", []string{"subnet-0123456789abcdef0"}, "subnet-0123456789abcdef0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.eks.CreateFargateProfile(ctx, &eks.CreateFargateProfileInput{
				ClusterName: aws.String("subnets"), FargateProfileName: aws.String(tt.name), PodExecutionRoleArn: &podRole,
				Subnets: tt.subnets, Selectors: []ekstypes.FargateProfileSelector{{Namespace: aws.String(tt.name)}},
			})
			if tt.bad == "" {
				if err != nil {
					t.Errorf("CreateFargateProfile: %v, want success (%s)", err, tt.reason)
				}
				return
			}
			var ip *ekstypes.InvalidParameterException
			if !errors.As(err, &ip) {
				t.Fatalf("CreateFargateProfile: %v, want InvalidParameterException (%s)", err, tt.reason)
			}
			if !strings.Contains(ip.ErrorMessage(), tt.bad) {
				t.Errorf("message %q does not name subnet %s", ip.ErrorMessage(), tt.bad)
			}
		})
	}
}

func TestMalformedPolicyDocuments(t *testing.T) {
	a := setup(t)
	c := newClients(a, 1)
	ctx := context.Background()
	createRole(t, c, "existing", trustEKS)
	tests := []struct {
		name   string
		reason string
		doc    string
	}{
		{"trailing-comma", "JSON has no trailing commas", `{"Version":"2012-10-17","Statement":[],}`},
		{"trailing-comma-in-list", "nor in lists", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"eks.amazonaws.com"}},]}`},
		{"duplicate-key", "IAM refuses duplicate keys that encoding/json would accept", `{"Version":"2012-10-17","Version":"2012-10-17","Statement":[]}`},
		{"nested-duplicate-key", "duplicates are refused at any depth", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Effect":"Deny","Action":"sts:AssumeRole","Principal":{"Service":"eks.amazonaws.com"}}]}`},
		{"not-json", "plain text is not a policy", `Allow eks to assume this role`},
		{"array", "a policy is a JSON object", `[{"Version":"2012-10-17"}]`},
		{"trailing-data", "one object and nothing after it", trustEKS + `{}`},
	}
	t.Run("valid", func(t *testing.T) {
		perms := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
		if _, err := c.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("valid"), AssumeRolePolicyDocument: aws.String(trustEKS)}); err != nil {
			t.Errorf("CreateRole with a well-formed trust policy: %v", err)
		}
		if _, err := c.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("valid"), PolicyName: aws.String("inline"), PolicyDocument: &perms}); err != nil {
			t.Errorf("PutRolePolicy with a well-formed policy: %v", err)
		}
		if _, err := c.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("valid"), PolicyDocument: &perms}); err != nil {
			t.Errorf("CreatePolicy with a well-formed policy: %v", err)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := map[string]func() error{
				"CreateRole": func() error {
					_, err := c.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r-" + tt.name), AssumeRolePolicyDocument: &tt.doc})
					return err
				},
				"UpdateAssumeRolePolicy": func() error {
					_, err := c.iam.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("existing"), PolicyDocument: &tt.doc})
					return err
				},
				"PutRolePolicy": func() error {
					_, err := c.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("existing"), PolicyName: aws.String("inline"), PolicyDocument: &tt.doc})
					return err
				},
				"CreatePolicy": func() error {
					_, err := c.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p-" + tt.name), PolicyDocument: &tt.doc})
					return err
				},
			}
			for op, call := range calls {
				err := call()
				var mp *iamtypes.MalformedPolicyDocumentException
				if !errors.As(err, &mp) {
					t.Errorf("%s: %v, want MalformedPolicyDocumentException (%s)", op, err, tt.reason)
				}
			}
		})
	}
}
