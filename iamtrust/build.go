package iamtrust

import (
	"errors"
	"slices"
	"strconv"
	"strings"
)

// Partitions the builders accept.
const (
	// PartitionAWS is the commercial partition.
	PartitionAWS = "aws"
	// PartitionChina is the China partition (cn-* regions).
	PartitionChina = "aws-cn"
	// PartitionGovCloud is the AWS GovCloud (US) partition (us-gov-* regions).
	PartitionGovCloud = "aws-us-gov"
)

// Service principals and actions used in the trust policies built here.
const (
	// ServiceEKS is the service principal of the EKS cluster role.
	ServiceEKS = "eks.amazonaws.com"
	// ServiceEKSFargatePods is the service principal of the Fargate pod
	// execution role.
	ServiceEKSFargatePods = "eks-fargate-pods.amazonaws.com"
	// ServiceEKSPodIdentity is the service principal of EKS Pod Identity.
	ServiceEKSPodIdentity = "pods.eks.amazonaws.com"
	// ActionAssumeRole lets a service or AWS principal assume a role.
	ActionAssumeRole = "sts:AssumeRole"
	// ActionTagSession lets the caller pass session tags.
	ActionTagSession = "sts:TagSession"
	// ActionAssumeRoleWithWebIdentity lets a web identity (an OIDC token)
	// assume a role.
	ActionAssumeRoleWithWebIdentity = "sts:AssumeRoleWithWebIdentity"
	// ActionAssumeRoleWithSAML lets a SAML assertion assume a role.
	ActionAssumeRoleWithSAML = "sts:AssumeRoleWithSAML"
	// STSAudience is the audience (client ID) of tokens for IRSA.
	STSAudience = "sts.amazonaws.com"
)

// ValidationError reports a builder input that is not valid. Builders report
// every problem at once, joined with errors.Join; use errors.As to get the
// first, or unwrap the join for all.
type ValidationError struct {
	// Field is the path of the input field, such as "AccountID" or
	// "ServiceAccounts[1].Namespace".
	Field string
	// Msg says what is wrong and what is expected.
	Msg string
}

// Error returns "iamtrust: FIELD: MSG".
func (e *ValidationError) Error() string { return "iamtrust: " + e.Field + ": " + e.Msg }

// PartitionForRegion returns the partition of a region: "aws-cn" for cn-*
// regions, "aws-us-gov" for us-gov-* regions and "aws" for every other one.
// The isolated partitions are out of scope.
func PartitionForRegion(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return PartitionChina
	case strings.HasPrefix(region, "us-gov-"):
		return PartitionGovCloud
	}
	return PartitionAWS
}

// validator collects validation problems.
type validator struct{ errs []error }

func (v *validator) add(field, msg string) {
	v.errs = append(v.errs, &ValidationError{Field: field, Msg: msg})
}

func (v *validator) err() error { return errors.Join(v.errs...) }

func (v *validator) partition(field, p string) {
	switch p {
	case PartitionAWS, PartitionChina, PartitionGovCloud:
	default:
		v.add(field, strconv.Quote(p)+` is not a supported partition; want "aws", "aws-cn" or "aws-us-gov"`)
	}
}

func (v *validator) account(field, a string) {
	if !isAccountID(a) {
		v.add(field, strconv.Quote(a)+" is not an AWS account ID (12 digits)")
	}
}

func (v *validator) region(field, r, partition string) {
	if !isRegion(r) {
		if r == "" {
			v.add(field, "is empty; want a region such as us-west-2")
		} else {
			v.add(field, strconv.Quote(r)+" is not a region name such as us-west-2")
		}
		return
	}
	if partition != "" && PartitionForRegion(r) != partition {
		v.add(field, "region "+r+" is in partition "+PartitionForRegion(r)+", not "+partition)
	}
}

