package eksfargate

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"go.uber.org/zap"
	"k8s.io/client-go/kubernetes"

	"github.com/fargatekit/fargatekit/eksfargate/access"
	"github.com/fargatekit/fargatekit/eksfargate/coredns"
	"github.com/fargatekit/fargatekit/eksfargate/kubeauth"
	"github.com/fargatekit/fargatekit/eksfargate/observe"
	"github.com/fargatekit/fargatekit/irsa"
	"github.com/fargatekit/fargatekit/plan"
)

// IDs of the deferred changes of a plan made before the cluster exists.
const (
	DeferredClusterSideID = "deferred/cluster-side"
	DeferredIRSAID        = "deferred/irsa"
	clusterSideNoteID     = "fargatekit.cluster-side/skipped"
)

// Plan observes the live state of everything spec names (Observe), compares
// it with the spec (Diff) and returns the changes that converge the AWS
// side of the cluster (network, roles, control plane, Fargate profiles,
// addons) and the cluster side (CoreDNS on Fargate, aws-auth and access
// entries, IRSA). Plan only reads; Apply performs the plan.
//
// The spec is defaulted (a copy: spec is not changed) and validated first;
// problems found then, or by comparing with the live state, come back as one
// *ValidationError. When the cluster does not exist yet (or is not ACTIVE),
// what the cluster-side planners need (the OIDC issuer, the API endpoint)
// is known only after apply: the plan then holds one deferred change per
// area (DeferredClusterSideID, DeferredIRSAID) that plans and applies that
// area once the cluster is there. A plan made when the cluster exists shows
// their changes one by one instead.
func Plan(ctx context.Context, spec *Spec, opts ...func(*Options)) (*plan.Plan, error) {
	o := newOptions(opts)
	if err := o.Clients.check(); err != nil {
		return nil, err
	}
	s := spec.Clone().Defaults()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	snap, err := observeSpec(ctx, o, s)
	if err != nil {
		return nil, err
	}
	d, err := diff(s, snap, o.AllowUnowned, o.AllowDestructive)
	if err != nil {
		return nil, err
	}
	x := newExecutor(o, s, d.known, d.roleTimes)
	p := &plan.Plan{Changes: bindSteps(d.steps, x)}
	if err := d.planClusterSide(ctx, x, p); err != nil {
		return nil, err
	}
	if err := orderPlan(p); err != nil {
		return nil, err
	}
	return p, nil
}

// Apply runs a plan made by Plan or PlanDestroy: a thin wrapper over
// plan.Apply with Options.Concurrency, Logger, Progress and Now. The changes
// keep the clients of the Plan call that made them.
func Apply(ctx context.Context, p *plan.Plan, opts ...func(*Options)) error {
	o := newOptions(opts)
	return plan.Apply(ctx, p, func(po *plan.Options) {
		po.Concurrency = o.Concurrency
		po.Logger = o.Logger
		po.Progress = o.Progress
		po.Now = o.Now
	})
}

func bindSteps(steps []step, x *executor) []plan.Change {
	out := make([]plan.Change, len(steps))
	for i, st := range steps {
		ch := st.Change
		if st.run != nil && ch.Action != plan.NoOp {
			run := st.run
			ch.Run = func(ctx context.Context, r plan.Reporter) error { return run(ctx, x, r) }
		}
		out[i] = ch
	}
	return out
}

// kubeFor returns the Kubernetes client of the cluster: Options.Kube, or
// one built with kubeauth.RESTConfigForCluster from the clients' AWS configuration.
// It returns nil, nil when there is no way to build one.
func (x *executor) kubeFor(ctx context.Context, cl *ekstypes.Cluster) (kubernetes.Interface, error) {
	if x.o.Kube != nil {
		k, err := x.o.Kube(ctx, cl)
		if err != nil {
			return nil, fmt.Errorf("eksfargate: Kubernetes client for cluster %s: %w", x.cluster, err)
		}
		return k, nil
	}
	if x.c.cfg == nil {
		return nil, nil
	}
	rc, err := kubeauth.RESTConfigForCluster(ctx, *x.c.cfg, x.cluster, func(ro *kubeauth.RESTConfigOptions) { ro.Cluster = cl })
	if err != nil {
		return nil, fmt.Errorf("eksfargate: Kubernetes client for cluster %s: %w", x.cluster, err)
	}
	k, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("eksfargate: Kubernetes client for cluster %s: %w", x.cluster, err)
	}
	return k, nil
}

