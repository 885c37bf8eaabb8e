package awsproxy

import (
	"net/http"
	"net/url"
	"strings"
)

// Names under which the proxy counts requests it cannot place.
const (
	// UnknownOperation is the operation of requests whose operation the
	// proxy cannot work out, such as an unmapped EKS path.
	UnknownOperation = "Unknown"
	// UnknownService is the service of requests without a SigV4
	// credential scope.
	UnknownService = "unknown"
)

// protocol is an AWS wire protocol; it decides the shape of error responses.
type protocol int

const (
	protoRESTJSON protocol = iota // EKS
	protoQuery                    // IAM, STS
	protoEC2                      // EC2
	protoJSON                     // KMS and other X-Amz-Target services
)

// request is what the proxy knows about an incoming request.
type request struct {
	service   string
	operation string
	region    string
	accessKey string
	protocol  protocol
	params    map[string]string // EKS path labels
	form      url.Values        // query-protocol parameters
	body      []byte
}

// identify works out service, operation and region of r, whose body has been
// read into body.
func identify(r *http.Request, body []byte) *request {
	in := &request{service: UnknownService, operation: UnknownOperation, body: body}
	in.accessKey, in.region, in.service = credentialScope(r)

	target := r.Header.Get("X-Amz-Target")
	switch {
	case target != "":
		in.protocol = protoJSON
		if i := strings.LastIndexByte(target, '.'); i >= 0 && i < len(target)-1 {
			in.operation = target[i+1:]
		}
	case in.service == "eks":
		in.protocol = protoRESTJSON
		if op, params, ok := matchEKS(r.Method, r.URL); ok {
			in.operation, in.params = op, params
		}
	default:
		in.form = queryParams(r, body)
		switch {
		case in.service == "ec2":
			in.protocol = protoEC2
		case in.form.Get("Action") != "" || in.service == "iam" || in.service == "sts":
			in.protocol = protoQuery
		default:
			in.protocol = protoRESTJSON
		}
		if a := in.form.Get("Action"); a != "" {
			in.operation = a
		}
	}
	return in
}

// credentialScope returns access key, region and service of a SigV4 (or
// SigV4a) signature, from the Authorization header or, for presigned URLs,
// the X-Amz-Credential query parameter.
func credentialScope(r *http.Request) (akid, region, service string) {
	cred := ""
	if auth := r.Header.Get("Authorization"); auth != "" {
		if i := strings.Index(auth, "Credential="); i >= 0 {
			cred = auth[i+len("Credential="):]
			if j := strings.IndexAny(cred, ", "); j >= 0 {
				cred = cred[:j]
			}
		}
	}
	if cred == "" {
		cred = r.URL.Query().Get("X-Amz-Credential")
	}
	parts := strings.Split(cred, "/")
	switch {
	case len(parts) >= 5: // AKID/date/region/service/aws4_request
		akid, region, service = parts[0], parts[2], strings.ToLower(parts[3])
	case len(parts) == 4: // SigV4a: AKID/date/service/aws4_request
		akid, service = parts[0], strings.ToLower(parts[2])
	}
	if service == "" {
		service = UnknownService
	}
	return akid, region, service
}

// queryParams returns the query-protocol parameters: the form body of a
// POST, merged with the URL query.
func queryParams(r *http.Request, body []byte) url.Values {
	v := r.URL.Query()
	if r.Method == http.MethodPost && len(body) > 0 {
		ct := r.Header.Get("Content-Type")
		if ct == "" || strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
			if f, err := url.ParseQuery(string(body)); err == nil {
				for k, vs := range f {
					v[k] = append(v[k], vs...)
				}
			}
		}
	}
	return v
}

// eksRoute maps an HTTP method and path pattern to an EKS operation. Labels
// in braces match one path segment; they are stored under their name.
type eksRoute struct {
	method, pattern, op string
}

