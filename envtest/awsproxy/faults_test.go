package awsproxy_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/fargatekit/fargatekit/envtest/awsproxy"
)

// serviceCalls is one cheap read per service, for fault tests.
func serviceCalls(c clients) []struct {
	service, op string
	call        func(context.Context) error
} {
	return []struct {
		service, op string
		call        func(context.Context) error
	}{
		{"iam", "ListRoles", func(ctx context.Context) error { _, err := c.iam.ListRoles(ctx, &iam.ListRolesInput{}); return err }},
		{"sts", "GetCallerIdentity", func(ctx context.Context) error {
			_, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		}},
		{"eks", "ListClusters", func(ctx context.Context) error {
			_, err := c.eks.ListClusters(ctx, &eks.ListClustersInput{})
			return err
		}},
		{"ec2", "DescribeVpcs", func(ctx context.Context) error {
			_, err := c.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
			return err
		}},
		{"kms", "ListKeys", func(ctx context.Context) error { _, err := c.kms.ListKeys(ctx, &kms.ListKeysInput{}); return err }},
	}
}

func TestThrottleSurfacesEachServicesError(t *testing.T) {
	a := setup(t)
	const attempts = 3
	c := newClients(a, attempts)
	want := map[string]struct {
		code   string
		status int
	}{
		"iam": {"Throttling", 400},
		"sts": {"Throttling", 400},
		"eks": {"ThrottlingException", 429},
		"ec2": {"RequestLimitExceeded", 503},
		"kms": {"ThrottlingException", 400},
	}
	for _, sc := range serviceCalls(c) {
		t.Run(sc.service, func(t *testing.T) {
			a.Proxy.ResetCounts()
			remove := a.Proxy.AddFault(awsproxy.Fault{Service: sc.service, Rate: 1, Kind: awsproxy.Throttle})
			defer remove()
			err := sc.call(context.Background())
			var ae smithy.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("%s: %v, want an API error", sc.op, err)
			}
			if got := ae.ErrorCode(); got != want[sc.service].code {
				t.Errorf("error code = %s, want %s", got, want[sc.service].code)
			}
			var re interface{ HTTPStatusCode() int }
			if errors.As(err, &re) && re.HTTPStatusCode() != want[sc.service].status {
				t.Errorf("HTTP status = %d, want %d", re.HTTPStatusCode(), want[sc.service].status)
			}
			// The standard retryer classifies every one of them as a throttle
			// and retries until it gives up.
			if got := a.Proxy.Count(sc.service, sc.op); got != attempts {
				t.Errorf("Count(%s, %s) = %d, want %d attempts", sc.service, sc.op, got, attempts)
			}
			if got := a.Proxy.FaultCount(sc.service, sc.op); got != attempts {
				t.Errorf("FaultCount = %d, want %d", got, attempts)
			}
		})
	}
	// The modelled error types, where the service models one.
	_, err := c.eks.ListClusters(context.Background(), &eks.ListClustersInput{})
	if err != nil {
		t.Fatalf("ListClusters after the faults were removed: %v", err)
	}
	remove := a.Proxy.AddFault(awsproxy.Fault{Service: "eks"})
	_, err = c.eks.ListClusters(context.Background(), &eks.ListClustersInput{})
	remove()
	var te *ekstypes.ThrottlingException
	if !errors.As(err, &te) {
		t.Errorf("EKS throttle: %v, want *types.ThrottlingException", err)
	}
}

