package iamtrust

import (
	"fmt"
	"net/url"
	"strings"
)

// DecodeLive returns the JSON text of a policy document as IAM's API returns
// it. GetRole, ListRoles, GetRolePolicy and GetPolicyVersion return documents
// percent-encoded (RFC 3986), and the AWS SDK for Go does not decode them.
//
// DecodeLive decodes exactly once, and only when it has to: text whose first
// character other than white space and a byte order mark is '{' is already
// JSON and is returned unchanged. Decoding leaves '+' as it is: it is not an
// encoded space, and a policy may hold a literal '+'. An invalid escape is an
// error wrapping url.EscapeError.
func DecodeLive(s string) (string, error) {
	if strings.HasPrefix(strings.TrimLeft(s, " \t\r\n\ufeff"), "{") {
		return s, nil
	}
	d, err := url.PathUnescape(s)
	if err != nil {
		return "", fmt.Errorf("iamtrust: decoding a URL-encoded policy document: %w", err)
	}
	return d, nil
}

// ParseLive parses a policy document as IAM's API returns it: DecodeLive,
// then Parse. The document's Source is the decoded text, and the lines and
// columns of a *SyntaxError refer to it.
func ParseLive(s string) (*Document, error) {
	d, err := DecodeLive(s)
	if err != nil {
		return nil, err
	}
	return parse(d)
}