// canReachCluster says whether cluster-side planning is possible at all.
func (x *executor) canReachCluster() bool {
	return !x.o.SkipClusterSide && (x.o.Kube != nil || x.c.cfg != nil)
}

// wantsIRSA says whether the spec asks for IRSA.
func (s *Spec) wantsIRSA() bool {
	return len(s.IRSA.ServiceAccounts) > 0 || (s.IRSA.OIDCProvider != nil && *s.IRSA.OIDCProvider)
}

// planClusterSide adds the cluster-side changes: merged when the cluster is
// ACTIVE, deferred otherwise, or a note when they can't be planned.
func (d *differ) planClusterSide(ctx context.Context, x *executor, p *plan.Plan) error {
	s := d.s
	if !x.canReachCluster() {
		why := "no Kubernetes client (Options.Kube) and no AWS configuration to build one"
		if x.o.SkipClusterSide {
			why = "Options.SkipClusterSide"
		}
		p.Changes = append(p.Changes, plan.Change{ID: clusterSideNoteID, Kind: KindClusterSideNotice, Resource: s.Name, Action: plan.NoOp,
			Summary: "cluster-side changes (CoreDNS on Fargate, aws-auth and access entries, IRSA) not planned: " + why})
		return nil
	}
	cl := d.snap.Cluster
	clusterDeps := append([]string{}, d.clusterIDs...)
	sideDeps := append(append(append([]string{}, d.clusterIDs...), d.profileIDs...), specValues(d.addonIDs)...)
	if cl == nil || cl.Status != ekstypes.ClusterStatusActive {
		// Known after apply: plan and apply each area once the cluster is there.
		if s.wantsIRSA() {
			p.Changes = append(p.Changes, plan.Change{
				ID: DeferredIRSAID, Kind: KindDeferred, Resource: s.Name + " (IRSA: OIDC provider, service-account roles)", Action: plan.Update, Deferred: true,
				Summary:     fmt.Sprintf("planned after the cluster exists: its IAM OIDC provider and %d service-account role(s)", len(s.IRSA.ServiceAccounts)),
				Requirement: "IRSA needs the cluster's OIDC issuer, known once the cluster exists", DependsOn: clusterDeps,
				Run: func(ctx context.Context, r plan.Reporter) error { return x.applyDeferred(ctx, r, true) },
			})
			d.addIRSADeps(p, []string{DeferredIRSAID})
		}
		p.Changes = append(p.Changes, plan.Change{
			ID: DeferredClusterSideID, Kind: KindDeferred, Resource: s.Name + " (cluster side: CoreDNS, aws-auth / access entries)", Action: plan.Update, Deferred: true,
			Summary:     "planned after the cluster exists: CoreDNS on Fargate, aws-auth and access entries",
			Requirement: "the cluster-side changes need the cluster's API endpoint, known once the cluster exists", DependsOn: append(sideDeps, DeferredIRSAID),
			Run: func(ctx context.Context, r plan.Reporter) error { return x.applyDeferred(ctx, r, false) },
		})
		return nil
	}
	// The coredns add-on was read with the others: CoreDNS's plan does not
	// read it again.
	var observed *coredns.ObservedAddon
	if a, ok := d.snap.Addons[coredns.AddonName]; ok || d.snap.AddonsListed {
		if !ok {
			a = d.snap.OtherAddons[coredns.AddonName]
		}
		observed = &coredns.ObservedAddon{Addon: a}
	}
	side, irsaChanges, notes, err := x.clusterSideChanges(ctx, cl, d.account, d.partition, observed)
	if err != nil {
		return err
	}
	for i := range side {
		side[i].DependsOn = append(side[i].DependsOn, sideDeps...)
	}
	var irsaIDs []string
	for i := range irsaChanges {
		irsaChanges[i].DependsOn = append(irsaChanges[i].DependsOn, clusterDeps...)
		if c := irsaChanges[i]; c.Kind == irsa.KindRole && c.Action == plan.Delete {
			// The add-on before its role.
			irsaChanges[i].DependsOn = append(irsaChanges[i].DependsOn, d.pruneAddonIDs...)
		}
		irsaIDs = append(irsaIDs, irsaChanges[i].ID)
	}
	p.Changes = append(p.Changes, irsaChanges...)
	p.Changes = append(p.Changes, side...)
	p.Changes = append(p.Changes, notes...)
	d.addIRSADeps(p, irsaIDs)
	return nil
}

