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
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/google/go-cmp/cmp"
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
	// Run performs the change. It reports the state of long waits through
	// report. A nil Run makes the change informational.
	Run func(ctx context.Context, report Reporter) error `json:"-"`
}

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
// only when a field is removed or changes meaning.
const JSONSchemaVersion = "fargatekit.io/plan/v1"

// MarshalJSON renders the plan as a versioned document:
//
//	{"schema":"fargatekit.io/plan/v1","summary":{"create":1,…},"changes":[…]}
//
// NoOp changes are left out.
func (p *Plan) MarshalJSON() ([]byte, error) {
	type summary struct {
		Create  int `json:"create"`
		Update  int `json:"update"`
		Replace int `json:"replace"`
		Delete  int `json:"delete"`
	}
	cs := p.Pending()
	if cs == nil {
		cs = []Change{}
	}
	n := p.Counts()
	return json.Marshal(struct {
		Schema  string   `json:"schema"`
		Summary summary  `json:"summary"`
		Changes []Change `json:"changes"`
	}{JSONSchemaVersion, summary{n[Create], n[Update], n[Replace], n[Delete]}, cs})
}

// Text renders the plan for people, terraform-style:
//
//   - create   iam.role eksClusterRole
//     ~ update   eks.cluster eks-test: logging: enable api, audit
//     -/+ replace eks.fargate-profile init-fargate (selectors are immutable)
//
// each followed by the requirement and a diff of before and after.
func (p *Plan) Text() string {
	var b bytes.Buffer
	pending := p.Pending()
	if len(pending) == 0 {
		b.WriteString("No changes. Live state matches the spec and the documented requirements.\n")
		return b.String()
	}
	for _, c := range pending {
		fmt.Fprintf(&b, "%-3s %-7s %s %s", c.Action.symbol(), c.Action, c.Kind, c.Resource)
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
		if c.Requirement != "" {
			fmt.Fprintf(&b, "      why: %s\n", c.Requirement)
		}
		if c.Action == Update || c.Action == Replace {
			// go-cmp randomly uses non-breaking spaces to keep its output
			// from being parsed; normalise them so that the text is stable.
			if d := strings.ReplaceAll(cmp.Diff(c.Before, c.After), "\u00a0", " "); d != "" {
				for _, line := range strings.Split(strings.TrimRight(d, "\n"), "\n") {
					fmt.Fprintf(&b, "      %s\n", line)
				}
			}
		}
	}
	n := p.Counts()
	fmt.Fprintf(&b, "\nPlan: %d to create, %d to update, %d to replace, %d to delete.\n",
		n[Create], n[Update], n[Replace], n[Delete])
	return b.String()
}

// Validate checks that IDs are unique, that every change has a Kind and an
// action, and that dependencies form no cycle.
func (p *Plan) Validate() error {
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
	if cyc := p.cycle(ids); cyc != nil {
		problems = append(problems, "dependency cycle: "+strings.Join(cyc, " → "))
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
