package audit

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"go.uber.org/zap"
	"k8s.io/client-go/rest"

	"github.com/fargatekit/fargatekit/eksfargate"
	"github.com/fargatekit/fargatekit/plan"
)

// Target says what to audit: a spec (one cluster, compared with the spec
// and the documented requirements), named clusters, or every cluster of
// one or more regions. Exactly one of Spec, Clusters and Regions is set.
type Target struct {
	// Spec audits the spec's cluster and compares it with the spec.
	Spec *eksfargate.Spec
	// Clusters audits these clusters.
	Clusters []ClusterRef
	// Regions audits every cluster of these regions (eks:ListClusters).
	Regions []string
}

// SpecTarget audits the cluster of a spec and compares it with the spec.
func SpecTarget(s *eksfargate.Spec) Target { return Target{Spec: s} }

// ClustersTarget audits named clusters of one region.
func ClustersTarget(region string, names ...string) Target {
	t := Target{}
	for _, n := range names {
		t.Clusters = append(t.Clusters, ClusterRef{Region: region, Name: n})
	}
	return t
}

// RegionsTarget audits every cluster of the given regions.
func RegionsTarget(regions ...string) Target {
	return Target{Regions: append([]string(nil), regions...)}
}

// TargetError reports a Target that cannot be audited.
type TargetError struct {
	// Msg says what is wrong.
	Msg string
}

// Error returns "audit: target: MSG".
func (e *TargetError) Error() string { return "audit: target: " + e.Msg }

// validate checks the target and returns its regions, sorted.
func (t Target) validate() ([]string, error) {
	set := 0
	if t.Spec != nil {
		set++
	}
	if len(t.Clusters) > 0 {
		set++
	}
	if len(t.Regions) > 0 {
		set++
	}
	if set != 1 {
		return nil, &TargetError{Msg: "set exactly one of Spec, Clusters and Regions"}
	}
	regions := map[string]bool{}
	switch {
	case t.Spec != nil:
		if t.Spec.Name == "" || t.Spec.Region == "" {
			return nil, &TargetError{Msg: "the spec needs name and region"}
		}
		regions[t.Spec.Region] = true
	case len(t.Clusters) > 0:
		for i, c := range t.Clusters {
			if c.Name == "" || c.Region == "" {
				return nil, &TargetError{Msg: fmt.Sprintf("clusters[%d]: needs region and name", i)}
			}
			regions[c.Region] = true
		}
	default:
		for i, r := range t.Regions {
			if r == "" {
				return nil, &TargetError{Msg: fmt.Sprintf("regions[%d]: empty", i)}
			}
			regions[r] = true
		}
	}
	out := make([]string, 0, len(regions))
	for r := range regions {
		out = append(out, r)
	}
	sort.Strings(out)
	return out, nil
}

// Options configure Observe, Audit and Fix. The zero value works with the
// default AWS credential chain unless AWS is set.
type Options struct {
	// AWS is the base configuration of every AWS client; its Region is
	// replaced per region audited. If it has no Retryer, the SDK's adaptive
	// retryer is used, so that throttling slows the audit down rather than
	// failing it.
	AWS aws.Config
	// Clients, when set, returns the clients of a region instead of
	// building them from AWS.
	Clients func(region string) Clients
	// AccountID skips sts:GetCallerIdentity when set.
	AccountID string

	// Kube returns the Kubernetes client configuration of a cluster. Nil
	// means kubeauth.RESTConfigForCluster: the observed endpoint and CA
	// with an EKS token signed with AWS's credentials (as `aws eks
	// get-token` does). Return an error to record the cluster's Kubernetes
	// state as unavailable.
	Kube func(ctx context.Context, c *Cluster) (*rest.Config, error)
	// KubeTimeout bounds each Kubernetes request. Default 30s.
	KubeTimeout time.Duration

	// Concurrency bounds the AWS reads in flight at once, and separately the
	// Kubernetes reads. Default 16.
	Concurrency int

	// Checks, when not empty, runs only the checks with these IDs.
	Checks []string
	// SkipChecks leaves out the checks with these IDs.
	SkipChecks []string
	// ExtraChecks are run after the catalogue's checks. Their IDs must not
	// repeat a catalogue ID.
	ExtraChecks []*Check

	// Logger receives progress and decisions. Nil means zap.NewNop().
	Logger *zap.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time

	// AllowGrants lets Fix apply fixes that grant more than the spec or the
	// documented requirement needs (Finding.GrantsMore).
	AllowGrants bool
	// AllowDestructive lets Fix apply fixes that delete or remove anything
	// (a pod identity association, an admin mapping).
	AllowDestructive bool
	// AllowUnowned lets Fix rewrite roles that fargatekit does not manage
	// (without the fargatekit.io/cluster tag): their trust, attachments and
	// inline policies.
	AllowUnowned bool
	// ApplyConcurrency bounds the changes Fix runs at once. Default 4.
	ApplyConcurrency int
	// ApplyProgress receives Fix's progress events.
	ApplyProgress func(plan.Event)
	// PollInterval is how often fixes poll a long-running update (a
	// cluster config update). Default 5s.
	PollInterval time.Duration
	// WaitTimeout bounds each such wait. Default 20m.
	WaitTimeout time.Duration
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 16
	}
	if o.KubeTimeout <= 0 {
		o.KubeTimeout = 30 * time.Second
	}
	if o.ApplyConcurrency <= 0 {
		o.ApplyConcurrency = 4
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 5 * time.Second
	}
	if o.WaitTimeout <= 0 {
		o.WaitTimeout = 20 * time.Minute
	}
	if o.Clients == nil {
		base := o.AWS
		o.Clients = func(region string) Clients { return clientsFromConfig(base, region) }
	}
}

func resolve(opts []func(*Options)) Options {
	var o Options
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	o.defaults()
	return o
}

// selectChecks returns the checks to run: the catalogue plus extra checks,
// filtered by Checks and SkipChecks. Unknown IDs are an error, so that a
// typo in --check does not silently run nothing.
func (o *Options) selectChecks() ([]*Check, error) {
	all := Catalogue()
	known := map[string]bool{}
	for _, c := range all {
		known[c.ID] = true
	}
	var problems []string
	for _, c := range o.ExtraChecks {
		switch {
		case c == nil || c.ID == "" || c.Run == nil:
			problems = append(problems, "an extra check needs an ID and a Run function")
			continue
		case known[c.ID]:
			problems = append(problems, fmt.Sprintf("extra check %s repeats an ID", c.ID))
			continue
		}
		known[c.ID] = true
		all = append(all, c)
	}
	for _, id := range append(append([]string{}, o.Checks...), o.SkipChecks...) {
		if !known[strings.ToUpper(id)] {
			problems = append(problems, fmt.Sprintf("unknown check %q", id))
		}
	}
	if len(problems) > 0 {
		return nil, &TargetError{Msg: strings.Join(problems, "; ")}
	}
	only := map[string]bool{}
	for _, id := range o.Checks {
		only[strings.ToUpper(id)] = true
	}
	skip := map[string]bool{}
	for _, id := range o.SkipChecks {
		skip[strings.ToUpper(id)] = true
	}
	var out []*Check
	for _, c := range all {
		if (len(only) == 0 || only[c.ID]) && !skip[c.ID] {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, &TargetError{Msg: "no check selected"}
	}
	return out, nil
}