func TestServerErrorIsRetriedAndSurfaces(t *testing.T) {
	a := setup(t)
	const attempts = 3
	c := newClients(a, attempts)
	want := map[string]string{"iam": "ServiceFailure", "sts": "InternalFailure", "eks": "ServerException", "ec2": "InternalError", "kms": "KMSInternalException"}
	for _, sc := range serviceCalls(c) {
		t.Run(sc.service, func(t *testing.T) {
			a.Proxy.ResetCounts()
			remove := a.Proxy.AddFault(awsproxy.Fault{Service: sc.service, Kind: awsproxy.ServerError})
			defer remove()
			err := sc.call(context.Background())
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != want[sc.service] {
				t.Fatalf("%s: %v, want error code %s", sc.op, err, want[sc.service])
			}
			if got := a.Proxy.Count(sc.service, sc.op); got != attempts {
				t.Errorf("Count = %d, want %d: HTTP 500 is retried", got, attempts)
			}
		})
	}
	// Modelled types decode too.
	checks := []struct {
		name  string
		fault awsproxy.Fault
		call  func() error
		is    func(error) bool
	}{
		{"eks", awsproxy.Fault{Service: "eks", Kind: awsproxy.ServerError}, func() error { _, err := c.eks.ListClusters(context.Background(), &eks.ListClustersInput{}); return err },
			func(err error) bool { var e *ekstypes.ServerException; return errors.As(err, &e) }},
		{"iam", awsproxy.Fault{Service: "iam", Kind: awsproxy.ServerError}, func() error { _, err := c.iam.ListRoles(context.Background(), &iam.ListRolesInput{}); return err },
			func(err error) bool { var e *iamtypes.ServiceFailureException; return errors.As(err, &e) }},
		{"kms", awsproxy.Fault{Service: "kms", Kind: awsproxy.ServerError}, func() error { _, err := c.kms.ListKeys(context.Background(), &kms.ListKeysInput{}); return err },
			func(err error) bool { var e *kmstypes.KMSInternalException; return errors.As(err, &e) }},
	}
	for _, ck := range checks {
		remove := a.Proxy.AddFault(ck.fault)
		if err := ck.call(); !ck.is(err) {
			t.Errorf("%s: %v (%T), want the modelled server error type", ck.name, err, errors.Unwrap(err))
		}
		remove()
	}

	// A bounded fault is ridden out.
	a.Proxy.ResetCounts()
	a.Proxy.AddFault(awsproxy.Fault{Service: "iam", Operation: "ListRoles", Kind: awsproxy.ServerError, Times: 2})
	if _, err := c.iam.ListRoles(context.Background(), &iam.ListRolesInput{}); err != nil {
		t.Fatalf("ListRoles with two injected 500s and three attempts: %v", err)
	}
	if got := a.Proxy.Count("iam", "ListRoles"); got != 3 {
		t.Errorf("Count = %d, want 3 (two 500s, then success)", got)
	}
}

func TestRetryerRidesOutThrottling(t *testing.T) {
	a := setup(t)
	c := newClients(a, 10)
	a.Proxy.AddFault(awsproxy.Fault{Service: "iam", Operation: "ListRoles", Rate: 0.5, Kind: awsproxy.Throttle})
	const calls = 20
	for i := range calls {
		if _, err := c.iam.ListRoles(context.Background(), &iam.ListRolesInput{}); err != nil {
			t.Fatalf("ListRoles %d with 50%% throttling: %v", i, err)
		}
	}
	got, faults := a.Proxy.Count("iam", "ListRoles"), a.Proxy.FaultCount("iam", "ListRoles")
	if faults == 0 || faults == got {
		t.Fatalf("FaultCount = %d of %d requests; want some but not all throttled at rate 0.5", faults, got)
	}
	if got != calls+faults {
		t.Errorf("Count = %d, want %d calls + %d retries of throttled requests", got, calls, faults)
	}
	t.Logf("%d calls took %d requests (%d throttled)", calls, got, faults)
}

func TestSeedMakesFaultsReproducible(t *testing.T) {
	a := setup(t)
	c := newClients(a, 1)
	pattern := func() []bool {
		a.Proxy.Reset() // re-seeds
		a.Proxy.AddFault(awsproxy.Fault{Service: "sts", Rate: 0.3})
		var hits []bool
		for range 30 {
			_, err := c.sts.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
			hits = append(hits, err != nil)
		}
		return hits
	}
	first, second := pattern(), pattern()
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("same seed, same requests, different faults (-first +second):\n%s", diff)
	}
}

