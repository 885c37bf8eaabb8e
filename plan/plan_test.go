package plan_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fargatekit/fargatekit/plan"
)

var update = flag.Bool("update", false, "rewrite golden files")

// recorder records the order in which changes finish and the peak concurrency.
type recorder struct {
	mu      sync.Mutex
	order   []string
	running map[string]int
	peak    int
	cur     int
	serial  map[string]int // peak concurrent per serial key
}

func (r *recorder) run(id, serial string, d time.Duration, err error) func(context.Context, plan.Reporter) error {
	return func(ctx context.Context, report plan.Reporter) error {
		r.mu.Lock()
		if r.running == nil {
			r.running, r.serial = map[string]int{}, map[string]int{}
		}
		r.cur++
		if r.cur > r.peak {
			r.peak = r.cur
		}
		if serial != "" {
			r.running[serial]++
			if r.running[serial] > r.serial[serial] {
				r.serial[serial] = r.running[serial]
			}
		}
		r.mu.Unlock()
		report("WORKING")
		select {
		case <-time.After(d):
		case <-ctx.Done():
		}
		r.mu.Lock()
		r.cur--
		if serial != "" {
			r.running[serial]--
		}
		r.order = append(r.order, id)
		r.mu.Unlock()
		return err
	}
}

func TestApplyOrderAndBounds(t *testing.T) {
	var r recorder
	p := &plan.Plan{Changes: []plan.Change{
		{ID: "role", Kind: "iam.role", Action: plan.Create, Run: r.run("role", "", 5*time.Millisecond, nil)},
		{ID: "vpc", Kind: "ec2.vpc", Action: plan.Create, Run: r.run("vpc", "", 5*time.Millisecond, nil)},
		{ID: "cluster", Kind: "eks.cluster", Action: plan.Create, DependsOn: []string{"role", "vpc"}, Run: r.run("cluster", "", 5*time.Millisecond, nil)},
		{ID: "p1", Kind: "eks.fargate-profile", Action: plan.Create, DependsOn: []string{"cluster"}, Serial: "fp/c", Run: r.run("p1", "fp/c", 10*time.Millisecond, nil)},
		{ID: "p2", Kind: "eks.fargate-profile", Action: plan.Create, DependsOn: []string{"cluster"}, Serial: "fp/c", Run: r.run("p2", "fp/c", 10*time.Millisecond, nil)},
		{ID: "p3", Kind: "eks.fargate-profile", Action: plan.Create, DependsOn: []string{"cluster"}, Serial: "fp/c", Run: r.run("p3", "fp/c", 10*time.Millisecond, nil)},
		{ID: "addon", Kind: "eks.addon", Action: plan.Create, DependsOn: []string{"cluster", "gone"}, Run: r.run("addon", "", 5*time.Millisecond, nil)},
		{ID: "noop", Kind: "eks.addon", Action: plan.NoOp, Run: func(context.Context, plan.Reporter) error { t.Error("NoOp change ran"); return nil }},
	}}
	var events atomic.Int32
	err := plan.Apply(context.Background(), p, func(o *plan.Options) {
		o.Concurrency = 2
		o.Progress = func(plan.Event) { events.Add(1) }
	})
	if err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	for i, id := range r.order {
		pos[id] = i
	}
	for _, dep := range [][2]string{{"role", "cluster"}, {"vpc", "cluster"}, {"cluster", "p1"}, {"cluster", "p2"}, {"cluster", "p3"}, {"cluster", "addon"}} {
		if pos[dep[0]] > pos[dep[1]] {
			t.Errorf("%s finished after %s; order %v", dep[0], dep[1], r.order)
		}
	}
	if len(r.order) != 7 {
		t.Errorf("ran %d changes, want 7 (NoOp skipped): %v", len(r.order), r.order)
	}
	if r.peak > 2 {
		t.Errorf("peak concurrency %d, want ≤ 2", r.peak)
	}
	if r.serial["fp/c"] != 1 {
		t.Errorf("peak concurrency of serial key fp/c = %d, want 1 (one profile CREATING per cluster)", r.serial["fp/c"])
	}
	// started + WORKING + done for each of 7 changes.
	if got := events.Load(); got != 21 {
		t.Errorf("progress events = %d, want 21", got)
	}
}

func TestApplyParallelism(t *testing.T) {
	// Independent changes overlap: asserted through peak concurrency, not time.
	var r recorder
	p := &plan.Plan{}
	for _, id := range []string{"a", "b", "c", "d"} {
		p.Changes = append(p.Changes, plan.Change{ID: id, Kind: "k", Action: plan.Update, Run: r.run(id, "", 50*time.Millisecond, nil)})
	}
	if err := plan.Apply(context.Background(), p, func(o *plan.Options) { o.Concurrency = 4 }); err != nil {
		t.Fatal(err)
	}
	if r.peak != 4 {
		t.Errorf("peak concurrency = %d, want 4", r.peak)
	}
}

