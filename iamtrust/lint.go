package iamtrust

import (
	"slices"
	"strconv"
	"strings"
)

// LintOptions tell Lint what the trust policy should name. Every field is
// optional; checks that need a missing one check less.
type LintOptions struct {
	// AccountID is the role's 12-digit account.
	AccountID string
	// Region is the cluster's region.
	Region string
	// Cluster is the cluster's name.
	Cluster string
	// IssuerURL is the cluster's OIDC issuer URL.
	IssuerURL string
}

// Finding is one problem Lint found.
type Finding struct {
	// Check is the ID of the rule that found it, such as "IRSA-02"; see
	// Rules.
	Check string `json:"check"`
	// Severity is the rule's severity.
	Severity Severity `json:"severity"`
	// Message says what is wrong, naming the statement, the key and the
	// expected value.
	Message string `json:"message"`
	// Path is the element at fault, such as
	// `Statement[0].Condition.StringEquals["oidc.eks.us-west-2.amazonaws.com/id/X:sub"]`.
	Path string `json:"path"`
}

// String returns "CHECK SEVERITY PATH: MESSAGE".
func (f Finding) String() string {
	return f.Check + " " + f.Severity.String() + " " + f.Path + ": " + f.Message
}

// Rule describes one check of Lint. The IDs are stable and shared with the
// audit catalogue.
type Rule struct {
	// ID is the stable identifier, such as "IRSA-02".
	ID string
	// Title is a one-line summary.
	Title string
	// Severity is the severity of the rule's findings.
	Severity Severity
	// Doc explains the problem, why it matters and how to fix it.
	Doc string
}

// Rule IDs.
const (
	rulePOL02  = "POL-02"
	ruleIRSA02 = "IRSA-02"
	ruleIRSA03 = "IRSA-03"
	ruleIRSA04 = "IRSA-04"
	ruleIRSA05 = "IRSA-05"
	ruleIRSA06 = "IRSA-06"
	ruleIRSA07 = "IRSA-07"
	ruleIRSA08 = "IRSA-08"
	ruleIAM02  = "IAM-02"
)

// Rules returns the checks Lint runs, in the order their findings appear
// within a statement. The caller may modify the result.
func Rules() []Rule { return slices.Clone(rules[:]) }

// rules is the catalogue Rules returns; it is never modified.
var rules = [...]Rule{
	{rulePOL02, "Policy language version missing or legacy", SeverityMedium,
		`The Version element is absent or "2008-10-17". IAM then uses the original policy language, in which policy variables such as ${aws:username} are literal text, so conditions written with them never match as meant. Set "Version": "2012-10-17".`},
	{ruleIRSA02, "Web identity trust without a subject condition", SeverityCritical,
		`A statement lets an OIDC provider assume the role with sts:AssumeRoleWithWebIdentity but no condition restricts the token's subject (<issuer>:sub). Every service account of the cluster, in every namespace, can then assume the role. Add "StringEquals": {"<issuer>:sub": "system:serviceaccount:<namespace>:<name>"}.`},
	{ruleIRSA03, "Web identity trust without the STS audience", SeverityMedium,
		`A web identity statement has no condition that the token's audience (<issuer>:aud) is sts.amazonaws.com. Tokens minted for other audiences (other services the cluster's tokens are sent to) could then be replayed to assume the role. Add "StringEquals": {"<issuer>:aud": "sts.amazonaws.com"}.`},
	{ruleIRSA04, "Wildcard in the subject condition", SeverityHigh,
		`A StringLike condition on <issuer>:sub holds a wildcard, such as system:serviceaccount:*:*. Every service account whose subject matches the pattern, including ones created later in other namespaces, can assume the role. List the service accounts with StringEquals.`},
	{ruleIRSA05, "Wildcard under a string equality operator", SeverityLow,
		`A value under StringEquals (or StringNotEquals, or their IgnoreCase forms) holds '*' or '?'. These operators compare literally, so the value matches only the same text and in practice never matches: the condition denies what was meant to be allowed (or excludes nothing). Use StringLike if a pattern is meant.`},
	{ruleIRSA06, "Public principal without a restricting condition", SeverityCritical,
		`An Allow statement names "*" or {"AWS": "*"} (or uses NotPrincipal), and no condition restricts the caller. Any principal, in any account, can assume the role. Name the principals, or add a condition on the caller such as aws:PrincipalOrgID or <issuer>:sub.`},
	{ruleIRSA07, "Action does not fit the principal type", SeverityMedium,
		`An Allow statement grants an STS action that its principals cannot call: sts:AssumeRole for a Federated principal, or sts:AssumeRoleWithWebIdentity or sts:AssumeRoleWithSAML for a Service or AWS principal. The intended callers then cannot assume the role. Use sts:AssumeRoleWithWebIdentity for OIDC providers, sts:AssumeRoleWithSAML for SAML providers and sts:AssumeRole for services and AWS principals.`},
	{ruleIRSA08, "Condition keys name another OIDC provider", SeverityHigh,
		`A statement trusts one OIDC provider but its condition keys name another (for example a principal in ap-northeast-1 with keys for us-west-2), or the provider is not the cluster's issuer. Tokens of the trusted provider carry no such keys, so a positive condition never holds (nobody can assume the role) and a negated or IfExists one always holds (it restricts nothing). Use the trusted issuer's host and path in the keys, and trust the cluster's own issuer.`},
	{ruleIAM02, "Fargate pod execution trust not scoped to the cluster", SeverityHigh,
		`A statement lets eks-fargate-pods.amazonaws.com assume the role without an aws:SourceArn condition, or with one that matches profiles of any account, another account, region or cluster, or every cluster. The Fargate service could then be used as a confused deputy to act with the role for someone else's profile. Add "ArnLike": {"aws:SourceArn": "arn:<partition>:eks:<region>:<account>:fargateprofile/<cluster>/*"}.`},
}

