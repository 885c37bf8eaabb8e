package access

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/yaml"

	"github.com/fargatekit/fargatekit/eksfargate/observe"
)

// The aws-auth ConfigMap: where it lives and its keys.
const (
	AWSAuthNamespace   = "kube-system"
	AWSAuthName        = "aws-auth"
	AWSAuthMapRoles    = "mapRoles"
	AWSAuthMapUsers    = "mapUsers"
	AWSAuthMapAccounts = "mapAccounts"
	// AWSAuthManagedAnnotation is the annotation on aws-auth in which
	// fargatekit records the ARNs of the mappings it wrote (a JSON list of
	// canonical ARNs). Only those are ever removed; every other entry is
	// preserved as it is.
	AWSAuthManagedAnnotation = "fargatekit.io/managed-mappings"
)

// Usernames EKS gives node roles in aws-auth. The Fargate pod execution role
// is mapped to FargateNodeUsername with the groups system:bootstrappers,
// system:nodes and system:node-proxier; removing that entry stops every
// Fargate pod from being scheduled.
const (
	FargateNodeUsername = "system:node:{{SessionName}}"
	EC2NodeUsername     = "system:node:{{EC2PrivateDNSName}}"
)

// RoleMapping is an entry of aws-auth's mapRoles.
type RoleMapping struct {
	// RoleARN is the IAM role, without its path: the authenticator compares
	// it with the role of the caller's assumed-role ARN, which has none.
	RoleARN string `json:"rolearn,omitempty"`
	// SSO matches an IAM Identity Center permission set instead of RoleARN.
	SSO *AWSAuthSSO `json:"sso,omitempty"`
	// Username in Kubernetes; may contain {{AccountID}}, {{SessionName}}
	// and {{EC2PrivateDNSName}}.
	Username string `json:"username"`
	// Groups in Kubernetes.
	Groups []string `json:"groups,omitempty"`
}

// AWSAuthSSO is the sso matcher of a mapRoles entry (aws-iam-authenticator):
// it matches the roles IAM Identity Center creates for a permission set.
type AWSAuthSSO struct {
	// PermissionSetName is the name of the permission set.
	PermissionSetName string `json:"permissionSetName"`
	// AccountID is the account of the role.
	AccountID string `json:"accountID"`
	// Partition, default "aws".
	Partition string `json:"partition,omitempty"`
}

// UserMapping is an entry of aws-auth's mapUsers.
type UserMapping struct {
	// UserARN is the IAM user.
	UserARN string `json:"userarn"`
	// Username in Kubernetes.
	Username string `json:"username"`
	// Groups in Kubernetes.
	Groups []string `json:"groups,omitempty"`
}

// AWSAuth is the typed content of the aws-auth ConfigMap.
type AWSAuth struct {
	// MapRoles maps IAM roles.
	MapRoles []RoleMapping `json:"mapRoles,omitempty"`
	// MapUsers maps IAM users.
	MapUsers []UserMapping `json:"mapUsers,omitempty"`
	// MapAccounts lists accounts whose users are mapped automatically.
	MapAccounts []string `json:"mapAccounts,omitempty"`
}

// AWSAuthError is a malformed aws-auth ConfigMap: which key, where, and why.
type AWSAuthError struct {
	// Key is mapRoles, mapUsers or mapAccounts.
	Key string
	// Line is the 1-based line within the key's value; 0 when unknown.
	Line int
	// Index is the 0-based list entry, or -1 when the list itself is wrong.
	Index int
	// Err is the parser's error.
	Err error
}