func TestApplyStopsAtFailure(t *testing.T) {
	var r recorder
	boom := errors.New("boom")
	p := &plan.Plan{Changes: []plan.Change{
		{ID: "a", Kind: "k", Resource: "ra", Action: plan.Create, Run: r.run("a", "", time.Millisecond, boom)},
		{ID: "b", Kind: "k", Action: plan.Create, DependsOn: []string{"a"}, Run: r.run("b", "", time.Millisecond, nil)},
		{ID: "c", Kind: "k", Action: plan.Create, DependsOn: []string{"b"}, Run: r.run("c", "", time.Millisecond, nil)},
	}}
	err := plan.Apply(context.Background(), p)
	var ae *plan.ApplyError
	if !errors.As(err, &ae) || ae.Change.ID != "a" || !errors.Is(err, boom) {
		t.Fatalf("error = %v, want an *ApplyError for change a wrapping boom", err)
	}
	var se *plan.SkippedError
	if !errors.As(err, &se) {
		t.Fatalf("error = %v, want a *SkippedError", err)
	}
	if diff := cmp.Diff([]string{"b", "c"}, se.Changes); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a"}, r.order); diff != "" {
		t.Errorf("ran (-want +got):\n%s", diff)
	}
}

func TestApplyCancelled(t *testing.T) {
	var r recorder
	ctx, cancel := context.WithCancel(context.Background())
	p := &plan.Plan{Changes: []plan.Change{
		{ID: "a", Kind: "k", Action: plan.Create, Run: func(ctx context.Context, rep plan.Reporter) error {
			cancel()
			return nil
		}},
		{ID: "b", Kind: "k", Action: plan.Create, DependsOn: []string{"a"}, Run: r.run("b", "", time.Millisecond, nil)},
	}}
	err := plan.Apply(ctx, p)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	if len(r.order) != 0 {
		t.Errorf("changes ran after cancellation: %v", r.order)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name, reason string
		changes      []plan.Change
		wantErr      bool
	}{
		{"ok", "a chain is valid", []plan.Change{{ID: "a", Action: plan.Create}, {ID: "b", Action: plan.Create, DependsOn: []string{"a"}}}, false},
		{"dangling", "dependencies outside the plan were satisfied earlier", []plan.Change{{ID: "a", Action: plan.Create, DependsOn: []string{"x"}}}, false},
		{"dup", "IDs must be unique", []plan.Change{{ID: "a", Action: plan.Create}, {ID: "a", Action: plan.Create}}, true},
		{"empty", "every change needs an ID", []plan.Change{{Action: plan.Create}}, true},
		{"action", "unknown actions are refused", []plan.Change{{ID: "a", Action: "frobnicate"}}, true},
		{"cycle", "a cycle can never run", []plan.Change{{ID: "a", Action: plan.Create, DependsOn: []string{"c"}}, {ID: "b", Action: plan.Create, DependsOn: []string{"a"}}, {ID: "c", Action: plan.Create, DependsOn: []string{"b"}}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := (&plan.Plan{Changes: tt.changes}).Validate()
			if (err != nil) != tt.wantErr {
				t.Errorf("Validate() = %v, wantErr %v (%s)", err, tt.wantErr, tt.reason)
			}
			if err != nil && plan.Apply(context.Background(), &plan.Plan{Changes: tt.changes}) == nil {
				t.Errorf("Apply ran an invalid plan (%s)", tt.reason)
			}
		})
	}
}