func ruleSeverity(id string) Severity {
	for _, r := range rules {
		if r.ID == id {
			return r.Severity
		}
	}
	return SeverityInfo
}

// Lint checks a trust policy for the mistakes listed by Rules and returns
// its findings: document-level ones first, then statement by statement. It
// returns nil when it finds nothing.
func Lint(d *Document, o LintOptions) []Finding {
	if d == nil {
		return nil
	}
	l := linter{o: o, issuer: IssuerHostPath(o.IssuerURL)}
	switch d.Version {
	case "":
		l.add(rulePOL02, "Version", `Version is missing, so IAM uses the legacy 2008-10-17 policy language, in which policy variables are literal text; add "Version": "2012-10-17"`)
	case VersionLegacy:
		l.add(rulePOL02, "Version", `Version is "2008-10-17", the legacy policy language, in which policy variables are literal text; use "2012-10-17"`)
	}
	for i := range d.Statement {
		l.statement(i, &d.Statement[i])
	}
	return l.findings
}

type linter struct {
	o        LintOptions
	issuer   string
	findings []Finding
}

func (l *linter) add(check, path, msg string) {
	l.findings = append(l.findings, Finding{Check: check, Severity: ruleSeverity(check), Message: msg, Path: path})
}

// condEntry is one condition key of a statement, with its parsed operator.
type condEntry struct {
	op     operator
	opName string
	key    ConditionKey
}

func (e condEntry) path(stmt string) string {
	return stmt + ".Condition." + e.opName + "[" + strconv.Quote(e.key.Key) + "]"
}

// restricts reports whether the entry limits the key to its values: a
// positive comparison that fails when the key is absent.
func (e condEntry) restricts() bool {
	return !e.op.ifExists && e.op.set != setAllValues && !e.op.negated() &&
		e.op.base != opUnknown && e.op.base != opNull && e.op.base != opBool
}

// webProviders lists the Federated principals that are web identity
// providers other than IAM OIDC providers.
var webProviders = []string{"cognito-identity.amazonaws.com", "accounts.google.com", "graph.facebook.com", "www.amazon.com"}

// principal kinds for IRSA-07.
const (
	kindAWS = 1 << iota
	kindService
	kindWeb
	kindSAML
)

