package irsa

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// MaxRoleNameLength is IAM's limit on the length of a role name.
const MaxRoleNameLength = 64

// roleNameHashLength is the length of the hash suffix of a shortened name.
const roleNameHashLength = 8

// DefaultRoleName returns the name fargatekit gives the role of a service
// account when ServiceAccountRole.RoleName is empty:
//
//	CLUSTER-NAMESPACE-NAME
//
// Characters IAM does not allow in role names (anything but letters, digits
// and "+=,.@_-") become '-'. A name longer than MaxRoleNameLength (64) keeps
// its first 55 characters and gets '-' and the first 8 hex digits of the
// SHA-256 of "CLUSTER\x00NAMESPACE\x00NAME", so that it stays within the
// limit, stays the same from one run to the next, and differs for service
// accounts that share a long prefix.
//
// Two different service accounts can still map to the same short name when
// their parts differ only in where the '-' falls ("a-b"+"c" against
// "a"+"b-c"); Plan reports such a collision as a validation error, and
// RoleName resolves it.
func DefaultRoleName(cluster, namespace, name string) string {
	base := sanitizeRoleName(cluster + "-" + namespace + "-" + name)
	if len(base) <= MaxRoleNameLength {
		return base
	}
	sum := sha256.Sum256([]byte(cluster + "\x00" + namespace + "\x00" + name))
	suffix := hex.EncodeToString(sum[:])[:roleNameHashLength]
	keep := MaxRoleNameLength - roleNameHashLength - 1
	return strings.TrimRight(base[:keep], "-") + "-" + suffix
}

// sanitizeRoleName replaces every character IAM does not allow in a role
// name with '-'.
func sanitizeRoleName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !isRoleNameChar(c) {
			b[i] = '-'
		}
	}
	return string(b)
}

// isRoleNameChar reports whether c may appear in an IAM role name: letters,
// digits and "+=,.@_-".
func isRoleNameChar(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		strings.IndexByte("+=,.@_-", c) >= 0
}