// Error says which key and line are malformed, and why.
func (e *AWSAuthError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "aws-auth %s", e.Key)
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d", e.Line)
	}
	if e.Index >= 0 {
		fmt.Fprintf(&b, " (entry %d)", e.Index)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

// Unwrap returns the parser's error.
func (e *AWSAuthError) Unwrap() error { return e.Err }

// ParseAWSAuth parses the data of the aws-auth ConfigMap strictly: unknown
// fields, duplicate keys, wrong types and entries without an ARN are errors
// (an *AWSAuthError naming the key and line). Keys other than mapRoles,
// mapUsers and mapAccounts are ignored; empty or missing keys are empty
// lists.
func ParseAWSAuth(data map[string]string) (*AWSAuth, error) {
	var a AWSAuth
	roles, err := awsAuthParseList[RoleMapping](AWSAuthMapRoles, data[AWSAuthMapRoles])
	if err != nil {
		return nil, err
	}
	for _, r := range roles {
		a.MapRoles = append(a.MapRoles, r.value)
	}
	users, err := awsAuthParseList[UserMapping](AWSAuthMapUsers, data[AWSAuthMapUsers])
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		a.MapUsers = append(a.MapUsers, u.value)
	}
	accts, err := awsAuthParseList[string](AWSAuthMapAccounts, data[AWSAuthMapAccounts])
	if err != nil {
		return nil, err
	}
	for _, s := range accts {
		a.MapAccounts = append(a.MapAccounts, s.value)
	}
	return &a, nil
}

// awsAuthEntry is one parsed list entry and the source text it came from.
type awsAuthEntry[T any] struct {
	value T
	// line is the 1-based line where the entry starts; 0 when the list is
	// not a block sequence.
	line int
	// text is the entry's source (block sequences only), including the
	// comments and blank lines that follow it.
	text string
}

// awsAuthUnknownFieldRE finds the field of encoding/json's unknown-field
// error, which has no type of its own.
var awsAuthUnknownFieldRE = regexp.MustCompile(`unknown field "([^"]+)"`)

// awsAuthFieldLine returns the 1-based line of chunk where the unknown field
// of err is written, or 0.
func awsAuthFieldLine(chunk string, err error) int {
	m := awsAuthUnknownFieldRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	for i, l := range strings.Split(chunk, "\n") {
		t := strings.TrimLeft(strings.TrimSpace(l), "- ")
		if strings.HasPrefix(t, m[1]+":") {
			return i + 1
		}
	}
	return 0
}

// awsAuthLineRE finds the line number in errors of the YAML parser.
var awsAuthLineRE = regexp.MustCompile(`line (\d+)`)

