package eksfargate

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// sdkError is an error as the SDK returns it: an operation error around an
// HTTP response error around err.
func sdkError(status int, err error) error {
	return &smithy.OperationError{ServiceID: "EKS", OperationName: "DescribeClusterVersions", Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: err}}}
}

func TestClassify(t *testing.T) {
	undecodable := &smithy.DeserializationError{Err: errors.New("invalid character '<' looking for beginning of value")}
	tests := []struct {
		name, reason string
		err          error
		want         ErrorKind
	}{
		{"html 404", "an endpoint without the API answers a 404 page the SDK cannot decode", sdkError(404, undecodable), ErrNotImplemented},
		{"501", "501 Not Implemented with a body that is not an error document", sdkError(501, undecodable), ErrNotImplemented},
		{"500 undecodable", "a server error is not a missing API", sdkError(500, undecodable), ErrOther},
		{"typed not found", "a 404 with the service's error document is a missing resource", sdkError(404, &ekstypes.ResourceNotFoundException{}), ErrNotFound},
		{"access denied", "the API error code says so", sdkError(403, &smithy.GenericAPIError{Code: "AccessDeniedException"}), ErrAccessDenied},
		{"unknown operation", "an error code that says the operation does not exist", sdkError(400, &smithy.GenericAPIError{Code: "UnknownOperationException"}), ErrNotImplemented},
		{"other", "anything else is not classified", errors.New("boom"), ErrOther},
		{"nil", "no error", nil, ErrOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.err); got != tt.want {
				t.Errorf("Classify = %s, want %s (%s)", got, tt.want, tt.reason)
			}
		})
	}
}

// TestUnavailableErrorMessage: the message names the API, the permission
// and the way out, never the SDK's decoding text, which stays reachable.
func TestUnavailableErrorMessage(t *testing.T) {
	raw := sdkError(404, &smithy.DeserializationError{Err: errors.New("invalid character '<' looking for beginning of value")})
	u := unavailable("eks:DescribeAddon", "addon coredns", "remove the addon from the spec", raw)
	if u == nil {
		t.Fatal("a 404 HTML answer is not classified as unavailable")
	}
	msg := u.Error()
	for _, want := range []string{"eks:DescribeAddon (addon coredns)", "IAM permission eks:DescribeAddon", "remove the addon from the spec"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q: %s", want, msg)
		}
	}
	if strings.Contains(msg, "invalid character") || strings.Contains(msg, "deserialization") {
		t.Errorf("message shows the SDK's decoding text: %s", msg)
	}
	var de *smithy.DeserializationError
	if !errors.As(u, &de) {
		t.Error("the SDK error is not reachable with errors.As")
	}
	if unavailable("x", "", "", sdkError(500, errors.New("boom"))) != nil {
		t.Error("a server error is reported as unavailable")
	}
}
