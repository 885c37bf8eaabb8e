package main

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/fargatekit/fargatekit/eksfargate"
	"github.com/fargatekit/fargatekit/plan"
)

// TestClusterProgress: long waits report the state, the time elapsed and
// how long AWS usually takes, one line per report off a terminal.
func TestClusterProgress(t *testing.T) {
	var buf bytes.Buffer
	cmd := &cobra.Command{}
	cmd.SetErr(&buf)
	progress := clusterProgress(cmd)
	c := &plan.Change{ID: "eks.cluster/x", Kind: eksfargate.KindCluster, Action: plan.Create, Resource: "x"}
	progress(plan.Event{Change: c, State: "started"})
	progress(plan.Event{Change: c, State: "CREATING", Elapsed: 90 * time.Second})
	progress(plan.Event{Change: c, State: "CREATING", Elapsed: 150 * time.Second})
	progress(plan.Event{Change: c, State: "done", Elapsed: 600 * time.Second})
	got := buf.String()
	for _, want := range []string{"create eks.cluster x ...", "x: CREATING (1m30s; creating a cluster usually takes about 10 minutes)", "x: CREATING (2m30s;", "create eks.cluster x: done (10m0s)"} {
		if !strings.Contains(got, want) {
			t.Errorf("progress lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "\r") {
		t.Errorf("a non-terminal got carriage returns: %q", got)
	}
	if got := usualDuration(&plan.Change{Kind: eksfargate.KindFargateProfile, Action: plan.Delete}); !strings.Contains(got, "2 to 10 minutes") {
		t.Errorf("profile deletion: %q", got)
	}
}

// TestDescribeKubeCall: a timed-out Kubernetes request whose record is gone
// is still named as the Kubernetes request it was, not as an AWS endpoint.
func TestDescribeKubeCall(t *testing.T) {
	c := describeCall(&url.Error{Op: "Get", URL: "http://127.0.0.1:1/api/v1/serviceaccounts?limit=500", Err: context.DeadlineExceeded})
	if c == nil || c.op != "Kubernetes GET /api/v1/serviceaccounts" || !c.kube || c.host != "127.0.0.1:1" {
		t.Errorf("describeCall = %+v", c)
	}
	if c := describeCall(&url.Error{Op: "Post", URL: "https://sts.us-east-1.amazonaws.com/", Err: context.DeadlineExceeded}); c == nil || c.kube {
		t.Errorf("an AWS endpoint taken for Kubernetes: %+v", c)
	}
}
