package awsproxy_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
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