func TestDropIsRetriedAsConnectionError(t *testing.T) {
	a := setup(t)
	c := newClients(a, 3)
	a.Proxy.AddFault(awsproxy.Fault{Service: "iam", Operation: "ListRoles", Kind: awsproxy.Drop, Times: 1})
	if _, err := c.iam.ListRoles(context.Background(), &iam.ListRolesInput{}); err != nil {
		t.Fatalf("ListRoles with one dropped connection: %v", err)
	}
	if got := a.Proxy.Count("iam", "ListRoles"); got != 2 {
		t.Errorf("Count = %d, want 2 (dropped, then retried)", got)
	}
	calls := a.Proxy.Calls()
	var statuses []int
	var kinds []awsproxy.FaultKind
	for _, call := range calls {
		statuses = append(statuses, call.Status)
		kinds = append(kinds, call.Fault)
	}
	if diff := cmp.Diff([]int{0, 200}, statuses); diff != "" {
		t.Errorf("call statuses (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]awsproxy.FaultKind{awsproxy.Drop, 0}, kinds); diff != "" {
		t.Errorf("call faults (-want +got):\n%s", diff)
	}

	// Without retries the SDK reports a connection error, not an API error.
	c1 := newClients(a, 1)
	a.Proxy.AddFault(awsproxy.Fault{Service: "sts", Kind: awsproxy.Drop, Times: 1})
	_, err := c1.sts.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	var ae smithy.APIError
	if err == nil || errors.As(err, &ae) {
		t.Errorf("GetCallerIdentity on a dropped connection: %v, want a connection error", err)
	}
}

func TestLatencyFault(t *testing.T) {
	a := setup(t)
	c := newClients(a, 1)
	// Warm moto's STS up first: its first call after a reset is slow.
	if _, err := c.sts.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	a.Proxy.AddFault(awsproxy.Fault{Service: "sts", Kind: awsproxy.Latency, Latency: 150 * time.Millisecond, Times: 1})
	start := time.Now()
	if _, err := c.sts.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 150*time.Millisecond {
		t.Errorf("first call took %s, want the 150ms injected latency", took)
	}
	start = time.Now()
	if _, err := c.sts.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took >= 150*time.Millisecond {
		t.Errorf("second call took %s; the fault should have retired after one hit", took)
	}
	if got := a.Proxy.FaultCount("sts", ""); got != 1 {
		t.Errorf("FaultCount = %d, want 1", got)
	}
}

func TestCountersAddUp(t *testing.T) {
	a := setup(t)
	c := newClients(a, 1)
	ctx := context.Background()
	for range 2 {
		if _, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.iam.ListRoles(ctx, &iam.ListRolesInput{}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := c.eks.ListClusters(ctx, &eks.ListClustersInput{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.eks.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("missing")}); err == nil {
		t.Fatal("DescribeCluster of a missing cluster succeeded")
	}
	remove := a.Proxy.AddFault(awsproxy.Fault{Service: "kms"})
	_, _ = c.kms.ListKeys(ctx, &kms.ListKeysInput{})
	remove()

	want := map[string]map[string]int{
		"sts": {"GetCallerIdentity": 2},
		"iam": {"ListRoles": 1},
		"eks": {"ListClusters": 3, "DescribeCluster": 1},
		"kms": {"ListKeys": 1},
	}
	if diff := cmp.Diff(want, a.Proxy.Counts()); diff != "" {
		t.Errorf("Counts (-want +got):\n%s", diff)
	}
	sum := 0
	for _, ops := range a.Proxy.Counts() {
		for _, n := range ops {
			sum += n
		}
	}
	if got := a.Proxy.Total(); got != sum || got != 8 {
		t.Errorf("Total = %d, sum of Counts = %d, want both 8", got, sum)
	}
	if got := len(a.Proxy.Calls()); got != 8 {
		t.Errorf("len(Calls) = %d, want 8", got)
	}
	if diff := cmp.Diff(map[string]map[string]int{"kms": {"ListKeys": 1}}, a.Proxy.FaultCounts()); diff != "" {
		t.Errorf("FaultCounts (-want +got):\n%s", diff)
	}
	if got := a.Proxy.Count("EKS", ""); got != 4 {
		t.Errorf(`Count("EKS", "") = %d, want 4: service match ignores case, empty operation matches all`, got)
	}
	a.Proxy.ResetCounts()
	if got := a.Proxy.Total(); got != 0 || len(a.Proxy.Counts()) != 0 || a.Proxy.FaultTotal() != 0 {
		t.Errorf("after ResetCounts: Total %d, Counts %v, FaultTotal %d; want all zero", got, a.Proxy.Counts(), a.Proxy.FaultTotal())
	}
}

// TestIdentify checks service and operation identification on raw
// requests, and the error shape of each protocol, without moto: a Throttle
// fault on everything answers before the upstream is contacted.
func TestIdentify(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("upstream reached by %s %s", r.Method, r.URL)
	}))
	defer upstream.Close()
	p, err := awsproxy.New(upstream.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.AddFault(awsproxy.Fault{})
	srv := httptest.NewServer(p)
	defer srv.Close()

	auth := func(service string) string {
		return "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-1/" + service + "/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
	}
	role := url.PathEscape("arn:aws:iam::123456789012:role/path/admin")
	tests := []struct {
		name        string
		reason      string
		method      string
		path        string
		header      map[string]string
		body        string
		service, op string
		status      int
		errType     string // X-Amzn-Errortype header, for JSON protocols
		bodyHas     string
	}{
		{"eks-list", "REST-JSON: method and path", "GET", "/clusters", map[string]string{"Authorization": auth("eks")}, "",
			"eks", "ListClusters", 429, "ThrottlingException", `"message"`},
		{"eks-describe-access-entry", "a principal ARN label is one escaped segment", "GET", "/clusters/c1/access-entries/" + role, map[string]string{"Authorization": auth("eks")}, "",
			"eks", "DescribeAccessEntry", 429, "ThrottlingException", ""},
		{"eks-disassociate", "two ARN labels", "DELETE", "/clusters/c1/access-entries/" + role + "/access-policies/" + url.PathEscape("arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"), map[string]string{"Authorization": auth("eks")}, "",
			"eks", "DisassociateAccessPolicy", 429, "ThrottlingException", ""},
		{"eks-update-addon", "POST on a sub-resource", "POST", "/clusters/c1/addons/coredns/update", map[string]string{"Authorization": auth("eks")}, "{}",
			"eks", "UpdateAddon", 429, "ThrottlingException", ""},
		{"eks-cluster-versions", "top-level resource", "GET", "/cluster-versions?defaultOnly=true", map[string]string{"Authorization": auth("eks")}, "",
			"eks", "DescribeClusterVersions", 429, "ThrottlingException", ""},
		{"eks-unknown", "an unmapped path", "GET", "/no/such/thing", map[string]string{"Authorization": auth("eks")}, "",
			"eks", "Unknown", 429, "ThrottlingException", ""},
		{"iam-form", "query protocol: Action in the form body", "POST", "/", map[string]string{"Authorization": auth("iam"), "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, "Action=CreateRole&Version=2010-05-08&RoleName=x",
			"iam", "CreateRole", 400, "", "<Code>Throttling</Code>"},
		{"sts-presigned", "presigned URL: X-Amz-Credential and Action in the query", "GET", "/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Credential=" + url.QueryEscape("AKIDEXAMPLE/20260101/us-east-1/sts/aws4_request"), nil, "",
			"sts", "GetCallerIdentity", 400, "", "<Type>Sender</Type>"},
		{"ec2-form", "EC2 query protocol", "POST", "/", map[string]string{"Authorization": auth("ec2"), "Content-Type": "application/x-www-form-urlencoded"}, "Action=DescribeRouteTables&Version=2016-11-15",
			"ec2", "DescribeRouteTables", 503, "", "<Response><Errors><Error><Code>RequestLimitExceeded</Code>"},
		{"kms-target", "JSON 1.1: X-Amz-Target", "POST", "/", map[string]string{"Authorization": auth("kms"), "X-Amz-Target": "TrentService.DescribeKey", "Content-Type": "application/x-amz-json-1.1"}, `{"KeyId":"x"}`,
			"kms", "DescribeKey", 400, "ThrottlingException", `"__type":"ThrottlingException"`},
		{"unsigned", "no credential scope", "GET", "/", nil, "",
			"unknown", "Unknown", 429, "ThrottlingException", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.ResetCounts()
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if diff := cmp.Diff(map[string]map[string]int{tt.service: {tt.op: 1}}, p.Counts()); diff != "" {
				t.Errorf("Counts (-want +got) (%s):\n%s", tt.reason, diff)
			}
			if resp.StatusCode != tt.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.status)
			}
			if got := resp.Header.Get("X-Amzn-Errortype"); got != tt.errType {
				t.Errorf("X-Amzn-Errortype = %q, want %q", got, tt.errType)
			}
			if !strings.Contains(string(body), tt.bodyHas) {
				t.Errorf("body %s does not contain %s", body, tt.bodyHas)
			}
		})
	}
}

