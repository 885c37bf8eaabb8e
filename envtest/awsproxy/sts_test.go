package awsproxy_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/fargatekit/fargatekit/envtest/awsproxy"
)

// TestDenyAssumeRole: a denied role ARN gets AccessDenied as AWS sends it;
// other roles are assumed by moto; Reset forgets the list.
func TestDenyAssumeRole(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	api := sts.NewFromConfig(a.Config(region))
	denied := "arn:aws:iam::210987654321:role/audit"
	a.Proxy.DenyAssumeRole(denied)
	_, err := api.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(denied), RoleSessionName: aws.String("t")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
		t.Fatalf("denied role: %v, want AccessDenied", err)
	}
	if _, err := api.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111122223333:role/audit"), RoleSessionName: aws.String("t")}); err != nil {
		t.Errorf("another role: %v", err)
	}
	if err := a.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := api.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(denied), RoleSessionName: aws.String("t")}); err != nil {
		t.Errorf("after Reset: %v", err)
	}
}

// TestLostResponse: the write happens, the answer never arrives, and the
// SDK's automatic retry of the create meets the resource it already made.
func TestLostResponse(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	cfg := a.Config(region)
	api := iam.NewFromConfig(cfg)
	a.Proxy.AddFault(awsproxy.Fault{Service: "iam", Operation: "CreateRole", Kind: awsproxy.LostResponse, Times: 1})
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	_, err := api.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("lost"), AssumeRolePolicyDocument: aws.String(trust)})
	var exists *iamtypes.EntityAlreadyExistsException
	if !errors.As(err, &exists) {
		t.Fatalf("the retried create: %v, want EntityAlreadyExists (the first attempt made the role)", err)
	}
	if _, err := api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("lost")}); err != nil {
		t.Errorf("the role the lost answer was about: %v", err)
	}
	if n := a.Proxy.FaultTotal(); n != 1 {
		t.Errorf("%d faults, want 1", n)
	}
}