func (l *linter) statement(i int, st *Statement) {
	path := "Statement[" + strconv.Itoa(i) + "]"
	name := path
	if st.Sid != "" {
		name += " (Sid " + strconv.Quote(st.Sid) + ")"
	}
	var conds []condEntry
	for _, c := range st.Condition {
		op := parseOperator(c.Operator)
		for _, k := range c.Keys {
			conds = append(conds, condEntry{op: op, opName: c.Operator, key: k})
		}
	}
	condPath := path + ".Condition"
	if st.Condition == nil {
		condPath = path
	}
	allow := st.Effect == EffectAllow

	// The OIDC providers the statement trusts, by host and path, and the
	// kinds of its principals.
	var providers, providerARNs []string
	kinds := 0
	var firstPrincipal string
	if st.Principal != nil && !st.Principal.Any {
		for _, e := range st.Principal.Entries {
			for _, v := range e.Values.Items {
				if firstPrincipal == "" {
					firstPrincipal = e.Type + " " + v
				}
				switch e.Type {
				case PrincipalAWS:
					kinds |= kindAWS
				case PrincipalService:
					kinds |= kindService
				case PrincipalFederated:
					a, ok := splitARN(v)
					switch {
					case ok && a.service == "iam" && strings.HasPrefix(a.resource, "oidc-provider/"):
						kinds |= kindWeb
						providers = append(providers, strings.TrimPrefix(a.resource, "oidc-provider/"))
						providerARNs = append(providerARNs, v)
					case ok && a.service == "iam" && strings.HasPrefix(a.resource, "saml-provider/"):
						kinds |= kindSAML
					default:
						for _, w := range webProviders {
							if strings.EqualFold(v, w) {
								kinds |= kindWeb
							}
						}
					}
				}
			}
		}
	}
	webIdentity := allow && len(providers) > 0 && statementCovers(st, ActionAssumeRoleWithWebIdentity)

	if webIdentity {
		l.irsaSubAud(name, condPath, providers, conds)
	}
	if allow {
		for _, e := range conds {
			if !hasSuffixFold(e.key.Key, ":sub") || !e.op.like() {
				continue
			}
			for _, v := range e.key.Values.Items {
				if hasWildcard(v) {
					l.add(ruleIRSA04, e.path(path), name+" lets every service account whose subject matches the pattern "+strconv.Quote(v)+
						" assume the role, including ones created later; list the service accounts with StringEquals "+strconv.Quote(e.key.Key)+": \"system:serviceaccount:<namespace>:<name>\"")
				}
			}
		}
	}
	for _, e := range conds {
		if !e.op.stringEquality() {
			continue
		}
		for _, v := range e.key.Values.Items {
			if !hasWildcard(v) {
				continue
			}
			effect := "so it never matches a real value and the condition fails"
			if e.op.negated() {
				effect = "so it excludes nothing"
			}
			l.add(ruleIRSA05, e.path(path), name+": the value "+strconv.Quote(v)+" holds a wildcard, but "+e.opName+
				" compares literally, "+effect+"; use "+likeFor(e.opName)+" if a pattern is meant")
		}
	}
	if allow {
		l.public(name, path, st, conds)
		l.actionFit(name, path, st, kinds, firstPrincipal)
	}
	if len(providers) > 0 {
		l.providerMismatch(name, path, providers, providerARNs, conds)
	}
	if allow && st.Principal != nil && !st.Principal.Any {
		for _, e := range st.Principal.Entries {
			if e.Type != PrincipalService {
				continue
			}
			if slices.ContainsFunc(e.Values.Items, func(v string) bool { return strings.EqualFold(v, ServiceEKSFargatePods) }) {
				l.fargate(name, path, condPath, conds)
			}
		}
	}
}

