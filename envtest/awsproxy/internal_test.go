package awsproxy

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPaginate(t *testing.T) {
	items := []string{"a", "b", "c", "d", "e"}
	var got [][]string
	q := url.Values{"maxResults": {"2"}}
	for {
		page, next, e := paginate(items, q)
		if e != nil {
			t.Fatal(e)
		}
		got = append(got, page)
		if next == "" {
			break
		}
		q.Set("nextToken", next)
	}
	if diff := cmp.Diff([][]string{{"a", "b"}, {"c", "d"}, {"e"}}, got); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
	for _, bad := range []url.Values{{"maxResults": {"0"}}, {"maxResults": {"x"}}, {"nextToken": {"Zm9v"}}, {"nextToken": {"!"}}} {
		if _, _, e := paginate(items, bad); e == nil || e.code != "InvalidParameterException" {
			t.Errorf("paginate(%v) = %v, want InvalidParameterException", bad, e)
		}
	}
}

func TestMergeLogging(t *testing.T) {
	setup := func(on bool, types ...string) any {
		ts := make([]any, len(types))
		for i, x := range types {
			ts[i] = x
		}
		return map[string]any{"types": ts, "enabled": on}
	}
	current := map[string]any{"clusterLogging": []any{setup(false, "api", "audit", "authenticator", "controllerManager", "scheduler")}}
	got, bad := mergeLogging(current, map[string]any{"clusterLogging": []any{setup(true, "scheduler", "api")}})
	if bad != "" {
		t.Fatalf("unexpected bad type %s", bad)
	}
	want := map[string]any{"clusterLogging": []any{
		map[string]any{"types": []string{"api", "scheduler"}, "enabled": true},
		map[string]any{"types": []string{"audit", "authenticator", "controllerManager"}, "enabled": false},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("merged logging (-want +got):\n%s", diff)
	}
	if _, bad := mergeLogging(current, map[string]any{"clusterLogging": []any{setup(true, "kubelet")}}); bad != "kubelet" {
		t.Errorf("unknown log type reported as %q, want kubelet", bad)
	}
}

func FuzzCheckPolicyJSON(f *testing.F) {
	for _, s := range []string{
		`{"Version":"2012-10-17","Statement":[]}`, `{"a":1,}`, `{"a":1,"a":2}`, `[]`, `{}{}`, `{"a":{"b":[1,{"c":2,"c":3}]}}`, ``, `nul`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		if checkPolicyJSON(doc) != nil {
			return
		}
		// Whatever it accepts is one valid JSON object.
		if !json.Valid([]byte(doc)) || !strings.HasPrefix(strings.TrimSpace(doc), "{") {
			t.Errorf("checkPolicyJSON accepted %q", doc)
		}
	})
}

func FuzzIdentify(f *testing.F) {
	f.Add("GET", "/clusters/c1/access-entries/arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fx", "AWS4-HMAC-SHA256 Credential=AK/20260101/eu-west-1/eks/aws4_request", "", "")
	f.Add("POST", "/", "AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/iam/aws4_request", "", "Action=ListRoles")
	f.Add("POST", "/", "Credential=/////", "TrentService.", "{")
	f.Fuzz(func(t *testing.T, method, path, auth, target, body string) {
		r, err := http.NewRequest(method, "http://proxy"+path, bytes.NewReader([]byte(body)))
		if err != nil {
			return
		}
		r.Header.Set("Authorization", auth)
		if target != "" {
			r.Header.Set("X-Amz-Target", target)
		}
		in := identify(r, []byte(body))
		if in.service == "" || in.operation == "" {
			t.Errorf("identify(%s %s) = service %q operation %q; want both set", method, path, in.service, in.operation)
		}
	})
}