func awsAuthErrLine(err error) int {
	m := awsAuthLineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// awsAuthChunk is the source of one list entry: the comment lines right
// above it, the entry, and what follows it up to the next chunk.
type awsAuthChunk struct {
	text  string
	start int // 1-based first line of text
	dash  int // 1-based line of the entry's "-"
}

// awsAuthChunks splits the source of a YAML block sequence into its prefix
// (blank lines, a document marker) and one chunk per entry. ok is false
// when text is not a plain block sequence (flow style, a mapping, odd
// indentation).
func awsAuthChunks(text string) (prefix string, chunks []awsAuthChunk, indent string, ok bool) {
	src := strings.SplitAfter(text, "\n")
	if len(src) > 0 && src[len(src)-1] == "" {
		src = src[:len(src)-1]
	}
	base := -1
	var dashes []int // 0-based
	for i, l := range src {
		t := strings.TrimLeft(l, " ")
		trim := strings.TrimSpace(l)
		if trim == "" || strings.HasPrefix(trim, "#") || (base < 0 && trim == "---") {
			continue
		}
		ind := len(l) - len(t)
		switch {
		case base < 0:
			if !awsAuthIsDash(t) {
				return "", nil, "", false
			}
			base = ind
			dashes = append(dashes, i)
		case ind == base && awsAuthIsDash(t):
			dashes = append(dashes, i)
		case ind <= base:
			return "", nil, "", false
		}
	}
	if base < 0 {
		return "", nil, "", false
	}
	// Comment lines right above an entry belong to it.
	starts := make([]int, len(dashes))
	for k, d := range dashes {
		s := d
		floor := 0
		if k > 0 {
			floor = dashes[k-1] + 1 // the previous entry's dash line stays with it
		}
		for s-1 >= floor && strings.HasPrefix(strings.TrimSpace(src[s-1]), "#") {
			s--
		}
		starts[k] = s
	}
	prefix = strings.Join(src[:starts[0]], "")
	for k := range dashes {
		end := len(src)
		if k+1 < len(dashes) {
			end = starts[k+1]
		}
		c := strings.Join(src[starts[k]:end], "")
		if !strings.HasSuffix(c, "\n") {
			c += "\n"
		}
		chunks = append(chunks, awsAuthChunk{text: c, start: starts[k] + 1, dash: dashes[k] + 1})
	}
	return prefix, chunks, strings.Repeat(" ", base), true
}

func awsAuthIsDash(t string) bool {
	return t == "-" || t == "-\n" || strings.HasPrefix(t, "- ") || strings.HasPrefix(t, "-\t")
}

// awsAuthParseList parses one key of aws-auth strictly into entries, keeping
// the source of each entry when the list is a block sequence.
func awsAuthParseList[T any](key, text string) ([]awsAuthEntry[T], error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	var all []T
	err := yaml.UnmarshalStrict([]byte(text), &all)
	_, chunks, _, chunked := awsAuthChunks(text)
	if err != nil {
		// Find the entry at fault for a precise line.
		if chunked {
			for i, c := range chunks {
				var one []T
				if cerr := yaml.UnmarshalStrict([]byte(c.text), &one); cerr != nil {
					line := c.dash
					if rel := awsAuthErrLine(cerr); rel > 0 {
						line = c.start + rel - 1
					} else if rel := awsAuthFieldLine(c.text, cerr); rel > 0 {
						line = c.start + rel - 1
					}
					return nil, &AWSAuthError{Key: key, Line: line, Index: i, Err: awsAuthCleanErr(cerr)}
				}
			}
		}
		var anything any
		if yaml.Unmarshal([]byte(text), &anything) == nil {
			if _, isList := anything.([]any); !isList {
				return nil, &AWSAuthError{Key: key, Line: 1, Index: -1, Err: fmt.Errorf("want a YAML list of entries, got %s", awsAuthKind(anything))}
			}
		}
		return nil, &AWSAuthError{Key: key, Line: awsAuthErrLine(err), Index: -1, Err: awsAuthCleanErr(err)}
	}
	out := make([]awsAuthEntry[T], len(all))
	for i, v := range all {
		out[i].value = v
	}
	// Keep the entries' source only if each chunk is exactly its entry.
	if chunked && len(chunks) == len(all) {
		match := true
		for i, c := range chunks {
			var one []T
			if yaml.UnmarshalStrict([]byte(c.text), &one) != nil || len(one) != 1 || !reflect.DeepEqual(one[0], all[i]) {
				match = false
				break
			}
		}
		if match {
			for i := range out {
				out[i].line, out[i].text = chunks[i].dash, chunks[i].text
			}
		}
	}
	for i, e := range out {
		if err := awsAuthCheckEntry(any(e.value)); err != nil {
			return nil, &AWSAuthError{Key: key, Line: e.line, Index: i, Err: err}
		}
	}
	return out, nil
}

func awsAuthKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "a mapping"
	case string:
		return "a string"
	case float64, int64, int:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

// awsAuthCleanErr drops sigs.k8s.io/yaml's "error converting YAML to JSON:"
// prefixes, keeping the cause.
func awsAuthCleanErr(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

func awsAuthCheckEntry(v any) error {
	switch m := v.(type) {
	case RoleMapping:
		if m.RoleARN == "" && m.SSO == nil {
			return errors.New("entry has neither rolearn nor sso")
		}
		if m.RoleARN != "" && m.SSO != nil {
			return errors.New("entry has both rolearn and sso")
		}
		if m.RoleARN != "" {
			if _, err := ParsePrincipalARN(m.RoleARN); err != nil {
				return err
			}
		}
	case UserMapping:
		if m.UserARN == "" {
			return errors.New("entry has no userarn")
		}
		if _, err := ParsePrincipalARN(m.UserARN); err != nil {
			return err
		}
	case string:
		if m == "" {
			return errors.New("empty account ID")
		}
	}
	return nil
}

// PrincipalARN is a parsed IAM role or user ARN.
type PrincipalARN struct {
	// Partition, for example "aws".
	Partition string
	// AccountID is the 12-digit account.
	AccountID string
	// Type is "role" or "user".
	Type string
	// Path is the IAM path, "/" when none.
	Path string
	// Name of the role or user.
	Name string
}

// ParsePrincipalARN parses arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME or
// …:user/[PATH/]NAME. Assumed-role (sts) ARNs are refused: they name one
// session, not a principal.
func ParsePrincipalARN(s string) (PrincipalARN, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" {
		return PrincipalARN{}, fmt.Errorf("%q is not an ARN", s)
	}
	if parts[2] == "sts" {
		return PrincipalARN{}, fmt.Errorf("%q is an STS session ARN; use the IAM role ARN", s)
	}
	if parts[2] != "iam" || parts[3] != "" {
		return PrincipalARN{}, fmt.Errorf("%q is not an IAM ARN", s)
	}
	if len(parts[4]) != 12 || strings.Trim(parts[4], "0123456789") != "" {
		return PrincipalARN{}, fmt.Errorf("%q: account %q is not 12 digits", s, parts[4])
	}
	p := PrincipalARN{Partition: parts[1], AccountID: parts[4]}
	res := parts[5]
	slash := strings.IndexByte(res, '/')
	if slash < 0 {
		return PrincipalARN{}, fmt.Errorf("%q names neither a role nor a user", s)
	}
	p.Type = res[:slash]
	if p.Type != "role" && p.Type != "user" {
		return PrincipalARN{}, fmt.Errorf("%q names a %q; want a role or user", s, p.Type)
	}
	rest := res[slash+1:]
	last := strings.LastIndexByte(rest, '/')
	p.Name = rest[last+1:]
	p.Path = "/" + rest[:last+1]
	if last < 0 {
		p.Path = "/"
	}
	if p.Name == "" || strings.Contains(p.Path, "//") {
		return PrincipalARN{}, fmt.Errorf("%q: malformed %s name or path", s, p.Type)
	}
	return p, nil
}

// String returns the ARN.
func (p PrincipalARN) String() string {
	return "arn:" + p.Partition + ":iam::" + p.AccountID + ":" + p.Type + p.Path + p.Name
}

// WithoutPath returns the ARN without its path, as aws-auth needs role ARNs.
func (p PrincipalARN) WithoutPath() string {
	return "arn:" + p.Partition + ":iam::" + p.AccountID + ":" + p.Type + "/" + p.Name
}

// awsAuthKey is how aws-auth entries are matched: roles without path, and
// case-insensitively (the authenticator lower-cases ARNs).
func awsAuthKey(arn string) string {
	if p, err := ParsePrincipalARN(arn); err == nil && p.Type == "role" {
		return strings.ToLower(p.WithoutPath())
	}
	return strings.ToLower(arn)
}

// AWSAuthEdit is a change to aws-auth: mappings to add or update, matched by
// ARN (a role ARN's path is dropped), and ARNs whose mappings to remove.
// Entries it does not name are kept byte for byte.
type AWSAuthEdit struct {
	// Upsert adds or updates these mappings; the ARN's type (role or user)
	// decides between mapRoles and mapUsers.
	Upsert []Mapping
	// Remove deletes the mappings of these ARNs.
	Remove []string
}

// AWSAuthResult says what an edit did.
type AWSAuthResult struct {
	// Added, Updated and Removed list ARNs, in the order of the edit.
	Added, Updated, Removed []string
	// Created is true when the ConfigMap did not exist.
	Created bool
	// Attempts counts read-modify-write attempts (1 without conflicts).
	Attempts int
	// ResourceVersion of the ConfigMap after the edit.
	ResourceVersion string
}

// Changed reports whether the edit changed anything.
func (r *AWSAuthResult) Changed() bool {
	return r.Created || len(r.Added)+len(r.Updated)+len(r.Removed) > 0
}

// AWSAuthNodeMappingError refuses an edit that would change or remove a
// node mapping (username system:node:…), such as the Fargate pod execution
// role's: without it no Fargate pod is scheduled.
type AWSAuthNodeMappingError struct {
	// ARN of the node mapping.
	ARN string
	// Username of the node mapping.
	Username string
}

// Error explains the refusal.
func (e *AWSAuthNodeMappingError) Error() string {
	return fmt.Sprintf("aws-auth: refusing to change the node mapping of %s (username %s): EKS maintains it, and Fargate pods are not scheduled without it", e.ARN, e.Username)
}

// awsAuthIsNodeUsername reports whether a username is a node identity.
func awsAuthIsNodeUsername(u string) bool { return strings.HasPrefix(u, "system:node:") }

// EditAWSAuthData applies edit to the data of the aws-auth ConfigMap and
// returns the new data. It is pure: it parses data strictly (a malformed
// ConfigMap is an *AWSAuthError and nothing changes), keeps keys it does not
// know, keeps the source text of untouched entries, updates an entry in place
// when its ARN exists (removing later duplicates of it), and refuses to touch
// node mappings (*AWSAuthNodeMappingError).
func EditAWSAuthData(data map[string]string, edit AWSAuthEdit) (map[string]string, *AWSAuthResult, error) {
	res := &AWSAuthResult{}
	roles, err := awsAuthParseList[RoleMapping](AWSAuthMapRoles, data[AWSAuthMapRoles])
	if err != nil {
		return nil, nil, err
	}
	users, err := awsAuthParseList[UserMapping](AWSAuthMapUsers, data[AWSAuthMapUsers])
	if err != nil {
		return nil, nil, err
	}
	if _, err := awsAuthParseList[string](AWSAuthMapAccounts, data[AWSAuthMapAccounts]); err != nil {
		return nil, nil, err
	}
	roleEd := awsAuthEditor[RoleMapping]{entries: roles, arn: func(m RoleMapping) string { return m.RoleARN }, user: func(m RoleMapping) string { return m.Username }}
	userEd := awsAuthEditor[UserMapping]{entries: users, arn: func(m UserMapping) string { return m.UserARN }, user: func(m UserMapping) string { return m.Username }}
	for _, arn := range edit.Remove {
		p, err := ParsePrincipalARN(arn)
		if err != nil {
			return nil, nil, fmt.Errorf("aws-auth: remove: %w", err)
		}
		var removed bool
		if p.Type == "role" {
			removed, err = roleEd.remove(arn)
		} else {
			removed, err = userEd.remove(arn)
		}
		if err != nil {
			return nil, nil, err
		}
		if removed {
			res.Removed = append(res.Removed, arn)
		}
	}
	for _, m := range edit.Upsert {
		p, err := ParsePrincipalARN(m.ARN)
		if err != nil {
			return nil, nil, fmt.Errorf("aws-auth: %w", err)
		}
		username := m.AWSAuthUsername()
		var added, updated bool
		if p.Type == "role" {
			added, updated, err = roleEd.upsert(RoleMapping{RoleARN: p.WithoutPath(), Username: username, Groups: m.Groups})
		} else {
			added, updated, err = userEd.upsert(UserMapping{UserARN: m.ARN, Username: username, Groups: m.Groups})
		}
		if err != nil {
			return nil, nil, err
		}
		switch {
		case added:
			res.Added = append(res.Added, m.ARN)
		case updated:
			res.Updated = append(res.Updated, m.ARN)
		}
	}
	out := make(map[string]string, len(data)+2)
	for k, v := range data {
		out[k] = v
	}
	if roleEd.changed {
		out[AWSAuthMapRoles] = roleEd.render(data[AWSAuthMapRoles])
	}
	if userEd.changed {
		out[AWSAuthMapUsers] = userEd.render(data[AWSAuthMapUsers])
	}
	return out, res, nil
}

// awsAuthEditor edits one list of aws-auth, keeping the source of the
// entries it does not touch.
type awsAuthEditor[T any] struct {
	entries []awsAuthEntry[T]
	arn     func(T) string
	user    func(T) string
	changed bool
}

func (e *awsAuthEditor[T]) remove(arn string) (bool, error) {
	key := awsAuthKey(arn)
	kept := e.entries[:0:0]
	removed := false
	for _, ent := range e.entries {
		if awsAuthKey(e.arn(ent.value)) == key {
			if awsAuthIsNodeUsername(e.user(ent.value)) {
				return false, &AWSAuthNodeMappingError{ARN: e.arn(ent.value), Username: e.user(ent.value)}
			}
			removed = true
			continue
		}
		kept = append(kept, ent)
	}
	if removed {
		e.entries = kept
		e.changed = true
	}
	return removed, nil
}

func (e *awsAuthEditor[T]) upsert(v T) (added, updated bool, err error) {
	key := awsAuthKey(e.arn(v))
	first := -1
	kept := e.entries[:0:0]
	for _, ent := range e.entries {
		if awsAuthKey(e.arn(ent.value)) != key {
			kept = append(kept, ent)
			continue
		}
		if awsAuthIsNodeUsername(e.user(ent.value)) {
			return false, false, &AWSAuthNodeMappingError{ARN: e.arn(ent.value), Username: e.user(ent.value)}
		}
		if first >= 0 { // a duplicate of the same ARN: drop it
			updated = true
			continue
		}
		first = len(kept)
		if !awsAuthSameMapping(ent.value, v) {
			ent = awsAuthEntry[T]{value: v}
			updated = true
		}
		kept = append(kept, ent)
	}
	if first < 0 {
		kept = append(kept, awsAuthEntry[T]{value: v})
		added = true
	}
	e.entries = kept
	if added || updated {
		e.changed = true
	}
	return added, updated, nil
}

// awsAuthSameMapping compares two mappings as the authenticator would:
// the same ARN (ignoring case), username and groups in order.
func awsAuthSameMapping[T any](a, b T) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if bytes.Equal(ja, jb) {
		return true
	}
	var ma, mb map[string]any
	_ = json.Unmarshal(ja, &ma)
	_ = json.Unmarshal(jb, &mb)
	for _, k := range []string{"rolearn", "userarn"} {
		if sa, ok := ma[k].(string); ok {
			if sb, ok := mb[k].(string); ok && strings.EqualFold(sa, sb) {
				ma[k], mb[k] = "", ""
			}
		}
	}
	return reflect.DeepEqual(ma, mb)
}

