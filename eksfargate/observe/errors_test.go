package observe_test

import (
	"errors"
	"fmt"
	"testing"

	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"

	"github.com/fargatekit/fargatekit/eksfargate/observe"
)

func TestIsNotFound(t *testing.T) {
	for _, tc := range []struct {
		why  string
		err  error
		want bool
	}{
		{"no error", nil, false},
		{"EKS", &ekstypes.ResourceNotFoundException{}, true},
		{"IAM", &iamtypes.NoSuchEntityException{}, true},
		{"KMS", &kmstypes.NotFoundException{}, true},
		{"EC2's code, wrapped", fmt.Errorf("describe: %w", &smithy.GenericAPIError{Code: "InvalidSubnetID.NotFound"}), true},
		{"access denied", &smithy.GenericAPIError{Code: "AccessDeniedException"}, false},
		{"EKS in use", &ekstypes.ResourceInUseException{}, false},
		{"not an API error", errors.New("connection reset"), false},
	} {
		if got := observe.IsNotFound(tc.err); got != tc.want {
			t.Errorf("%s: IsNotFound = %v, want %v", tc.why, got, tc.want)
		}
	}
}
