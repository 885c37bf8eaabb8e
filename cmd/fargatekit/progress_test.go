package main

import (
	"bytes"
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