// render writes the list back: untouched entries as they were, new and
// changed ones as sigs.k8s.io/yaml renders them (the style EKS uses), at the
// list's indentation. A list whose entries' source could not be kept (flow
// style) is rendered anew.
func (e *awsAuthEditor[T]) render(orig string) string {
	if len(e.entries) == 0 {
		return ""
	}
	prefix, _, indent, ok := awsAuthChunks(orig)
	if !ok {
		prefix, indent = "", ""
	}
	var b strings.Builder
	b.WriteString(prefix)
	for _, ent := range e.entries {
		if ent.text != "" && ok {
			b.WriteString(ent.text)
			continue
		}
		y, err := yaml.Marshal([]T{ent.value})
		if err != nil { // cannot happen for these plain types
			panic(fmt.Sprintf("aws-auth: render: %v", err))
		}
		for _, l := range strings.SplitAfter(string(y), "\n") {
			if l != "" {
				b.WriteString(indent + l)
			}
		}
	}
	return b.String()
}

// AWSAuthUsername is the username the mapping gets in aws-auth: Username,
// or by default what EKS gives an access entry: the user ARN for users, and
// arn:PARTITION:sts::ACCOUNT:assumed-role/NAME/{{SessionName}} for roles.
func (m Mapping) AWSAuthUsername() string {
	if m.Username != "" {
		return m.Username
	}
	p, err := ParsePrincipalARN(m.ARN)
	if err != nil {
		return ""
	}
	if p.Type == "role" {
		return "arn:" + p.Partition + ":sts::" + p.AccountID + ":assumed-role/" + p.Name + "/{{SessionName}}"
	}
	return m.ARN
}