func samplePlan() *plan.Plan {
	return &plan.Plan{Changes: []plan.Change{
		{ID: "iam.role/eksClusterRole", Kind: "iam.role", Resource: "eksClusterRole", Action: plan.Create,
			After: map[string]any{"managedPolicies": []string{"arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"}}, Requirement: "the cluster role is trusted by eks.amazonaws.com"},
		{ID: "eks.cluster/eks-test", Kind: "eks.cluster", Resource: "eks-test", Action: plan.Update, Summary: "logging",
			Before: map[string]any{"logging": []string{"api"}}, After: map[string]any{"logging": []string{"api", "audit"}}, Requirement: "control-plane logging is complete"},
		{ID: "eks.fargate-profile/eks-test/init", Kind: "eks.fargate-profile", Resource: "eks-test/init", Action: plan.Replace, Destructive: true,
			Summary: "selectors are immutable", Before: map[string]any{"namespaces": []string{"default"}}, After: map[string]any{"namespaces": []string{"default", "kube-system"}}},
		{ID: "eks.addon/eks-test/coredns", Kind: "eks.addon", Resource: "eks-test/coredns", Action: plan.NoOp},
		{ID: "iam.policy-attachment/x", Kind: "iam.policy-attachment", Resource: "x", Action: plan.Delete, Destructive: true},
		// An IAM document renders as semantic statement paths; a tag key
		// that is not an identifier is quoted.
		{ID: "iam.role/pod", Kind: "iam.role", Resource: "pod", Action: plan.Update, Summary: "trust policy: add aws:SourceArn condition",
			Requirement: "the cluster role is trusted by eks.amazonaws.com",
			Before: map[string]any{"name": "pod", "tags": map[string]string{"fargatekit.io/cluster": "a"}, "trustPolicy": map[string]any{
				"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": map[string]any{"Service": "eks-fargate-pods.amazonaws.com"}}}}},
			After: map[string]any{"name": "pod", "tags": map[string]string{"fargatekit.io/cluster": "b"}, "trustPolicy": map[string]any{
				"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": map[string]any{"Service": "eks-fargate-pods.amazonaws.com"},
					"Condition": map[string]any{"ArnLike": map[string]any{"aws:SourceArn": "arn:aws:eks:us-west-2:111122223333:fargateprofile/c/*"}}}}}}},
		// Lists of objects with a name pair by it; long values fold.
		{ID: "k8s.configmap/aws-auth", Kind: "k8s.configmap", Resource: "kube-system/ConfigMap/aws-auth", Action: plan.Update,
			Before: map[string]any{"mapRoles": []any{map[string]any{"rolearn": "arn:aws:iam::111122223333:role/a", "groups": []string{"system:masters"}}},
				"config": strings.Repeat("x", 300)},
			After: map[string]any{"mapRoles": []any{map[string]any{"rolearn": "arn:aws:iam::111122223333:role/a", "groups": []string{"viewers"}},
				map[string]any{"rolearn": "arn:aws:iam::111122223333:role/b", "groups": []string{"ops"}}}, "config": strings.Repeat("y", 300)}},
		{ID: "deferred/x", Kind: "fargatekit.deferred", Resource: "eks-test (cluster side)", Action: plan.Update, Deferred: true,
			Summary: "planned after the cluster exists"},
		{ID: "detach", Kind: "iam.role-policy-attachment", Resource: "pod ← AdministratorAccess", Action: plan.Delete, Destructive: true,
			Blocked: "set detachUnmanagedPolicies to detach it"},
	}}
}

func TestRenderGolden(t *testing.T) {
	js, err := json.MarshalIndent(samplePlan(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]byte{
		"plan.txt":          []byte(samplePlan().Text()),
		"plan.json":         append(js, '\n'),
		"empty.txt":         []byte((&plan.Plan{Changes: []plan.Change{{ID: "a", Action: plan.NoOp}}}).Text()),
		"empty-destroy.txt": []byte((&plan.Plan{}).DestroyText()),
	} {
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./plan -update)", err)
		}
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
}

func TestApplyRecoversPanics(t *testing.T) {
	p := &plan.Plan{Changes: []plan.Change{
		{ID: "a", Kind: "k", Action: plan.Create, Run: func(context.Context, plan.Reporter) error { panic("boom") }},
		{ID: "b", Kind: "k", Action: plan.Create, DependsOn: []string{"a"}, Run: func(context.Context, plan.Reporter) error { return nil }},
	}}
	err := plan.Apply(context.Background(), p)
	var pe *plan.PanicError
	if !errors.As(err, &pe) || pe.Value != "boom" {
		t.Fatalf("error = %v, want a *PanicError with the panic value", err)
	}
	var se *plan.SkippedError
	if !errors.As(err, &se) || len(se.Changes) != 1 || se.Changes[0] != "b" {
		t.Errorf("error = %v, want b skipped", err)
	}
}