func specValues(m map[string]string) []string {
	var out []string
	for _, k := range specSortedKeys(m) {
		out = append(out, m[k])
	}
	return out
}

// addIRSADeps makes the addons whose service-account role is an IRSA role
// of the spec wait for the IRSA changes.
func (d *differ) addIRSADeps(p *plan.Plan, ids []string) {
	if len(ids) == 0 {
		return
	}
	for _, a := range d.s.Addons {
		if a.ServiceAccountRole == "" {
			continue
		}
		id := d.addonIDs[a.Name]
		for i := range p.Changes {
			if p.Changes[i].ID == id {
				p.Changes[i].DependsOn = append(p.Changes[i].DependsOn, ids...)
			}
		}
	}
}

// clusterSideChanges plans the cluster side of an ACTIVE cluster: CoreDNS
// and access (the other planners of this package) and IRSA (package irsa).
// What can't be planned with the clients at hand comes back as NoOp notes.
func (x *executor) clusterSideChanges(ctx context.Context, cl *ekstypes.Cluster, account, partition string, coreDNSAddon *coredns.ObservedAddon) (side, irsaChanges, notes []plan.Change, err error) {
	s := x.spec
	kube, err := x.kubeFor(ctx, cl)
	if err != nil {
		return nil, nil, nil, err
	}
	note := func(what, why string) {
		notes = append(notes, plan.Change{ID: clusterSideNoteID + "/" + what, Kind: KindClusterSideNotice, Resource: s.Name,
			Action: plan.NoOp, Summary: what + " not planned: " + why})
	}
	// IRSA. A spec without IRSA is planned too (the provider unmanaged, no
	// roles), so that the roles and the provider it no longer names are
	// pruned.
	issuer := ""
	if cl.Identity != nil && cl.Identity.Oidc != nil {
		issuer = aws.ToString(cl.Identity.Oidc.Issuer)
	}
	irsaOpts := x.irsaOptions()
	if !s.wantsIRSA() {
		irsaOpts = append(irsaOpts, func(o *irsa.Options) { o.OIDCProvider = false })
	}
	switch {
	case issuer == "" && !s.wantsIRSA():
		// Nothing to prune that could be found.
	case kube == nil && len(s.IRSA.ServiceAccounts) > 0:
		note("IRSA", "no Kubernetes client")
	case issuer == "":
		note("IRSA", "the cluster has no OIDC issuer yet")
	default:
		ip, err := irsa.Plan(ctx, irsa.Clients{IAM: x.c.IAM, EKS: x.c.EKS, Kube: kube},
			irsa.Cluster{Name: s.Name, Region: s.Region, AccountID: account, Partition: partition, IssuerURL: issuer},
			s.IRSA.ServiceAccounts, irsaOpts...)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("eksfargate: IRSA: %w", err)
		}
		irsaChanges = ip.Changes
	}
	// CoreDNS.
	if kube == nil {
		note("CoreDNS", "no Kubernetes client")
	} else {
		t := s.CoreDNSTarget()
		t.Observed = coreDNSAddon
		cs, err := coredns.Plan(ctx, coredns.Clients{EKS: x.c.EKS, Kube: kube, Logger: x.log, PollInterval: x.o.PollInterval, Now: x.o.Now}, t)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("eksfargate: CoreDNS: %w", err)
		}
		side = append(side, cs...)
	}
	// Access.
	mode := liveAuthMode(cl)
	target := s.Cluster.AuthenticationMode
	needsKube := target != access.AuthModeAPI || mode != access.AuthModeAPI || s.Access.MigrateToAccessEntries
	switch {
	case needsKube && kube == nil:
		note("access", "aws-auth needs a Kubernetes client")
	default:
		as, err := access.Plan(ctx, access.Clients{EKS: x.c.EKS, Kube: kube, Logger: x.log}, s.AccessTarget(), mode)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("eksfargate: access: %w", err)
		}
		side = append(side, as...)
	}
	return side, irsaChanges, notes, nil
}

