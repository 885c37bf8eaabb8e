package awsproxy

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
)

// apiError is an AWS error response the proxy writes itself.
type apiError struct {
	status  int
	code    string
	message string
	fields  map[string]string // extra members of an EKS error body
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func eksErr(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *apiError {
	return eksErr(http.StatusNotFound, "ResourceNotFoundException", format, args...)
}

func inUse(format string, args ...any) *apiError {
	return eksErr(http.StatusConflict, "ResourceInUseException", format, args...)
}

func invalidParam(format string, args ...any) *apiError {
	return eksErr(http.StatusBadRequest, "InvalidParameterException", format, args...)
}

func invalidRequest(format string, args ...any) *apiError {
	return eksErr(http.StatusBadRequest, "InvalidRequestException", format, args...)
}

// withCluster adds the clusterName member that EKS errors carry.
func (e *apiError) withCluster(name string) *apiError {
	if e.fields == nil {
		e.fields = map[string]string{}
	}
	e.fields["clusterName"] = name
	return e
}

// throttleError and serverError are the errors a Throttle or ServerError
// fault answers with, per service and protocol.
func throttleError(in *request) *apiError {
	switch {
	case in.service == "eks":
		return &apiError{status: http.StatusTooManyRequests, code: "ThrottlingException", message: "Rate exceeded"}
	case in.protocol == protoEC2:
		return &apiError{status: http.StatusServiceUnavailable, code: "RequestLimitExceeded", message: "Request limit exceeded."}
	case in.protocol == protoQuery:
		return &apiError{status: http.StatusBadRequest, code: "Throttling", message: "Rate exceeded"}
	case in.protocol == protoJSON:
		return &apiError{status: http.StatusBadRequest, code: "ThrottlingException", message: "Rate exceeded"}
	}
	return &apiError{status: http.StatusTooManyRequests, code: "ThrottlingException", message: "Rate exceeded"}
}

func serverError(in *request) *apiError {
	msg := "We encountered an internal error. Please try again."
	code := "InternalFailure"
	switch in.service {
	case "eks":
		code = "ServerException"
	case "iam":
		code = "ServiceFailure"
	case "ec2":
		code = "InternalError"
	case "kms":
		code = "KMSInternalException"
	}
	return &apiError{status: http.StatusInternalServerError, code: code, message: msg}
}

// writeError writes e in the error shape of the request's protocol, so that
// the SDK decodes it into the modelled error type.
func writeError(w http.ResponseWriter, in *request, e *apiError) {
	rid := newUUID()
	h := w.Header()
	var body []byte
	switch in.protocol {
	case protoRESTJSON, protoJSON:
		m := map[string]string{"message": e.message}
		for k, v := range e.fields {
			m[k] = v
		}
		if in.protocol == protoJSON {
			m["__type"] = e.code
			h.Set("Content-Type", "application/x-amz-json-1.1")
		} else {
			h.Set("Content-Type", "application/json")
		}
		h.Set("X-Amzn-Errortype", e.code)
		h.Set("X-Amzn-Requestid", rid)
		body, _ = json.Marshal(m)
	case protoEC2:
		var b bytes.Buffer
		b.WriteString(xml.Header)
		b.WriteString("<Response><Errors><Error><Code>")
		xmlText(&b, e.code)
		b.WriteString("</Code><Message>")
		xmlText(&b, e.message)
		b.WriteString("</Message></Error></Errors><RequestID>")
		b.WriteString(rid)
		b.WriteString("</RequestID></Response>")
		body = b.Bytes()
		h.Set("Content-Type", "text/xml;charset=UTF-8")
	default: // query
		typ := "Sender"
		if e.status >= 500 {
			typ = "Receiver"
		}
		var b bytes.Buffer
		b.WriteString("<ErrorResponse><Error><Type>")
		b.WriteString(typ)
		b.WriteString("</Type><Code>")
		xmlText(&b, e.code)
		b.WriteString("</Code><Message>")
		xmlText(&b, e.message)
		b.WriteString("</Message></Error><RequestId>")
		b.WriteString(rid)
		b.WriteString("</RequestId></ErrorResponse>")
		body = b.Bytes()
		h.Set("Content-Type", "text/xml")
		h.Set("X-Amzn-Requestid", rid)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.status)
	_, _ = w.Write(body)
}

func xmlText(b *bytes.Buffer, s string) { _ = xml.EscapeText(b, []byte(s)) }

// writeJSON writes a 200 REST-JSON response.
func writeJSON(w http.ResponseWriter, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "awsproxy: encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-Requestid", newUUID())
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// newUUID returns a random version 4 UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// randomID returns n random lower-case alphanumeric characters.
func randomID(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