func TestNewRejectsInconsistentOptions(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		opt    func(*awsproxy.Options)
	}{
		{"two-default-versions", "CreateCluster could not pick a default", awsproxy.WithClusterVersions(
			awsproxy.ClusterVersion{Version: "1.35", Status: ekstypes.VersionStatusStandardSupport, Default: true},
			awsproxy.ClusterVersion{Version: "1.34", Status: ekstypes.VersionStatusStandardSupport, Default: true})},
		{"unsupported-default", "the default must be creatable", awsproxy.WithClusterVersions(
			awsproxy.ClusterVersion{Version: "1.29", Status: ekstypes.VersionStatusUnsupported, Default: true})},
		{"bad-status", "only the API's statuses", awsproxy.WithClusterVersions(
			awsproxy.ClusterVersion{Version: "1.35", Status: "standard-support"})},
		{"duplicate-version", "versions are keys", awsproxy.WithClusterVersions(
			awsproxy.ClusterVersion{Version: "1.35", Status: ekstypes.VersionStatusStandardSupport},
			awsproxy.ClusterVersion{Version: "1.35", Status: ekstypes.VersionStatusExtendedSupport})},
		{"two-addon-defaults", "one default add-on version per Kubernetes version", awsproxy.WithAddons(awsproxy.Addon{Name: "x", Versions: []awsproxy.AddonVersion{
			{Version: "v1", ClusterVersions: []string{"1.35"}, DefaultFor: []string{"1.35"}},
			{Version: "v2", ClusterVersions: []string{"1.35"}, DefaultFor: []string{"1.35"}},
		}})},
		{"default-not-compatible", "a default must be compatible", awsproxy.WithAddons(awsproxy.Addon{Name: "x", Versions: []awsproxy.AddonVersion{
			{Version: "v1", ClusterVersions: []string{"1.34"}, DefaultFor: []string{"1.35"}},
		}})},
		{"bad-schema", "the schema must be JSON", awsproxy.WithAddons(awsproxy.Addon{Name: "x", ConfigurationSchema: "{"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := awsproxy.New("http://127.0.0.1:1", tt.opt)
			if !errors.Is(err, awsproxy.ErrInvalidOptions) {
				t.Errorf("New: %v, want ErrInvalidOptions (%s)", err, tt.reason)
			}
		})
	}
	if _, err := awsproxy.New("127.0.0.1:5000"); err == nil {
		t.Error("New accepted an upstream without a scheme")
	}
	p, err := awsproxy.New("http://127.0.0.1:1")
	if err != nil {
		t.Fatalf("New with zero options: %v", err)
	}
	p.Close()
}