// TestBlockedIsPendingButNotApplied: a change waiting for an opt-in keeps a
// plan from being empty (so --detailed-exitcode reports it) and is shown,
// but Apply never runs it; the other changes run.
func TestBlockedIsPendingButNotApplied(t *testing.T) {
	var ran []string
	run := func(id string) func(context.Context, plan.Reporter) error {
		return func(context.Context, plan.Reporter) error { ran = append(ran, id); return nil }
	}
	p := &plan.Plan{Changes: []plan.Change{
		{ID: "detach", Kind: "iam.role-policy-attachment", Resource: "r ← AdministratorAccess", Action: plan.Delete, Destructive: true,
			Blocked: "set detachUnmanagedPolicies to detach it", Run: run("detach")},
		{ID: "tag", Kind: "iam.role", Resource: "r", Action: plan.Update, Run: run("tag")},
	}}
	if p.Empty() || len(p.Pending()) != 2 {
		t.Fatalf("Empty %v, Pending %d: a blocked change is pending drift", p.Empty(), len(p.Pending()))
	}
	if txt := p.Text(); !strings.Contains(txt, "[blocked: set detachUnmanagedPolicies to detach it]") {
		t.Errorf("text does not show the block:\n%s", txt)
	}
	if err := plan.Apply(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if len(ran) != 1 || ran[0] != "tag" {
		t.Errorf("ran %v, want only tag", ran)
	}
}

func TestDiffValues(t *testing.T) {
	trust := func(cond map[string]any) map[string]any {
		st := map[string]any{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": map[string]any{"Service": "eks.amazonaws.com"}}
		if cond != nil {
			st["Condition"] = cond
		}
		return map[string]any{"Version": "2012-10-17", "Statement": []any{st}}
	}
	tests := []struct {
		name, reason  string
		before, after any
		want          []string
	}{
		{"equal", "equal values have no attribute lines", map[string]any{"a": 1}, map[string]any{"a": 1}, nil},
		{"scalar list", "a list of scalars is one attribute, shown whole",
			map[string]any{"logging": map[string]any{"types": []string{"api", "audit"}}}, map[string]any{"logging": map[string]any{"types": []string{}}},
			[]string{"~ logging.types: [api, audit] → []"}},
		{"added and removed keys", "keys only on one side are + and -",
			map[string]any{"old": "x"}, map[string]any{"new": true},
			[]string{"+ new: true", "- old: x"}},
		{"quoted", "strings that read as another type, or hold spaces, are quoted",
			map[string]any{"v": "1.33"}, map[string]any{"v": "two words"},
			[]string{`~ v: "1.33" → "two words"`}},
		{"struct", "structs compare by their JSON names, never Go syntax",
			struct {
				Name string `json:"name"`
			}{"a"}, struct {
				Name string `json:"name"`
			}{"b"},
			[]string{"~ name: a → b"}},
		{"policy", "IAM documents compare semantically: a one-element list equals its string",
			map[string]any{"trust": trust(nil)}, map[string]any{"trust": map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
				"Effect": "Allow", "Action": []string{"sts:AssumeRole"}, "Principal": map[string]any{"Service": []string{"eks.amazonaws.com"}}}}}},
			nil},
		{"policy condition", "an added condition is a + statement path",
			map[string]any{"trust": trust(nil)}, map[string]any{"trust": trust(map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": "111122223333"}})},
			[]string{`+ trust.Statement[0].Condition.StringEquals["aws:SourceAccount"]: "111122223333"`}},
		{"keyed list", "objects with a shared name pair by it, not by index",
			[]any{map[string]any{"name": "a", "v": 1}, map[string]any{"name": "b", "v": 2}},
			[]any{map[string]any{"name": "b", "v": 3}},
			[]string{"- [name=a]: {name: a, v: 1}", "~ [name=b].v: 2 → 3"}},
		{"from nothing", "a resource that did not exist lists every attribute as added",
			nil, map[string]any{"a": "x", "b": []int{1}},
			[]string{"+ a: x", "+ b: [1]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, d := range plan.DiffValues(tt.before, tt.after) {
				got = append(got, d.Line(100))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.reason, diff)
			}
		})
	}
}

// TestTextWhyOnce: a requirement shared by several changes is printed once.
func TestTextWhyOnce(t *testing.T) {
	p := &plan.Plan{}
	for _, n := range []string{"a", "b", "c"} {
		p.Changes = append(p.Changes, plan.Change{ID: n, Kind: "ec2.subnet", Resource: n, Action: plan.Create, Requirement: "subnets are private"})
	}
	if got := strings.Count(p.Text(), "why: subnets are private"); got != 1 {
		t.Errorf("requirement printed %d times, want once:\n%s", got, p.Text())
	}
}

// TestDeferredCounts: deferred steps are counted as deferred, never as
// updates, in text and JSON.
func TestDeferredCounts(t *testing.T) {
	p := &plan.Plan{Changes: []plan.Change{
		{ID: "a", Kind: "k", Action: plan.Create},
		{ID: "d1", Kind: "fargatekit.deferred", Action: plan.Update, Deferred: true},
		{ID: "d2", Kind: "fargatekit.deferred", Action: plan.Update, Deferred: true},
	}}
	if txt := p.Text(); !strings.Contains(txt, "1 to create, 0 to update, 0 to replace, 0 to delete, 2 deferred") {
		t.Errorf("text:\n%s", txt)
	}
	var doc struct {
		Summary plan.Summary `json:"summary"`
	}
	b, _ := json.Marshal(p)
	if err := json.Unmarshal(b, &doc); err != nil || doc.Summary != (plan.Summary{Create: 1, Deferred: 2}) {
		t.Errorf("summary %+v (%v)", doc.Summary, err)
	}
}
