package kubeauth_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"

	"github.com/fargatekit/fargatekit/eksfargate/kubeauth"
)

// TestClient: the given client wins; without one the builder runs; without
// either the error names the option to set.
func TestClient(t *testing.T) {
	ctx := context.Background()
	given, err := kubernetes.NewForConfig(&rest.Config{Host: "https://127.0.0.1:1", ContentConfig: rest.ContentConfig{NegotiatedSerializer: scheme.Codecs}})
	if err != nil {
		t.Fatal(err)
	}
	built := 0
	build := func(context.Context) (kubernetes.Interface, error) { built++; return given, nil }
	if k, err := kubeauth.Client(ctx, given, build, "access", "access.Clients.Kube"); err != nil || k != kubernetes.Interface(given) || built != 0 {
		t.Errorf("given client: %v, %v, built %d", k, err, built)
	}
	if k, err := kubeauth.Client(ctx, nil, build, "access", "access.Clients.Kube"); err != nil || k == nil || built != 1 {
		t.Errorf("built client: %v, %v, built %d", k, err, built)
	}
	fail := func(context.Context) (kubernetes.Interface, error) { return nil, errors.New("no endpoint yet") }
	if _, err := kubeauth.Client(ctx, nil, fail, "coredns", "coredns.Clients.Kube"); err == nil || !strings.Contains(err.Error(), "coredns: Kubernetes client: no endpoint yet") {
		t.Errorf("failing builder: %v", err)
	}
	if _, err := kubeauth.Client(ctx, nil, nil, "coredns", "coredns.Clients.Kube"); err == nil || !strings.Contains(err.Error(), "(coredns.Clients.Kube)") {
		t.Errorf("no client: %v", err)
	}
}