// likeFor names the pattern operator that corresponds to an equality one.
func likeFor(op string) string {
	if strings.Contains(op, "Not") {
		return strings.Replace(strings.Replace(op, "StringNotEqualsIgnoreCase", "StringNotLike", 1), "StringNotEquals", "StringNotLike", 1)
	}
	return strings.Replace(strings.Replace(op, "StringEqualsIgnoreCase", "StringLike", 1), "StringEquals", "StringLike", 1)
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

// statementCovers reports whether the statement's Action (or NotAction)
// covers action.
func statementCovers(st *Statement, action string) bool {
	if st.Action.Items != nil {
		return actionMatches(st.Action, action)
	}
	return st.NotAction.Items != nil && !actionMatches(st.NotAction, action)
}

// irsaSubAud runs IRSA-02 and IRSA-03.
func (l *linter) irsaSubAud(name, condPath string, providers []string, conds []condEntry) {
	hasSub := false
	var audValues []string
	hasAud, audOK := false, false
	for _, e := range conds {
		if !e.restricts() || !e.op.positiveString() {
			continue
		}
		switch {
		case hasSuffixFold(e.key.Key, ":sub"):
			hasSub = true
		case hasSuffixFold(e.key.Key, ":aud"):
			hasAud = true
			for _, v := range e.key.Values.Items {
				audValues = append(audValues, v)
				if v == STSAudience {
					audOK = true
				}
			}
		}
	}
	for _, p := range providers {
		if !hasSub {
			l.add(ruleIRSA02, condPath, name+" lets OIDC provider "+p+" assume the role with sts:AssumeRoleWithWebIdentity without a condition on "+
				strconv.Quote(p+":sub")+", so every service account of the cluster can assume it; add \"StringEquals\": {"+
				strconv.Quote(p+":sub")+": \"system:serviceaccount:<namespace>:<name>\"}")
		}
		switch {
		case !hasAud:
			l.add(ruleIRSA03, condPath, name+" lets OIDC provider "+p+" assume the role without a condition on "+strconv.Quote(p+":aud")+
				"; add \"StringEquals\": {"+strconv.Quote(p+":aud")+": \"sts.amazonaws.com\"}")
		case !audOK:
			l.add(ruleIRSA03, condPath, name+" restricts the token audience to "+string(appendValues(nil, audValues))+", not \"sts.amazonaws.com\"; IRSA tokens carry the audience sts.amazonaws.com: use \"StringEquals\": {"+
				strconv.Quote(p+":aud")+": \"sts.amazonaws.com\"}")
		}
	}
}

// public runs IRSA-06.
func (l *linter) public(name, path string, st *Statement, conds []condEntry) {
	var who, at string
	switch {
	case st.Principal != nil && st.Principal.Any:
		who, at = `"*" (every principal, including anonymous callers)`, path+".Principal"
	case st.Principal != nil:
		for _, e := range st.Principal.Entries {
			if e.Type != PrincipalAWS {
				continue
			}
			for _, v := range e.Values.Items {
				if v == "*" {
					who, at = `{"AWS": "*"} (every AWS principal of every account)`, path+".Principal.AWS"
				}
			}
		}
	case st.NotPrincipal != nil:
		who, at = "every principal not listed in NotPrincipal", path+".NotPrincipal"
	}
	if who == "" {
		return
	}
	for _, e := range conds {
		if !e.restricts() {
			continue
		}
		open := true
		for _, v := range e.key.Values.Items {
			if !(e.op.like() && strings.Trim(v, "*") == "") {
				open = false
			}
		}
		if !open {
			return
		}
	}
	l.add(ruleIRSA06, at, name+" allows "+who+" to call "+actionList(st)+" with no condition that restricts the caller, so anyone can assume the role; name the principals, or add a condition on the caller such as \"StringEquals\": {\"aws:PrincipalOrgID\": \"o-…\"}")
}

func actionList(st *Statement) string {
	if st.Action.Items != nil {
		return strings.Join(st.Action.Items, ", ")
	}
	return "every action except " + strings.Join(st.NotAction.Items, ", ")
}

// actionFit runs IRSA-07.
func (l *linter) actionFit(name, path string, st *Statement, kinds int, first string) {
	if kinds == 0 {
		return
	}
	for j, a := range st.Action.Items {
		if hasWildcard(a) {
			continue
		}
		var fits int
		switch strings.ToLower(a) {
		case "sts:assumerole":
			fits = kindAWS | kindService
		case "sts:assumerolewithwebidentity":
			fits = kindWeb
		case "sts:assumerolewithsaml":
			fits = kindSAML
		default:
			continue
		}
		if kinds&fits != 0 {
			continue
		}
		want := ActionAssumeRole + ", which services and AWS principals call"
		switch {
		case kinds&kindWeb != 0:
			want = ActionAssumeRoleWithWebIdentity + ", which web identity (OIDC) federation calls"
		case kinds&kindSAML != 0:
			want = ActionAssumeRoleWithSAML + ", which SAML federation calls"
		}
		at := path + ".Action"
		if !st.Action.Single || len(st.Action.Items) != 1 {
			at += "[" + strconv.Itoa(j) + "]"
		}
		l.add(ruleIRSA07, at, name+" allows "+a+", which its principal ("+first+") cannot call, so the statement grants nothing; use "+want)
	}
}

// providerMismatch runs IRSA-08.
func (l *linter) providerMismatch(name, path string, providers, arns []string, conds []condEntry) {
	trusted := strings.Join(providers, ", ")
	if l.issuer != "" {
		for j, p := range providers {
			if !strings.EqualFold(p, l.issuer) {
				l.add(ruleIRSA08, path+".Principal.Federated", name+" trusts OIDC provider "+p+", but the cluster's issuer is "+l.issuer+
					"; trust "+OIDCProviderARN(arnPartition(arns[j]), arnAccount(arns[j]), l.issuer))
			}
		}
	}
	if l.o.AccountID != "" {
		for _, a := range arns {
			if acct := arnAccount(a); acct != l.o.AccountID {
				l.add(ruleIRSA08, path+".Principal.Federated", name+" trusts OIDC provider "+a+" of account "+acct+", but the role is in account "+l.o.AccountID+
					"; a role trusts the IAM OIDC provider of its own account")
			}
		}
	}
	for _, e := range conds {
		colon := strings.LastIndexByte(e.key.Key, ':')
		if colon < 0 {
			continue
		}
		prefix := e.key.Key[:colon]
		if !strings.ContainsAny(prefix, "./") {
			continue // a global or service key such as aws:SourceArn
		}
		known := false
		for _, p := range providers {
			known = known || strings.EqualFold(prefix, p)
		}
		for _, w := range webProviders {
			known = known || strings.EqualFold(prefix, w)
		}
		if known {
			continue
		}
		effect := "so the condition never holds and the role cannot be assumed through this statement"
		if !e.restricts() {
			effect = "so the condition always holds and restricts nothing"
		}
		fix := "use " + strconv.Quote(providers[0]+e.key.Key[colon:])
		if l.issuer != "" && strings.EqualFold(prefix, l.issuer) {
			fix = "the key names the cluster's issuer, so trust its provider instead"
		}
		l.add(ruleIRSA08, e.path(path), name+" trusts OIDC provider "+trusted+", but the condition key "+strconv.Quote(e.key.Key)+
			" names provider "+prefix+"; tokens of the trusted provider carry no such key, "+effect+"; "+fix)
	}
}

func arnAccount(s string) string {
	a, _ := splitARN(s)
	return a.account
}

func arnPartition(s string) string {
	a, _ := splitARN(s)
	return a.partition
}

// fargate runs IAM-02.
func (l *linter) fargate(name, path, condPath string, conds []condEntry) {
	part := PartitionAWS
	if l.o.Region != "" {
		part = PartitionForRegion(l.o.Region)
	}
	want := FargateProfileARNPattern(part, orPlaceholder(l.o.Region, "<region>"), orPlaceholder(l.o.AccountID, "<account>"), orPlaceholder(l.o.Cluster, "<cluster>"))
	fix := "; want \"ArnLike\": {\"aws:SourceArn\": " + strconv.Quote(want) + "}"
	found := false
	for _, e := range conds {
		if !strings.EqualFold(e.key.Key, "aws:SourceArn") || !e.restricts() || !e.op.positiveString() {
			continue
		}
		found = true
		for _, v := range e.key.Values.Items {
			if problem := l.fargateSourceProblem(v); problem != "" {
				l.add(ruleIAM02, e.path(path), name+": aws:SourceArn "+strconv.Quote(v)+" "+problem+fix)
			}
		}
	}
	if !found {
		l.add(ruleIAM02, condPath, name+" lets "+ServiceEKSFargatePods+" assume the role without an aws:SourceArn condition, so Fargate could be made to use the role for another cluster's or account's profiles (confused deputy)"+fix)
	}
}

func orPlaceholder(s, placeholder string) string {
	if s == "" {
		return placeholder
	}
	return s
}

// fargateSourceProblem says what is wrong with an aws:SourceArn pattern of a
// Fargate pod execution trust, or returns "".
func (l *linter) fargateSourceProblem(v string) string {
	if strings.Trim(v, "*") == "" {
		return "matches every source"
	}
	a, ok := splitARN(v)
	if !ok {
		return "is not an ARN"
	}
	cluster, isProfile := strings.CutPrefix(a.resource, "fargateprofile/")
	if !wildcardMatch(a.service, "eks", false, false) || !isProfile {
		return "does not name Fargate profiles"
	}
	cluster, _, _ = strings.Cut(cluster, "/")
	var problems []string
	switch {
	case hasWildcard(a.account):
		problems = append(problems, "matches profiles of any account")
	case l.o.AccountID != "" && a.account != l.o.AccountID:
		problems = append(problems, "names account "+a.account+", not "+l.o.AccountID)
	}
	if l.o.Region != "" && !wildcardMatch(a.region, l.o.Region, false, false) {
		problems = append(problems, "names region "+a.region+", not "+l.o.Region)
	}
	switch {
	case strings.Trim(cluster, "*") == "":
		problems = append(problems, "matches the profiles of every cluster")
	case l.o.Cluster != "" && !wildcardMatch(cluster, l.o.Cluster, false, false):
		problems = append(problems, "names cluster "+cluster+", not "+l.o.Cluster)
	}
	return strings.Join(problems, " and ")
}