func (x *executor) irsaOptions() []func(*irsa.Options) {
	s := x.spec
	base := func(o *irsa.Options) {
		if s.IRSA.OIDCProvider != nil {
			o.OIDCProvider = *s.IRSA.OIDCProvider
		}
		o.FargateOnly = true
		o.Tags = s.Tags
		o.Logger = x.log
		o.Concurrency = x.o.Concurrency
		o.Now = x.o.Now
		o.PollInterval = x.o.PollInterval
		o.AddonTimeout = x.o.Timeouts.Addon
		o.AllowDestructive = x.o.AllowDestructive
		// The provider goes when the spec no longer asks for it.
		o.PruneOIDCProvider = true
	}
	return append([]func(*irsa.Options){base}, x.o.IRSA...)
}

// applyDeferred plans one area (IRSA or the rest of the cluster side) now
// that the cluster exists, and applies that plan; its events are reported
// through report.
func (x *executor) applyDeferred(ctx context.Context, report plan.Reporter, irsaArea bool) error {
	cl, err := observe.Cluster(ctx, x.c.EKS, x.cluster)
	if err != nil {
		return fmt.Errorf("describe cluster %s: %w", x.cluster, err)
	}
	if cl == nil {
		return fmt.Errorf("describe cluster %s: empty answer", x.cluster)
	}
	account, partition := arnAccount(aws.ToString(cl.Arn)), "aws"
	if parts := strings.SplitN(aws.ToString(cl.Arn), ":", 3); len(parts) == 3 {
		partition = parts[1]
	}
	side, irsaChanges, notes, err := x.clusterSideChanges(ctx, cl, account, partition, nil)
	if err != nil {
		return err
	}
	sub := &plan.Plan{}
	if irsaArea {
		sub.Changes = irsaChanges
	} else {
		sub.Changes = side
	}
	for _, n := range notes {
		if strings.Contains(n.Summary, "IRSA") == irsaArea {
			x.log.Warn("deferred", zap.String("cluster", x.cluster), zap.String("note", n.Summary))
			report(n.Summary)
		}
	}
	report(fmt.Sprintf("planned %d change(s)", len(sub.Pending())))
	return plan.Apply(ctx, sub, func(po *plan.Options) {
		po.Concurrency = x.o.Concurrency
		po.Logger = x.log
		po.Now = x.o.Now
		po.Progress = func(ev plan.Event) {
			if ev.Change != nil {
				report(ev.Change.ID + ": " + ev.State)
			}
		}
	})
}

// orderPlan sorts the changes so that no change depends on a later one,
// keeping the original order where dependencies allow (plan.New), and
// validates the plan.
func orderPlan(p *plan.Plan) error {
	ordered, err := plan.New(p.Changes...)
	if err != nil {
		return fmt.Errorf("eksfargate: %w", err)
	}
	p.Changes = ordered.Changes
	return nil
}
