package plan_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/fargatekit/fargatekit/plan"
	"github.com/google/go-cmp/cmp"
)

func TestNewOrdersByDependencies(t *testing.T) {
	ch := func(id string, deps ...string) plan.Change {
		return plan.Change{ID: id, Kind: "k", Action: plan.Create, DependsOn: deps}
	}
	for _, tc := range []struct {
		why  string
		in   []plan.Change
		want []string
		err  string
	}{
		{"in order already: kept as given", []plan.Change{ch("a"), ch("b", "a"), ch("c")}, []string{"a", "b", "c"}, ""},
		{"a dependency given later moves before its dependant, the rest keeps its order",
			[]plan.Change{ch("role-attach", "role"), ch("vpc"), ch("role"), ch("profile", "cluster"), ch("cluster", "role-attach", "vpc")},
			[]string{"vpc", "role", "role-attach", "cluster", "profile"}, ""},
		{"dependencies outside the plan are satisfied already", []plan.Change{ch("b", "gone"), ch("a")}, []string{"b", "a"}, ""},
		{"a cycle is refused", []plan.Change{ch("a", "b"), ch("b", "a")}, nil, "dependency cycle"},
		{"a repeated ID is refused", []plan.Change{ch("a"), ch("a")}, nil, `ID "a" repeats`},
	} {
		p, err := plan.New(tc.in...)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err = %v, want %q", tc.why, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.why, err)
			continue
		}
		var got []string
		for _, c := range p.Changes {
			got = append(got, c.ID)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: order (-want +got):\n%s", tc.why, diff)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("%s: the plan plan.New made does not validate: %v", tc.why, err)
		}
	}
	out := &plan.Plan{Changes: []plan.Change{ch("b", "a"), ch("a")}}
	if err := out.Validate(); err == nil || !strings.Contains(err.Error(), "depends on the later") {
		t.Errorf("Validate of a plan out of order = %v, want it refused", err)
	}
	if err := plan.Apply(t.Context(), out); err == nil || !strings.Contains(err.Error(), "plan.New") {
		t.Errorf("plan.Apply of a plan out of order = %v, want it refused", err)
	}
}

func TestApplyBindsOps(t *testing.T) {
	var ran []string
	p, err := plan.New(
		plan.Change{ID: "x", Kind: "k", Action: plan.Update, Op: &plan.Op{Name: "demo.touch", Args: []byte(`{"n":1}`)}},
		plan.Change{ID: "y", Kind: "k", Action: plan.Update, DependsOn: []string{"x"}, Op: &plan.Op{Name: "demo.touch", Args: []byte(`{"n":2}`)}},
	)
	if err != nil {
		t.Fatal(err)
	}
	bind := func(c plan.Change) (plan.RunFunc, error) {
		if c.Op.Name != "demo.touch" {
			return nil, fmt.Errorf("unknown %s", c.Op.Name)
		}
		return func(context.Context, plan.Reporter) error { ran = append(ran, string(c.Op.Args)); return nil }, nil
	}
	if err := plan.Apply(t.Context(), p, func(o *plan.Options) { o.Bind = bind; o.Concurrency = 1 }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{`{"n":1}`, `{"n":2}`}, ran); diff != "" {
		t.Errorf("ran (-want +got):\n%s", diff)
	}
	// Without a binder, or with one that does not know the operation,
	// nothing runs.
	ran = nil
	if err := plan.Apply(t.Context(), p); err == nil || !strings.Contains(err.Error(), "pass Options.Bind") || len(ran) > 0 {
		t.Errorf("plan.Apply without Bind = %v, ran %v", err, ran)
	}
	unknown := &plan.Plan{Changes: []plan.Change{{ID: "z", Kind: "k", Action: plan.Update, Op: &plan.Op{Name: "demo.other"}}}}
	if err := plan.Apply(t.Context(), unknown, func(o *plan.Options) { o.Bind = bind }); err == nil || !strings.Contains(err.Error(), "unknown demo.other") {
		t.Errorf("plan.Apply with an unknown operation = %v", err)
	}
	// An plan.Op survives a JSON round trip.
	b, err := json.Marshal(p.Changes[1])
	if err != nil {
		t.Fatal(err)
	}
	var back plan.Change
	if err := json.Unmarshal(b, &back); err != nil || back.Op == nil || string(back.Op.Args) != `{"n":2}` {
		t.Errorf("round trip: %v, %+v", err, back.Op)
	}
}
