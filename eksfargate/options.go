package eksfargate

import (
	"context"
	"math/rand/v2"
	"time"

	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"go.uber.org/zap"
	"k8s.io/client-go/kubernetes"

	"github.com/fargatekit/fargatekit/internal/ops"
	"github.com/fargatekit/fargatekit/irsa"
	"github.com/fargatekit/fargatekit/plan"
)

// Options configure Observe, Plan, PlanDestroy and Apply. The zero value
// works except for Clients, which Plan needs (use FromConfig). Defaults are
// resolved in one place (defaults).
type Options struct {
	// Clients are the AWS clients. The changes of a plan keep the clients
	// of the Plan call that made them.
	Clients Clients
	// Logger receives structured logs of observation, waits and retries.
	// nil means zap.NewNop().
	Logger *zap.Logger
	// Progress receives Apply's events, including the states of long waits
	// (for example "CREATING" with the time elapsed). Deferred sub-plans
	// report through it too.
	Progress func(plan.Event)
	// Concurrency bounds the AWS reads of Observe and the changes Apply
	// runs at once. Default 8.
	Concurrency int
	// AllowUnowned lets a plan delete, destructively replace or rewrite
	// resources that do not carry OwnerTag with the cluster's name. Without
	// it such a change makes Plan fail with a *ValidationError that says
	// which resource and why.
	AllowUnowned bool
	// AllowDestructive lets Apply delete what the spec no longer names:
	// the Fargate profiles and add-ons that carry OwnerTag with the
	// cluster's name but are not in the spec (and, through the IRSA
	// sub-plan, service-account roles and the OIDC provider). Without it
	// those deletes are in the plan as pending but blocked (plan.Change
	// Blocked): they count as drift and Apply skips them.
	AllowDestructive bool
	// Kube returns a Kubernetes client for the cluster, for the cluster-side
	// changes (CoreDNS, aws-auth, IRSA service accounts). nil means no
	// cluster-side changes: the plan then notes them as skipped.
	Kube func(ctx context.Context, cluster *ekstypes.Cluster) (kubernetes.Interface, error)
	// SkipClusterSide plans the AWS side only; the plan notes what it left
	// out. Without it, and without Kube, Plan builds a client with
	// kubeauth.RESTConfigForCluster when the clients come from NewClients.
	SkipClusterSide bool
	// IRSA are options for the IRSA sub-plan (irsa.Plan).
	IRSA []func(*irsa.Options)

	// PollInterval is the first pause between two reads of a resource that
	// is being created, updated or deleted; it grows by half each time up to
	// MaxPollInterval. Defaults 5s and 30s.
	PollInterval, MaxPollInterval time.Duration
	// Timeouts bound the waits.
	Timeouts Timeouts
	// RolePropagation is how long after an IAM role was created or its trust
	// changed an InvalidParameterException from EKS (the role can't be
	// assumed yet) is retried. Default 2 minutes.
	RolePropagation time.Duration
	// ResourceInUseAttempts bounds the attempts of a Fargate profile create
	// or delete that EKS refuses with ResourceInUseException because another
	// profile of the cluster is being created or deleted, or the cluster is
	// being updated. Default 60.
	ResourceInUseAttempts int
	// RetryBase and RetryMax shape the backoff between those attempts: a
	// random pause (full jitter) up to RetryBase·2^attempt, at most
	// RetryMax. Defaults 2s and 30s.
	RetryBase, RetryMax time.Duration

	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Sleep pauses for d or until ctx is done. Default: a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand returns a number in [0, 1) for jitter. Default math/rand/v2.
	Rand func() float64
}

// Timeouts bound the waits of Apply. Zero fields get the defaults.
type Timeouts struct {
	// Cluster bounds cluster creation and deletion. Default 40 minutes.
	Cluster time.Duration
	// ClusterUpdate bounds a cluster update (logging, endpoint access,
	// authentication mode, version, encryption). Default 90 minutes.
	ClusterUpdate time.Duration
	// FargateProfile bounds a profile create or delete. Default 20 minutes.
	FargateProfile time.Duration
	// Addon bounds an addon create, update or delete. Default 20 minutes.
	Addon time.Duration
	// NATGateway bounds a NAT gateway create or delete. Default 15 minutes.
	NATGateway time.Duration
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 5 * time.Second
	}
	if o.MaxPollInterval < o.PollInterval {
		o.MaxPollInterval = max(30*time.Second, o.PollInterval)
	}
	t := &o.Timeouts
	for _, d := range []struct {
		p *time.Duration
		v time.Duration
	}{
		{&t.Cluster, 40 * time.Minute}, {&t.ClusterUpdate, 90 * time.Minute}, {&t.FargateProfile, 20 * time.Minute},
		{&t.Addon, 20 * time.Minute}, {&t.NATGateway, 15 * time.Minute},
	} {
		if *d.p <= 0 {
			*d.p = d.v
		}
	}
	if o.RolePropagation <= 0 {
		o.RolePropagation = 2 * time.Minute
	}
	if o.ResourceInUseAttempts <= 0 {
		o.ResourceInUseAttempts = 60
	}
	if o.RetryBase <= 0 {
		o.RetryBase = 2 * time.Second
	}
	if o.RetryMax < o.RetryBase {
		o.RetryMax = max(30*time.Second, o.RetryBase)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = ops.Sleep
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
}

func newOptions(opts []func(*Options)) Options {
	var o Options
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	o.defaults()
	return o
}
