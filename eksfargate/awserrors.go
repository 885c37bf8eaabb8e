package eksfargate

import (
	"errors"
	"strings"

	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
)

// awsNotFound reports whether err says the resource does not exist: the
// typed not-found errors of EKS, IAM and KMS, and EC2's "*.NotFound" codes
// (EC2 has no typed errors).
func awsNotFound(err error) bool {
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

// awsAccessDenied reports whether err is an authorization failure.
func awsAccessDenied(err error) bool {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return false
	}
	switch api.ErrorCode() {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException":
		return true
	}
	return false
}

// awsErrorCode returns the API error code of err, or "".
func awsErrorCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

// eksResourceInUse reports whether EKS refused because a conflicting
// operation is in progress (another Fargate profile CREATING or DELETING, a
// cluster update).
func eksResourceInUse(err error) bool {
	var e *ekstypes.ResourceInUseException
	return errors.As(err, &e)
}

// eksInvalidParameter reports an InvalidParameterException, which EKS
// returns (among other reasons) when it can't assume a role IAM has not yet
// propagated.
func eksInvalidParameter(err error) bool {
	var e *ekstypes.InvalidParameterException
	return errors.As(err, &e)
}