// eksRoutes is the EKS REST binding, from the API reference.
var eksRoutes = []eksRoute{
	{"POST", "/clusters", "CreateCluster"},
	{"GET", "/clusters", "ListClusters"},
	{"GET", "/clusters/{cluster}", "DescribeCluster"},
	{"DELETE", "/clusters/{cluster}", "DeleteCluster"},
	{"POST", "/clusters/{cluster}/update-config", "UpdateClusterConfig"},
	{"POST", "/clusters/{cluster}/updates", "UpdateClusterVersion"},
	{"GET", "/clusters/{cluster}/updates", "ListUpdates"},
	{"GET", "/clusters/{cluster}/updates/{update}", "DescribeUpdate"},
	{"POST", "/clusters/{cluster}/updates/{update}/cancel-update", "CancelUpdate"},
	{"POST", "/clusters/{cluster}/encryption-config/associate", "AssociateEncryptionConfig"},
	{"POST", "/clusters/{cluster}/identity-provider-configs/associate", "AssociateIdentityProviderConfig"},
	{"POST", "/clusters/{cluster}/identity-provider-configs/disassociate", "DisassociateIdentityProviderConfig"},
	{"POST", "/clusters/{cluster}/identity-provider-configs/describe", "DescribeIdentityProviderConfig"},
	{"GET", "/clusters/{cluster}/identity-provider-configs", "ListIdentityProviderConfigs"},
	{"POST", "/clusters/{cluster}/fargate-profiles", "CreateFargateProfile"},
	{"GET", "/clusters/{cluster}/fargate-profiles", "ListFargateProfiles"},
	{"GET", "/clusters/{cluster}/fargate-profiles/{profile}", "DescribeFargateProfile"},
	{"DELETE", "/clusters/{cluster}/fargate-profiles/{profile}", "DeleteFargateProfile"},
	{"POST", "/clusters/{cluster}/node-groups", "CreateNodegroup"},
	{"GET", "/clusters/{cluster}/node-groups", "ListNodegroups"},
	{"GET", "/clusters/{cluster}/node-groups/{nodegroup}", "DescribeNodegroup"},
	{"DELETE", "/clusters/{cluster}/node-groups/{nodegroup}", "DeleteNodegroup"},
	{"POST", "/clusters/{cluster}/node-groups/{nodegroup}/update-config", "UpdateNodegroupConfig"},
	{"POST", "/clusters/{cluster}/node-groups/{nodegroup}/update-version", "UpdateNodegroupVersion"},
	{"POST", "/clusters/{cluster}/addons", "CreateAddon"},
	{"GET", "/clusters/{cluster}/addons", "ListAddons"},
	{"GET", "/clusters/{cluster}/addons/{addon}", "DescribeAddon"},
	{"DELETE", "/clusters/{cluster}/addons/{addon}", "DeleteAddon"},
	{"POST", "/clusters/{cluster}/addons/{addon}/update", "UpdateAddon"},
	{"GET", "/addons/supported-versions", "DescribeAddonVersions"},
	{"GET", "/addons/configuration-schemas", "DescribeAddonConfiguration"},
	{"POST", "/clusters/{cluster}/access-entries", "CreateAccessEntry"},
	{"GET", "/clusters/{cluster}/access-entries", "ListAccessEntries"},
	{"GET", "/clusters/{cluster}/access-entries/{principal}", "DescribeAccessEntry"},
	{"POST", "/clusters/{cluster}/access-entries/{principal}", "UpdateAccessEntry"},
	{"DELETE", "/clusters/{cluster}/access-entries/{principal}", "DeleteAccessEntry"},
	{"POST", "/clusters/{cluster}/access-entries/{principal}/access-policies", "AssociateAccessPolicy"},
	{"GET", "/clusters/{cluster}/access-entries/{principal}/access-policies", "ListAssociatedAccessPolicies"},
	{"DELETE", "/clusters/{cluster}/access-entries/{principal}/access-policies/{policy}", "DisassociateAccessPolicy"},
	{"GET", "/access-policies", "ListAccessPolicies"},
	{"POST", "/clusters/{cluster}/pod-identity-associations", "CreatePodIdentityAssociation"},
	{"GET", "/clusters/{cluster}/pod-identity-associations", "ListPodIdentityAssociations"},
	{"GET", "/clusters/{cluster}/pod-identity-associations/{association}", "DescribePodIdentityAssociation"},
	{"POST", "/clusters/{cluster}/pod-identity-associations/{association}", "UpdatePodIdentityAssociation"},
	{"DELETE", "/clusters/{cluster}/pod-identity-associations/{association}", "DeletePodIdentityAssociation"},
	{"POST", "/clusters/{cluster}/capabilities", "CreateCapability"},
	{"GET", "/clusters/{cluster}/capabilities", "ListCapabilities"},
	{"GET", "/clusters/{cluster}/capabilities/{capability}", "DescribeCapability"},
	{"POST", "/clusters/{cluster}/capabilities/{capability}", "UpdateCapability"},
	{"DELETE", "/clusters/{cluster}/capabilities/{capability}", "DeleteCapability"},
	{"POST", "/clusters/{cluster}/certificate-authorities", "CreateCertificateAuthority"},
	{"GET", "/clusters/{cluster}/certificate-authorities", "ListCertificateAuthorities"},
	{"GET", "/clusters/{cluster}/certificate-authorities/{ca}", "DescribeCertificateAuthority"},
	{"DELETE", "/clusters/{cluster}/certificate-authorities/{ca}", "DeleteCertificateAuthority"},
	{"POST", "/clusters/{cluster}/certificate-authorities/{ca}/activate", "ActivateCertificateAuthority"},
	{"POST", "/clusters/{cluster}/insights", "ListInsights"},
	{"GET", "/clusters/{cluster}/insights/{insight}", "DescribeInsight"},
	{"GET", "/clusters/{cluster}/insights-refresh", "DescribeInsightsRefresh"},
	{"POST", "/clusters/{cluster}/insights-refresh", "StartInsightsRefresh"},
	{"GET", "/cluster-versions", "DescribeClusterVersions"},
	{"POST", "/cluster-registrations", "RegisterCluster"},
	{"DELETE", "/cluster-registrations/{cluster}", "DeregisterCluster"},
	{"POST", "/eks-anywhere-subscriptions", "CreateEksAnywhereSubscription"},
	{"GET", "/eks-anywhere-subscriptions", "ListEksAnywhereSubscriptions"},
	{"GET", "/eks-anywhere-subscriptions/{subscription}", "DescribeEksAnywhereSubscription"},
	{"POST", "/eks-anywhere-subscriptions/{subscription}", "UpdateEksAnywhereSubscription"},
	{"DELETE", "/eks-anywhere-subscriptions/{subscription}", "DeleteEksAnywhereSubscription"},
	{"GET", "/tags/{arn}", "ListTagsForResource"},
	{"POST", "/tags/{arn}", "TagResource"},
	{"DELETE", "/tags/{arn}", "UntagResource"},
}

// matchEKS finds the EKS operation of a request. Path labels are matched on
// the escaped path, so that a label holding an ARN with "/" (sent as %2F)
// stays one segment, and are returned unescaped.
func matchEKS(method string, u *url.URL) (string, map[string]string, bool) {
	segs := strings.Split(strings.Trim(u.EscapedPath(), "/"), "/")
	for _, rt := range eksRoutes {
		if rt.method != method {
			continue
		}
		pat := strings.Split(strings.Trim(rt.pattern, "/"), "/")
		if len(pat) != len(segs) {
			continue
		}
		params := map[string]string{}
		ok := true
		for i, p := range pat {
			if strings.HasPrefix(p, "{") {
				v, err := url.PathUnescape(segs[i])
				if err != nil || v == "" {
					ok = false
					break
				}
				params[strings.Trim(p, "{}")] = v
				continue
			}
			if p != segs[i] {
				ok = false
				break
			}
		}
		if ok {
			return rt.op, params, true
		}
	}
	return "", nil, false
}