// isRegion reports whether s looks like a region name: lower-case words
// joined by '-', the last a number ("us-west-2", "us-gov-east-1").
func isRegion(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 {
		return false
	}
	for i, p := range parts {
		if p == "" {
			return false
		}
		for _, c := range []byte(p) {
			letter, digit := c >= 'a' && c <= 'z', c >= '0' && c <= '9'
			if (i == len(parts)-1 && !digit) || (i < len(parts)-1 && !letter && !digit) {
				return false
			}
		}
	}
	return true
}

// isClusterName reports whether s is a valid EKS cluster name: 1 to 100
// letters, digits, '-' and '_', starting with a letter or digit.
func isClusterName(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for i, c := range []byte(s) {
		alnum := (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
		if !alnum && (i == 0 || (c != '-' && c != '_')) {
			return false
		}
	}
	return true
}

func serviceTrust(partition, service string, actions ...string) (*Document, error) {
	var v validator
	v.partition("partition", partition)
	if err := v.err(); err != nil {
		return nil, err
	}
	return &Document{
		Version: VersionCurrent,
		Statement: []Statement{{
			Effect:    EffectAllow,
			Principal: &Principals{Entries: []PrincipalEntry{{Type: PrincipalService, Values: One(service)}}},
			Action:    actionValues(actions...),
		}},
	}, nil
}

func actionValues(actions ...string) Values {
	if len(actions) == 1 {
		return One(actions[0])
	}
	return List(actions...)
}

// ClusterRoleTrust returns the trust policy of an EKS cluster role: the
// service eks.amazonaws.com (the same in every partition) may call
// sts:AssumeRole and sts:TagSession. The partition is only validated.
func ClusterRoleTrust(partition string) (*Document, error) {
	return serviceTrust(partition, ServiceEKS, ActionAssumeRole, ActionTagSession)
}

// PodIdentityTrust returns the trust policy of a role for EKS Pod Identity:
// the service pods.eks.amazonaws.com may call sts:AssumeRole and
// sts:TagSession. The partition is only validated.
//
// Pod Identity does not work for pods on Fargate: on a Fargate-only cluster
// use IRSATrust.
func PodIdentityTrust(partition string) (*Document, error) {
	return serviceTrust(partition, ServiceEKSPodIdentity, ActionAssumeRole, ActionTagSession)
}

// FargateTrust describes a Fargate pod execution role's trust.
type FargateTrust struct {
	// Partition is "aws", "aws-cn" or "aws-us-gov"; empty means the
	// partition of Region.
	Partition string
	// Region is the cluster's region, such as "us-west-2".
	Region string
	// AccountID is the cluster's 12-digit account ID.
	AccountID string
	// Cluster is the cluster's name.
	Cluster string
}

// FargatePodExecutionTrust returns the trust policy of a Fargate pod
// execution role: the service eks-fargate-pods.amazonaws.com may call
// sts:AssumeRole, but only for the cluster's Fargate profiles, through the
// condition
//
//	"ArnLike": {"aws:SourceArn": "arn:<partition>:eks:<region>:<account>:fargateprofile/<cluster>/*"}
//
// which protects against the confused-deputy problem. Every invalid field is
// reported, as a *ValidationError naming it.
func FargatePodExecutionTrust(t FargateTrust) (*Document, error) {
	var v validator
	if t.Partition == "" {
		t.Partition = PartitionForRegion(t.Region)
	} else {
		v.partition("Partition", t.Partition)
	}
	v.region("Region", t.Region, t.Partition)
	v.account("AccountID", t.AccountID)
	if !isClusterName(t.Cluster) {
		v.add("Cluster", strconv.Quote(t.Cluster)+" is not an EKS cluster name (1 to 100 letters, digits, '-' and '_', starting with a letter or digit)")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	return &Document{
		Version: VersionCurrent,
		Statement: []Statement{{
			Effect:    EffectAllow,
			Principal: &Principals{Entries: []PrincipalEntry{{Type: PrincipalService, Values: One(ServiceEKSFargatePods)}}},
			Action:    One(ActionAssumeRole),
			Condition: []Condition{{
				Operator: "ArnLike",
				Keys:     []ConditionKey{{Key: "aws:SourceArn", Values: One(FargateProfileARNPattern(t.Partition, t.Region, t.AccountID, t.Cluster))}},
			}},
		}},
	}, nil
}

// FargateProfileARNPattern returns the pattern that matches the ARNs of every
// Fargate profile of a cluster:
// "arn:<partition>:eks:<region>:<account>:fargateprofile/<cluster>/*".
func FargateProfileARNPattern(partition, region, accountID, cluster string) string {
	return "arn:" + partition + ":eks:" + region + ":" + accountID + ":fargateprofile/" + cluster + "/*"
}

// IssuerHostPath returns an OIDC issuer URL without its "https://" scheme and
// trailing slash: the form used in OIDC provider ARNs and condition keys
// ("oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE").
func IssuerHostPath(issuerURL string) string {
	s := strings.TrimPrefix(issuerURL, "https://")
	return strings.TrimRight(s, "/")
}

// OIDCProviderARN returns the ARN of the IAM OIDC provider for an issuer:
// "arn:<partition>:iam::<account>:oidc-provider/<issuer host and path>". It
// does not validate its arguments.
func OIDCProviderARN(partition, accountID, issuerURL string) string {
	return "arn:" + partition + ":iam::" + accountID + ":oidc-provider/" + IssuerHostPath(issuerURL)
}

// ServiceAccount names a Kubernetes service account.
type ServiceAccount struct {
	// Namespace is the service account's namespace.
	Namespace string
	// Name is the service account's name.
	Name string
}

// Subject returns the token subject of the service account,
// "system:serviceaccount:<namespace>:<name>".
func (s ServiceAccount) Subject() string {
	return "system:serviceaccount:" + s.Namespace + ":" + s.Name
}

// IRSA describes the trust of a role for IAM roles for service accounts.
type IRSA struct {
	// Partition is "aws", "aws-cn" or "aws-us-gov"; empty means the
	// partition of the issuer's region (oidc.eks.<region>.amazonaws.com),
	// or "aws" when the issuer names none.
	Partition string
	// AccountID is the 12-digit account that holds the OIDC provider.
	AccountID string
	// IssuerURL is the cluster's OIDC issuer (identity.oidc.issuer), such as
	// "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE".
	IssuerURL string
	// ServiceAccounts are the service accounts that may assume the role; at
	// least one.
	ServiceAccounts []ServiceAccount
	// AllowWildcard permits '*' and '?' in namespaces and names. Such
	// subjects are matched with StringLike. Leave it false unless a pattern
	// is really meant: "*" lets every service account of the cluster assume
	// the role.
	AllowWildcard bool
}

// IRSATrust returns the trust policy of a role for IAM roles for service
// accounts: the cluster's OIDC provider may call
// sts:AssumeRoleWithWebIdentity for tokens whose audience is
// sts.amazonaws.com and whose subject is one of the service accounts:
//
//	"StringEquals": {
//	  "<issuer>:sub": "system:serviceaccount:<namespace>:<name>",
//	  "<issuer>:aud": "sts.amazonaws.com"
//	}
//
// Subjects are sorted and de-duplicated. Subjects with wildcards go under
// StringLike, and only when AllowWildcard is set. Every invalid field is
// reported, as a *ValidationError naming it.
func IRSATrust(in IRSA) (*Document, error) {
	var v validator
	hostPath := IssuerHostPath(in.IssuerURL)
	if in.Partition == "" {
		in.Partition = PartitionAWS
		if r, ok := issuerRegion(hostPath); ok {
			in.Partition = PartitionForRegion(r)
		}
	} else {
		v.partition("Partition", in.Partition)
	}
	v.account("AccountID", in.AccountID)
	switch {
	case in.IssuerURL == "":
		v.add("IssuerURL", "is empty; want the cluster's OIDC issuer URL (https://oidc.eks.<region>.amazonaws.com/id/<ID>)")
	case !strings.HasPrefix(in.IssuerURL, "https://"):
		v.add("IssuerURL", strconv.Quote(in.IssuerURL)+" does not start with https://")
	case hostPath == "" || strings.ContainsAny(hostPath, "?#* \t\n") || strings.HasPrefix(hostPath, "/"):
		v.add("IssuerURL", strconv.Quote(in.IssuerURL)+" is not an issuer URL (https://host/path, without query or fragment)")
	}
	if len(in.ServiceAccounts) == 0 {
		v.add("ServiceAccounts", "is empty; want at least one service account")
	}
	var exact, like []string
	for i, sa := range in.ServiceAccounts {
		field := "ServiceAccounts[" + strconv.Itoa(i) + "]"
		wild := false
		for _, f := range [...]struct{ name, value, kind string }{
			{"Namespace", sa.Namespace, "namespace"}, {"Name", sa.Name, "service account name"},
		} {
			switch {
			case f.value == "":
				v.add(field+"."+f.name, "is empty")
			case hasWildcard(f.value) && !in.AllowWildcard:
				v.add(field+"."+f.name, strconv.Quote(f.value)+" holds a wildcard; set AllowWildcard if a pattern is really meant")
			case !isKubeName(f.value, f.name == "Namespace"):
				v.add(field+"."+f.name, strconv.Quote(f.value)+" is not a valid "+f.kind)
			}
			wild = wild || hasWildcard(f.value)
		}
		if wild {
			like = append(like, sa.Subject())
		} else {
			exact = append(exact, sa.Subject())
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	slices.Sort(exact)
	slices.Sort(like)
	exact, like = slices.Compact(exact), slices.Compact(like)
	sub, aud := hostPath+":sub", hostPath+":aud"
	equals := Condition{Operator: "StringEquals"}
	if len(exact) > 0 {
		equals.Keys = append(equals.Keys, ConditionKey{Key: sub, Values: actionValues(exact...)})
	}
	equals.Keys = append(equals.Keys, ConditionKey{Key: aud, Values: One(STSAudience)})
	conds := []Condition{equals}
	if len(like) > 0 {
		conds = append(conds, Condition{Operator: "StringLike", Keys: []ConditionKey{{Key: sub, Values: actionValues(like...)}}})
	}
	return &Document{
		Version: VersionCurrent,
		Statement: []Statement{{
			Effect:    EffectAllow,
			Principal: &Principals{Entries: []PrincipalEntry{{Type: PrincipalFederated, Values: One(OIDCProviderARN(in.Partition, in.AccountID, in.IssuerURL))}}},
			Action:    One(ActionAssumeRoleWithWebIdentity),
			Condition: conds,
		}},
	}, nil
}

// issuerRegion returns the region of an EKS issuer host and path
// ("oidc.eks.<region>.amazonaws.com…").
func issuerRegion(hostPath string) (string, bool) {
	rest, ok := strings.CutPrefix(hostPath, "oidc.eks.")
	if !ok {
		return "", false
	}
	r, _, ok := strings.Cut(rest, ".")
	return r, ok && isRegion(r)
}

// isKubeName reports whether s is a valid namespace (an RFC 1123 label) or
// service account name (an RFC 1123 subdomain), where '*' and '?' stand for
// any valid characters.
func isKubeName(s string, label bool) bool {
	limit := 253
	if label {
		limit = 63
	}
	if len(s) > limit {
		return false
	}
	for i, c := range []byte(s) {
		ok := (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '*' || c == '?' ||
			((c == '-' || (c == '.' && !label)) && i > 0 && i < len(s)-1)
		if !ok {
			return false
		}
	}
	return true
}
