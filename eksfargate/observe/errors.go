package observe

import (
	"errors"
	"strings"

	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
)

// IsNotFound reports whether err says that the resource read does not
// exist: the typed not-found errors of EKS, IAM and KMS, and EC2's
// "….NotFound" codes (EC2 has no typed errors).
func IsNotFound(err error) bool {
	if err == nil {
		return false
	}
	var (
		eksNF *ekstypes.ResourceNotFoundException
		iamNF *iamtypes.NoSuchEntityException
		kmsNF *kmstypes.NotFoundException
	)
	if errors.As(err, &eksNF) || errors.As(err, &iamNF) || errors.As(err, &kmsNF) {
		return true
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		code := api.ErrorCode()
		return strings.HasSuffix(code, ".NotFound") || code == "NoSuchEntity"
	}
	return false
}
