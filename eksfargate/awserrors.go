package eksfargate

import (
	"errors"

	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/smithy-go"

	"github.com/fargatekit/fargatekit/eksfargate/observe"
)

// awsNotFound reports whether err says the resource does not exist: the
// typed not-found errors of EKS, IAM and KMS, and EC2's "*.NotFound" codes
// (EC2 has no typed errors). It is observe.IsNotFound.
func awsNotFound(err error) bool {
	return observe.IsNotFound(err)
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

// ErrorKind classifies a failed AWS call by what a caller can do about it.
type ErrorKind int

// The kinds Classify tells apart.
const (
	// ErrOther is any other failure (throttling, a server error, a network
	// error): nothing to fall back on.
	ErrOther ErrorKind = iota
	// ErrNotFound: the resource does not exist.
	ErrNotFound
	// ErrAccessDenied: the caller lacks the permission.
	ErrAccessDenied
	// ErrNotImplemented: the endpoint does not serve the API at all (an
	// older partition, a local emulator): an error code saying so, or an
	// HTTP 404, 405 or 501 whose body is not the service's error document.
	ErrNotImplemented
)

// String returns "not found", "access denied", "not implemented" or
// "other".
func (k ErrorKind) String() string {
	switch k {
	case ErrNotFound:
		return "not found"
	case ErrAccessDenied:
		return "access denied"
	case ErrNotImplemented:
		return "not implemented"
	}
	return "other"
}

// Classify says what kind of failure err is, with errors.As on the SDK's
// and smithy's types (the typed exceptions, smithy.APIError's code, the
// HTTP status of a response whose body could not be decoded); it never
// matches error messages.
func Classify(err error) ErrorKind {
	switch {
	case err == nil:
		return ErrOther
	case awsNotImplemented(err):
		return ErrNotImplemented
	case awsAccessDenied(err):
		return ErrAccessDenied
	case awsNotFound(err):
		return ErrNotFound
	}
	return ErrOther
}

// awsNotImplemented reports whether the endpoint does not serve the
// operation: an error code that says so, or a 404/405/501 answer whose body
// the SDK could not decode as the service's error document (an HTML "not
// found" page of an endpoint that lacks the API, for one).
func awsNotImplemented(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "NotImplemented", "NotImplementedException", "UnknownOperationException", "UnsupportedOperation",
			"UnsupportedOperationException", "InvalidAction":
			return true
		}
	}
	var de *smithy.DeserializationError
	var status interface{ HTTPStatusCode() int }
	if errors.As(err, &de) && errors.As(err, &status) {
		switch status.HTTPStatusCode() {
		case 404, 405, 501:
			return true
		}
	}
	return false
}

// UnavailableError is a read that the endpoint refused or does not serve
// and that has no documented fallback. Its message names the API, the
// permission it needs and the way out, never the SDK's raw decoding text;
// the SDK's error stays reachable through Unwrap.
type UnavailableError struct {
	// API is the operation, such as "eks:DescribeAddon".
	API string
	// Subject is what was being read, such as "addon coredns"; may be "".
	Subject string
	// Kind is ErrAccessDenied or ErrNotImplemented.
	Kind ErrorKind
	// WayOut says what the user can do.
	WayOut string
	// Err is the SDK's error.
	Err error
}

// Error names the API, why it is unavailable, the permission and the way
// out.
func (e *UnavailableError) Error() string {
	what := e.API
	if e.Subject != "" {
		what += " (" + e.Subject + ")"
	}
	why := "failed"
	switch e.Kind {
	case ErrAccessDenied:
		why = "was refused: access denied; the caller needs the IAM permission " + e.API
	case ErrNotImplemented:
		why = "is not served by this endpoint (it answered with no API error document: the API is missing there, as on older partitions and local emulators); with AWS, the caller needs the IAM permission " + e.API
	}
	msg := "eksfargate: " + what + " " + why
	if e.WayOut != "" {
		msg += "; " + e.WayOut
	}
	return msg
}

// Unwrap returns the SDK's error.
func (e *UnavailableError) Unwrap() error { return e.Err }

// unavailable returns an *UnavailableError for err when it is access denied
// or not implemented, else nil.
func unavailable(api, subject, wayOut string, err error) *UnavailableError {
	k := Classify(err)
	if k != ErrAccessDenied && k != ErrNotImplemented {
		return nil
	}
	return &UnavailableError{API: api, Subject: subject, Kind: k, WayOut: wayOut, Err: err}
}
