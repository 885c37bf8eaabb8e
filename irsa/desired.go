package irsa

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/fargatekit/fargatekit/iamtrust"
)

// Limits IAM and Kubernetes put on what a ServiceAccountRole may hold.
const (
	maxTagsPerRole      = 50
	maxTagKeyLength     = 128
	maxTagValueLength   = 256
	maxInlineNameLength = 128
	maxPolicyNameLength = 128
	maxRolePathLength   = 512
	minTokenExpiration  = 600   // kube-apiserver's minimum for projected tokens
	maxTokenExpiration  = 86400 // the EKS pod identity webhook's maximum
	kubeSystem          = "kube-system"
	awsNode             = "aws-node"
	cniPolicyName       = "AmazonEKS_CNI_Policy"
	ipv6PolicySuffix    = "-AmazonEKS_CNI_IPv6_Policy"
)

// desired is the resolved, validated target state: what the spec asks for,
// with defaults filled in and documents built.
type desired struct {
	cluster     Cluster
	partition   string
	providerARN string
	hostPath    string
	roles       []*desiredRole
	// policies are customer managed policies fargatekit owns (the IPv6 CNI
	// policy).
	policies []*desiredPolicy
	vpccni   *desiredCNI
	o        Options
}

// desiredRole is one ServiceAccountRole, resolved.
type desiredRole struct {
	spec  ServiceAccountRole
	field string // "roles[i]"
	name  string
	path  string
	arn   string
	trust *iamtrust.Document
	tags  map[string]string
	// managed are the managed policy ARNs, sorted and unique.
	managed []string
	// inline are the parsed inline policies by name.
	inline map[string]*iamtrust.Document
	// serviceAccounts are the ServiceAccounts to annotate: the role's
	// ServiceAccounts without wildcards.
	serviceAccounts []ServiceAccountRef
	// viaAddon marks the vpc-cni role: when the add-on exists, the add-on
	// (not fargatekit) annotates kube-system/aws-node.
	viaAddon bool
}

// desiredPolicy is a customer managed policy fargatekit creates.
type desiredPolicy struct {
	name string
	arn  string
	doc  *iamtrust.Document
	tags map[string]string
}

// desiredCNI is the resolved VPCCNIOptions.
type desiredCNI struct {
	opts VPCCNIOptions
	role *desiredRole
}

