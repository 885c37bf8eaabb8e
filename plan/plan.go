// Package plan is fargatekit's one engine for changing AWS and Kubernetes:
// the Change type that eksfargate, irsa and audit all produce, the Plan that
// renders them for people (text, terraform-style) and machines (JSON), and the
// executor that applies them as a dependency graph.
//
// A Change is data (resource, action, before, after, the requirement it
// serves, whether it destroys anything) plus a function that performs it.
// Planners build changes from a diff of spec and observed state; Apply runs
// them: independent changes in parallel up to a bound, dependencies first,
// changes that share a Serial key one at a time (AWS allows only one Fargate
// profile CREATING or DELETING per cluster), and stops scheduling at the first
// failure.
//
// Out of scope: deciding what to change (that is the planners' job) and
// retrying (each change retries what it knows to be transient).
package plan

import (
	"bytes"
	"container/heap"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Action is what a change does to its resource.
type Action string

// The actions a change can take.
const (
	// Create makes a resource that does not exist.
	Create Action = "create"
	// Update changes a resource in place.
	Update Action = "update"
	// Replace deletes a resource and creates it again, because the field that
	// differs cannot be changed in place.
	Replace Action = "replace"
	// Delete removes a resource.
	Delete Action = "delete"
	// NoOp leaves a resource as it is; plans list it so that a reader sees
	// what was checked.
	NoOp Action = "none"
)

// symbol is the terraform-style marker for an action.
func (a Action) symbol() string {
	switch a {
	case Create:
		return "+"
	case Update:
		return "~"
	case Replace:
		return "-/+"
	case Delete:
		return "-"
	default:
		return " "
	}
}

// Change is one step of a plan. Everything but Run is data and is rendered in
// the plan's text and JSON forms.
type Change struct {
	// ID is unique within a plan, for example "iam.role/eksClusterRole".
	ID string `json:"id"`
	// Kind is the type of resource, for example "iam.role" or
	// "eks.fargate-profile".
	Kind string `json:"kind"`
	// Resource names the resource: an ARN, a name, or a Kubernetes reference
	// such as "kube-system/ConfigMap/aws-auth".
	Resource string `json:"resource"`
	// Action is what the change does.
	Action Action `json:"action"`
	// Summary says in a few words what changes, for example
	// "trust policy: add aws:SourceArn condition".
	Summary string `json:"summary,omitempty"`
	// Before is the observed state of the resource (nil when it does not
	// exist). It must marshal to JSON.
	Before any `json:"before,omitempty"`
	// After is the desired state (nil for a delete). It must marshal to JSON.
	After any `json:"after,omitempty"`
	// Requirement is the documented requirement the change serves.
	Requirement string `json:"requirement,omitempty"`
	// Destructive is true when the change deletes or replaces anything.
	Destructive bool `json:"destructive"`
	// DependsOn lists IDs of changes that must succeed before this one runs.
	// IDs not in the plan are ignored (they were satisfied already).
	DependsOn []string `json:"dependsOn,omitempty"`
	// Serial, when not empty, names a queue: changes with the same Serial
	// never run at the same time.
	Serial string `json:"serial,omitempty"`
	// Blocked, when not empty, names the opt-in the change waits for, such
	// as "set detachUnmanagedPolicies to detach it". A blocked change is
	// pending drift: it counts in Pending and Empty (so a plan with one is
	// not empty, and --detailed-exitcode exits 1), but Apply does not run
	// it.
	Blocked string `json:"blocked,omitempty"`
	// Deferred is true for a change that plans and applies more changes
	// once what it needs exists (the cluster-side steps of a cluster that
	// is not created yet). Plans count it as deferred, not under its
	// action.
	Deferred bool `json:"deferred,omitempty"`
	// Op, when set, describes what the change does as data (an operation
	// and its arguments) instead of a function bound to clients: Apply
	// binds it with Options.Bind when it runs the change. A change with an
	// Op survives a JSON round trip (a report decoded from a file can be
	// fixed); a change with only a Run does not.
	Op *Op `json:"op,omitempty"`
	// Run performs the change. It reports the state of long waits through
	// report. A nil Run and a nil Op make the change informational.
	Run RunFunc `json:"-"`
}

// RunFunc performs a change, reporting the state of long waits through
// report.
type RunFunc func(ctx context.Context, report Reporter) error

// Op is an operation described as data: a name that the binder knows, such
// as "iam.UpdateAssumeRolePolicy", the AWS region or cluster it concerns,
// and its arguments as JSON.
type Op struct {
	// Name is the operation.
	Name string `json:"name"`
	// Region is the AWS region whose clients perform it; empty for IAM.
	Region string `json:"region,omitempty"`
	// Cluster is the EKS cluster it concerns, if any.
	Cluster string `json:"cluster,omitempty"`
	// Args are the operation's arguments.
	Args json.RawMessage `json:"args,omitempty"`
}

// Binder turns a change's Op into the function that performs it, with the
// clients of the caller; it fails for an Op it does not know.
type Binder func(c Change) (RunFunc, error)

// Plan is an ordered list of changes.
type Plan struct {
	// Changes are in dependency order: no change depends on a later one.
	Changes []Change `json:"changes"`
}

// Counts returns how many changes of each action the plan holds.
func (p *Plan) Counts() map[Action]int {
	m := map[Action]int{}
	for _, c := range p.Changes {
		m[c.Action]++
	}
	return m
}

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool {
	for _, c := range p.Changes {
		if c.Action != NoOp {
			return false
		}
	}
	return true
}

// Pending returns the changes that do something (action other than NoOp).
func (p *Plan) Pending() []Change {
	var out []Change
	for _, c := range p.Changes {
		if c.Action != NoOp {
			out = append(out, c)
		}
	}
	return out
}

// Merge appends the changes of others to p, keeping their order.
func (p *Plan) Merge(others ...*Plan) {
	for _, o := range others {
		if o != nil {
			p.Changes = append(p.Changes, o.Changes...)
		}
	}
}

// JSONSchemaVersion is the version of the plan's JSON document; it changes
// only when a field is removed or changes meaning (fields are added within
// a version).
const JSONSchemaVersion = "fargatekit.io/plan/v1"

// Summary counts the pending changes of a plan. A deferred change counts
// as Deferred and a blocked one as Blocked, not under its action: neither
// is performed as shown.
type Summary struct {
	// Create, Update, Replace and Delete count the changes that Apply
	// performs, by action.
	Create  int `json:"create"`
	Update  int `json:"update"`
	Replace int `json:"replace"`
	Delete  int `json:"delete"`
	// Deferred counts the changes planned once what they need exists.
	Deferred int `json:"deferred"`
	// Blocked counts the pending changes awaiting an opt-in.
	Blocked int `json:"blocked"`
}

// Summarize counts the pending changes.
func (p *Plan) Summarize() Summary {
	var s Summary
	for _, c := range p.Pending() {
		switch {
		case c.Deferred:
			s.Deferred++
		case c.Blocked != "":
			s.Blocked++
		case c.Action == Create:
			s.Create++
		case c.Action == Update:
			s.Update++
		case c.Action == Replace:
			s.Replace++
		case c.Action == Delete:
			s.Delete++
		}
	}
	return s
}

// Attributes returns the attributes an update or a replacement changes
// (DiffValues of Before and After); nil for other actions, whose Before or
// After is the whole resource.
func (c Change) Attributes() []AttributeDiff {
	if c.Action != Update && c.Action != Replace {
		return nil
	}
	if c.Before == nil && c.After == nil {
		return nil
	}
	return DiffValues(c.Before, c.After)
}

// MarshalJSON renders the plan as a versioned document:
//
//	{"schema":"fargatekit.io/plan/v1",
//	 "summary":{"create":1,"update":0,"replace":0,"delete":0,"deferred":2,"blocked":0},
//	 "changes":[{"id":…,"before":{…},"after":{…},"attributes":[{"path":"logging","op":"~","before":["api"],"after":[]}]}]}
//
// before and after are the resource's JSON values; attributes (updates and
// replacements) lists what changes, by path. NoOp changes are left out.
func (p *Plan) MarshalJSON() ([]byte, error) {
	type jsonChange struct {
		Change
		Attributes []AttributeDiff `json:"attributes,omitempty"`
	}
	cs := []jsonChange{}
	for _, c := range p.Pending() {
		cs = append(cs, jsonChange{c, c.Attributes()})
	}
	return json.Marshal(struct {
		Schema  string       `json:"schema"`
		Summary Summary      `json:"summary"`
		Changes []jsonChange `json:"changes"`
	}{JSONSchemaVersion, p.Summarize(), cs})
}

// valueWidth is the width at which Text folds one value.
const valueWidth = 100

// Text renders the plan for people, terraform-style: a line per resource,
// then a line per changed attribute of updates and replacements (IAM
// documents as their semantic differences), and the requirement the
// change serves, once per requirement:
//
//   - create  iam.role eksClusterRole: trust eks.amazonaws.com
//     why: the cluster role trusts eks.amazonaws.com
//     ~   update  eks.cluster eks-test: logging
//     ~ logging: [api, audit] → []
//     why: control-plane logging is complete
//
// Values are compact and folded; nothing is Go syntax.
func (p *Plan) Text() string {
	return p.text(false)
}

// DestroyText is Text for a teardown plan: an empty one says
// "Nothing to destroy".
func (p *Plan) DestroyText() string {
	return p.text(true)
}

func (p *Plan) text(destroy bool) string {
	var b bytes.Buffer
	pending := p.Pending()
	if len(pending) == 0 {
		if destroy {
			b.WriteString("Nothing to destroy: no resource of the spec is left.\n")
		} else {
			b.WriteString("No changes. Live state matches the spec and the documented requirements.\n")
		}
		return b.String()
	}
	why := map[string]bool{}
	for _, c := range pending {
		symbol, action := c.Action.symbol(), string(c.Action)
		if c.Deferred {
			symbol, action = "…", "defer"
		}
		fmt.Fprintf(&b, "%-3s %-7s %s %s", symbol, action, c.Kind, c.Resource)
		if c.Summary != "" {
			fmt.Fprintf(&b, ": %s", c.Summary)
		}
		if c.Destructive {
			b.WriteString("  [destroys]")
		}
		if c.Blocked != "" {
			b.WriteString("  [blocked: " + c.Blocked + "]")
		}
		b.WriteByte('\n')
		for _, a := range c.Attributes() {
			for _, l := range a.Lines(valueWidth) {
				fmt.Fprintf(&b, "      %s\n", l)
			}
		}
		if c.Requirement != "" && !why[c.Requirement] {
			why[c.Requirement] = true
			fmt.Fprintf(&b, "      why: %s\n", c.Requirement)
		}
	}
	n := p.Summarize()
	fmt.Fprintf(&b, "\nPlan: %d to create, %d to update, %d to replace, %d to delete", n.Create, n.Update, n.Replace, n.Delete)
	if n.Deferred > 0 {
		fmt.Fprintf(&b, ", %d deferred (planned once what they need exists)", n.Deferred)
	}
	if n.Blocked > 0 {
		fmt.Fprintf(&b, ", %d blocked", n.Blocked)
	}
	b.WriteString(".\n")
	return b.String()
}

// New returns the plan of changes in dependency order: every change after
// the changes it depends on, and otherwise in the order given (a stable
// topological sort, so that a planner's reading order survives). It fails,
// like Validate, on repeated or empty IDs, unknown actions and dependency
// cycles. Planners build their plans with New; Apply and Validate check
// that a plan is in order.
func New(changes ...Change) (*Plan, error) {
	p := &Plan{Changes: changes}
	ids, problems := p.check()
	if len(problems) == 0 {
		if cyc := p.cycle(ids); cyc != nil {
			problems = append(problems, "dependency cycle: "+strings.Join(cyc, " → "))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, fmt.Errorf("plan: invalid: %s", strings.Join(problems, "; "))
	}
	// Kahn's algorithm, always taking the earliest ready change.
	waiters := make([][]int, len(changes))
	remaining := make([]int, len(changes))
	for i, c := range changes {
		for _, d := range c.DependsOn {
			if j, ok := ids[d]; ok && j != i {
				waiters[j] = append(waiters[j], i)
				remaining[i]++
			}
		}
	}
	ready := &intHeap{}
	for i := range changes {
		if remaining[i] == 0 {
			heap.Push(ready, i)
		}
	}
	out := make([]Change, 0, len(changes))
	for ready.Len() > 0 {
		i := heap.Pop(ready).(int)
		out = append(out, changes[i])
		for _, w := range waiters[i] {
			if remaining[w]--; remaining[w] == 0 {
				heap.Push(ready, w)
			}
		}
	}
	return &Plan{Changes: out}, nil
}

// intHeap is a min-heap of change indexes.
type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// check reports repeated or empty IDs and unknown actions, and returns the
// index of each ID.
func (p *Plan) check() (map[string]int, []string) {
	ids := map[string]int{}
	var problems []string
	for i, c := range p.Changes {
		if c.ID == "" {
			problems = append(problems, fmt.Sprintf("changes[%d]: empty ID", i))
			continue
		}
		if j, dup := ids[c.ID]; dup {
			problems = append(problems, fmt.Sprintf("changes[%d]: ID %q repeats changes[%d]", i, c.ID, j))
		}
		ids[c.ID] = i
		switch c.Action {
		case Create, Update, Replace, Delete, NoOp:
		default:
			problems = append(problems, fmt.Sprintf("changes[%d] (%s): unknown action %q", i, c.ID, c.Action))
		}
	}
	return ids, problems
}

// Validate checks that IDs are unique, that every change has a Kind and an
// action, that dependencies form no cycle, and that the plan is in
// dependency order (no change depends on a later one: plans made by New
// are).
func (p *Plan) Validate() error {
	ids, problems := p.check()
	if cyc := p.cycle(ids); cyc != nil {
		problems = append(problems, "dependency cycle: "+strings.Join(cyc, " → "))
	} else {
		for i, c := range p.Changes {
			for _, d := range c.DependsOn {
				if j, ok := ids[d]; ok && j > i {
					problems = append(problems, fmt.Sprintf("changes[%d] (%s) depends on the later changes[%d] (%s): build the plan with plan.New", i, c.ID, j, d))
				}
			}
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("plan: invalid: %s", strings.Join(problems, "; "))
	}
	return nil
}

func (p *Plan) cycle(ids map[string]int) []string {
	const (
		white = iota
		grey
		black
	)
	color := make([]int, len(p.Changes))
	var stack []string
	var found []string
	var visit func(i int) bool
	visit = func(i int) bool {
		color[i] = grey
		stack = append(stack, p.Changes[i].ID)
		for _, d := range p.Changes[i].DependsOn {
			j, ok := ids[d]
			if !ok {
				continue
			}
			if color[j] == grey {
				for k, id := range stack {
					if id == d {
						found = append(append([]string{}, stack[k:]...), d)
					}
				}
				return true
			}
			if color[j] == white && visit(j) {
				return true
			}
		}
		stack = stack[:len(stack)-1]
		color[i] = black
		return false
	}
	for i := range p.Changes {
		if color[i] == white && visit(i) {
			return found
		}
	}
	return nil
}