// AWSAuthOptions configure ApplyAWSAuth. The zero value works.
type AWSAuthOptions struct {
	// Logger receives a line per attempt. nil means zap.NewNop().
	Logger *zap.Logger
	// Backoff between attempts after a conflict. Default: 10 attempts,
	// from 10 ms growing by half each time, with jitter (about 1.5 s in
	// all), enough for a handful of concurrent writers.
	Backoff wait.Backoff
	// NoCreate fails instead of creating a missing ConfigMap.
	NoCreate bool
}

// ApplyAWSAuth applies edit to the aws-auth ConfigMap with optimistic
// concurrency: each attempt reads the latest version, edits it with
// EditAWSAuthData, and writes it back against that resourceVersion; on a
// conflict (another writer got in between) it reads again and redoes the
// edit (retry.OnError on Conflict, as retry.RetryOnConflict does, and on
// AlreadyExists for two creators), so a concurrent writer's change is never
// overwritten. A missing
// ConfigMap is created. A malformed one is an error and nothing is written.
// The ARNs written are recorded in AWSAuthManagedAnnotation; removed ones
// leave it.
func ApplyAWSAuth(ctx context.Context, client kubernetes.Interface, edit AWSAuthEdit, opts ...func(*AWSAuthOptions)) (*AWSAuthResult, error) {
	var o AWSAuthOptions
	for _, f := range opts {
		f(&o)
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Backoff.Steps == 0 {
		o.Backoff = wait.Backoff{Steps: 10, Duration: 10 * time.Millisecond, Factor: 1.5, Jitter: 0.5, Cap: 2 * time.Second}
	}
	cms := client.CoreV1().ConfigMaps(AWSAuthNamespace)
	var res *AWSAuthResult
	attempts := 0
	err := retry.OnError(o.Backoff, func(err error) bool {
		return apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err)
	}, func() error {
		attempts++
		if err := ctx.Err(); err != nil {
			return err
		}
		cm, err := observe.ConfigMap(ctx, client, AWSAuthNamespace, AWSAuthName)
		create := false
		switch {
		case apierrors.IsNotFound(err):
			if o.NoCreate {
				return fmt.Errorf("aws-auth: %s/%s does not exist", AWSAuthNamespace, AWSAuthName)
			}
			create = true
			cm = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: AWSAuthName, Namespace: AWSAuthNamespace}}
		case err != nil:
			return fmt.Errorf("aws-auth: read: %w", err)
		}
		data, r, err := EditAWSAuthData(cm.Data, edit)
		if err != nil {
			return err
		}
		owned, err := awsAuthOwned(cm)
		if err != nil {
			return err
		}
		for _, a := range edit.Remove {
			delete(owned, awsAuthKey(a))
		}
		for _, m := range edit.Upsert {
			owned[awsAuthKey(m.ARN)] = true
		}
		ann := awsAuthOwnedValue(owned)
		r.Attempts = attempts
		res = r
		if !create && !r.Changed() && cm.Annotations[AWSAuthManagedAnnotation] == ann {
			res.ResourceVersion = cm.ResourceVersion
			return nil
		}
		cm = cm.DeepCopy()
		cm.Data = data
		if len(owned) > 0 || cm.Annotations[AWSAuthManagedAnnotation] != "" {
			if cm.Annotations == nil {
				cm.Annotations = map[string]string{}
			}
			cm.Annotations[AWSAuthManagedAnnotation] = ann
		}
		var out *corev1.ConfigMap
		if create {
			out, err = cms.Create(ctx, cm, metav1.CreateOptions{FieldManager: "fargatekit"})
			res.Created = err == nil
		} else {
			out, err = cms.Update(ctx, cm, metav1.UpdateOptions{FieldManager: "fargatekit"})
		}
		if err != nil {
			o.Logger.Debug("aws-auth write", zap.Int("attempt", attempts), zap.Error(err))
			return err
		}
		res.ResourceVersion = out.ResourceVersion
		o.Logger.Info("aws-auth updated", zap.Int("attempts", attempts), zap.Strings("added", r.Added),
			zap.Strings("updated", r.Updated), zap.Strings("removed", r.Removed))
		return nil
	})
	if err != nil {
		if apierrors.IsConflict(err) {
			return nil, fmt.Errorf("aws-auth: still conflicting after %d attempts: %w", attempts, err)
		}
		return nil, err
	}
	return res, nil
}

// awsAuthOwned reads AWSAuthManagedAnnotation.
func awsAuthOwned(cm *corev1.ConfigMap) (map[string]bool, error) {
	owned := map[string]bool{}
	v := cm.Annotations[AWSAuthManagedAnnotation]
	if v == "" {
		return owned, nil
	}
	var list []string
	if err := json.Unmarshal([]byte(v), &list); err != nil {
		return nil, fmt.Errorf("aws-auth: annotation %s is not a JSON list of ARNs: %w", AWSAuthManagedAnnotation, err)
	}
	for _, a := range list {
		owned[awsAuthKey(a)] = true
	}
	return owned, nil
}

func awsAuthOwnedValue(owned map[string]bool) string {
	list := make([]string, 0, len(owned))
	for k := range owned {
		list = append(list, k)
	}
	sort.Strings(list)
	b, _ := json.Marshal(list)
	return string(b)
}