// resolve validates the cluster and the roles and builds the desired state.
// It is pure. Every problem is reported, joined with errors.Join.
func resolve(cluster Cluster, roles []ServiceAccountRole, o Options) (*desired, error) {
	if err := cluster.validate(); err != nil {
		return nil, err
	}
	d := &desired{
		cluster:     cluster,
		partition:   cluster.partition(),
		providerARN: cluster.ProviderARN(),
		hostPath:    iamtrust.IssuerHostPath(cluster.IssuerURL),
		o:           o,
	}
	var v validator
	roles = slices.Clone(roles)
	cniIndex := -1
	if o.VPCCNI != nil {
		idx := slices.IndexFunc(roles, func(r ServiceAccountRole) bool {
			return r.Namespace == kubeSystem && r.Name == awsNode
		})
		if idx < 0 {
			r := ServiceAccountRole{Namespace: kubeSystem, Name: awsNode, RoleName: o.VPCCNI.RoleName}
			if o.VPCCNI.IPv6 {
				p := d.ipv6Policy(o.VPCCNI.IPv6PolicyName)
				d.policies = append(d.policies, p)
				r.ManagedPolicyARNs = []string{p.arn}
			} else {
				r.ManagedPolicyARNs = []string{"arn:" + d.partition + ":iam::aws:policy/" + cniPolicyName}
			}
			roles = append(roles, r)
			idx = len(roles) - 1
		}
		d.vpccni = &desiredCNI{opts: *o.VPCCNI}
		cniIndex = idx
	}
	names := map[string]string{}                // role name → field
	annotated := map[ServiceAccountRef]string{} // ServiceAccount → field
	for i, r := range roles {
		field := "roles[" + strconv.Itoa(i) + "]"
		dr := d.resolveRole(&v, field, r)
		d.roles = append(d.roles, dr)
		if prev, dup := names[dr.name]; dup {
			v.add(field+".roleName", fmt.Sprintf("role %s is also %s's role; let several ServiceAccounts share one role through alsoServiceAccounts", dr.name, prev))
		} else {
			names[dr.name] = field
		}
		for _, sa := range dr.serviceAccounts {
			if prev, dup := annotated[sa]; dup {
				v.add(field, fmt.Sprintf("ServiceAccount %s is also in %s; a ServiceAccount can name only one role", sa, prev))
			} else {
				annotated[sa] = field
			}
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if cniIndex >= 0 {
		d.roles[cniIndex].viaAddon = true
		d.vpccni.role = d.roles[cniIndex]
	}
	return d, nil
}

// ipv6Policy returns the customer managed policy of the VPC CNI for IPv6.
func (d *desired) ipv6Policy(name string) *desiredPolicy {
	if name == "" {
		name = d.cluster.Name + ipv6PolicySuffix
		if len(name) > maxPolicyNameLength {
			name = name[len(name)-maxPolicyNameLength:]
		}
	}
	doc := &iamtrust.Document{
		Version: iamtrust.VersionCurrent,
		Statement: []iamtrust.Statement{
			{
				Sid:    "AssignIPv6",
				Effect: iamtrust.EffectAllow,
				Action: iamtrust.List("ec2:AssignIpv6Addresses", "ec2:DescribeInstances", "ec2:DescribeTags",
					"ec2:DescribeNetworkInterfaces", "ec2:DescribeInstanceTypes"),
				Resource: iamtrust.One("*"),
			},
			{
				Sid:      "TagENIs",
				Effect:   iamtrust.EffectAllow,
				Action:   iamtrust.One("ec2:CreateTags"),
				Resource: iamtrust.One("arn:" + d.partition + ":ec2:*:*:network-interface/*"),
			},
		},
	}
	return &desiredPolicy{
		name: name,
		arn:  "arn:" + d.partition + ":iam::" + d.cluster.AccountID + ":policy/" + name,
		doc:  doc,
		tags: d.tags(nil),
	}
}

// tags returns Options.Tags, then own, then the owner tag.
func (d *desired) tags(own map[string]string) map[string]string {
	t := maps.Clone(d.o.Tags)
	if t == nil {
		t = map[string]string{}
	}
	maps.Copy(t, own)
	t[OwnerTag] = d.cluster.Name
	return t
}

func (d *desired) resolveRole(v *validator, field string, r ServiceAccountRole) *desiredRole {
	dr := &desiredRole{
		spec:  r,
		field: field,
		name:  r.EffectiveRoleName(d.cluster.Name),
		path:  r.EffectiveRolePath(),
	}
	dr.arn = r.RoleARN(d.cluster)
	if r.RoleName != "" {
		switch {
		case len(r.RoleName) > MaxRoleNameLength:
			v.add(field+".roleName", fmt.Sprintf("%q is %d characters; IAM allows %d", r.RoleName, len(r.RoleName), MaxRoleNameLength))
		case strings.IndexFunc(r.RoleName, func(c rune) bool { return c > 127 || !isRoleNameChar(byte(c)) }) >= 0:
			v.add(field+".roleName", fmt.Sprintf("%q holds characters IAM does not allow in role names (only letters, digits and +=,.@_-)", r.RoleName))
		}
	}
	if p := r.RolePath; p != "" {
		if len(p) > maxRolePathLength || !strings.HasPrefix(p, "/") || !strings.HasSuffix(p, "/") || strings.Contains(p, "//") ||
			strings.IndexFunc(p, func(c rune) bool { return c < 0x21 || c > 0x7e }) >= 0 {
			v.add(field+".rolePath", fmt.Sprintf("%q is not an IAM path: '/' or /segments/ of printable ASCII, at most %d characters", p, maxRolePathLength))
		}
	}
	// ServiceAccounts.
	var subjects []iamtrust.ServiceAccount
	for j, sa := range r.ServiceAccounts() {
		sf := field
		if j > 0 {
			sf = field + ".alsoServiceAccounts[" + strconv.Itoa(j-1) + "]"
		}
		wild := false
		for _, part := range []struct{ name, value string }{{"namespace", sa.Namespace}, {"name", sa.Name}} {
			switch {
			case part.value == "":
				v.add(sf+"."+part.name, "is empty")
			case strings.ContainsAny(part.value, "*?"):
				wild = true
				if !r.AllowWildcardSubjects {
					v.add(sf+"."+part.name, fmt.Sprintf("%q holds a wildcard; set allowWildcardSubjects if a pattern is really meant (it widens who may assume the role)", part.value))
				}
			case !isKubeName(part.value, part.name == "namespace"):
				v.add(sf+"."+part.name, fmt.Sprintf("%q is not a valid Kubernetes %s", part.value, map[bool]string{true: "namespace (RFC 1123 label)", false: "ServiceAccount name (RFC 1123 subdomain)"}[part.name == "namespace"]))
			}
		}
		subjects = append(subjects, iamtrust.ServiceAccount{Namespace: sa.Namespace, Name: sa.Name})
		if !wild {
			dr.serviceAccounts = append(dr.serviceAccounts, sa)
		}
	}
	if v.len() == 0 {
		trust, err := iamtrust.IRSATrust(iamtrust.IRSA{
			Partition: d.partition, AccountID: d.cluster.AccountID, IssuerURL: d.cluster.IssuerURL,
			ServiceAccounts: subjects, AllowWildcard: r.AllowWildcardSubjects,
		})
		if err != nil {
			v.add(field, "building the IRSA trust policy: "+err.Error())
		}
		dr.trust = trust
	}
	// Managed policies.
	for j, p := range r.ManagedPolicyARNs {
		d.checkPolicyARN(v, fmt.Sprintf("%s.managedPolicyARNs[%d]", field, j), p)
	}
	dr.managed = slices.Compact(slices.Sorted(slices.Values(r.ManagedPolicyARNs)))
	if r.PermissionsBoundary != "" {
		d.checkPolicyARN(v, field+".permissionsBoundary", r.PermissionsBoundary)
	}
	// Inline policies.
	dr.inline = make(map[string]*iamtrust.Document, len(r.InlinePolicies))
	for _, name := range slices.Sorted(maps.Keys(r.InlinePolicies)) {
		f := field + ".inlinePolicies[" + strconv.Quote(name) + "]"
		if name == "" || len(name) > maxInlineNameLength || strings.IndexFunc(name, func(c rune) bool { return c > 127 || !isRoleNameChar(byte(c)) }) >= 0 {
			v.add(f, fmt.Sprintf("%q is not an inline policy name: 1 to %d letters, digits and +=,.@_-", name, maxInlineNameLength))
		}
		doc, err := iamtrust.Parse([]byte(r.InlinePolicies[name]))
		if err != nil {
			v.addErr(f, err)
			continue
		}
		dr.inline[name] = doc
	}
	// Tags.
	for k, val := range r.Tags {
		f := field + ".tags[" + strconv.Quote(k) + "]"
		switch {
		case k == "" || len(k) > maxTagKeyLength:
			v.add(f, fmt.Sprintf("tag keys have 1 to %d characters", maxTagKeyLength))
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			v.add(f, "the prefix aws: is reserved for AWS")
		case k == OwnerTag && val != d.cluster.Name:
			v.add(f, fmt.Sprintf("%s is fargatekit's owner tag; its value is the cluster name %q", OwnerTag, d.cluster.Name))
		case len(val) > maxTagValueLength:
			v.add(f, fmt.Sprintf("tag values have at most %d characters", maxTagValueLength))
		}
	}
	dr.tags = d.tags(r.Tags)
	if len(dr.tags) > maxTagsPerRole {
		v.add(field+".tags", fmt.Sprintf("%d tags with fargatekit's; IAM allows %d per role", len(dr.tags), maxTagsPerRole))
	}
	if e := r.TokenExpiration; e != nil && (*e < minTokenExpiration || *e > maxTokenExpiration) {
		v.add(field+".tokenExpiration", fmt.Sprintf("%d s is outside %d–%d s (kube-apiserver's minimum, the EKS webhook's maximum)", *e, minTokenExpiration, maxTokenExpiration))
	}
	return dr
}

// checkPolicyARN checks that s is the ARN of an IAM managed policy in the
// cluster's partition.
func (d *desired) checkPolicyARN(v *validator, field, s string) {
	a, err := arn.Parse(s)
	switch {
	case err != nil:
		v.add(field, fmt.Sprintf("%q is not an ARN", s))
	case a.Service != "iam" || !strings.HasPrefix(a.Resource, "policy/"):
		v.add(field, fmt.Sprintf("%q is not the ARN of an IAM managed policy (arn:PARTITION:iam::ACCOUNT:policy/NAME)", s))
	case a.Partition != d.partition:
		v.add(field, fmt.Sprintf("%q is in partition %s; the cluster is in %s", s, a.Partition, d.partition))
	}
}

// isKubeName reports whether s is a namespace (an RFC 1123 label) or a
// ServiceAccount name (an RFC 1123 subdomain).
func isKubeName(s string, label bool) bool {
	limit := 253
	if label {
		limit = 63
	}
	if len(s) > limit {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		edge := i == 0 || i == len(s)-1
		ok := (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (!edge && (c == '-' || (c == '.' && !label)))
		if !ok {
			return false
		}
	}
	return true
}

// validator collects validation problems.
type validator struct{ errs []error }

func (v *validator) add(field, msg string) {
	v.errs = append(v.errs, &ValidationError{Field: field, Msg: msg})
}

// addErr records err for field, keeping it in the chain (a *SyntaxError of
// an inline policy stays reachable with errors.As).
func (v *validator) addErr(field string, err error) {
	v.errs = append(v.errs, &fieldError{ValidationError{Field: field, Msg: err.Error()}, err})
}

func (v *validator) len() int { return len(v.errs) }

func (v *validator) err() error { return errors.Join(v.errs...) }

// fieldError is a ValidationError that wraps the error behind it.
type fieldError struct {
	ValidationError
	err error
}

func (e *fieldError) Unwrap() error { return e.err }

// As lets errors.As find the *ValidationError.
func (e *fieldError) As(target any) bool {
	if t, ok := target.(**ValidationError); ok {
		*t = &e.ValidationError
		return true
	}
	return false
}
