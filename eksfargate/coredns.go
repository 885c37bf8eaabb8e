package eksfargate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"go.uber.org/zap"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/fargatekit/fargatekit/eksfargate/observe"
	"github.com/fargatekit/fargatekit/internal/ekswait"
	"github.com/fargatekit/fargatekit/internal/ops"
	"github.com/fargatekit/fargatekit/plan"
)

// CoreDNS as EKS installs it.
const (
	CoreDNSNamespace  = "kube-system"
	CoreDNSDeployment = "coredns"
	CoreDNSAddonName  = "coredns"
	// CoreDNSComputeTypeAnnotation on the pod template pins CoreDNS to EC2
	// (value "ec2"); Fargate can't schedule pods that carry it.
	CoreDNSComputeTypeAnnotation = "eks.amazonaws.com/compute-type"
	// CoreDNSRestartedAtAnnotation is the pod-template annotation kubectl
	// rollout restart sets.
	CoreDNSRestartedAtAnnotation = "kubectl.kubernetes.io/restartedAt"
	// FargateSchedulerName is the scheduler EKS's admission webhook gives
	// pods that a Fargate profile selects when they are created.
	FargateSchedulerName = "fargate-scheduler"
)

// coreDNSDefaultLabels are the labels of CoreDNS pods when the Deployment
// can't be read.
var coreDNSDefaultLabels = map[string]string{"k8s-app": "kube-dns"}

// CoreDNSAddonDescriber reads the coredns addon.
type CoreDNSAddonDescriber interface {
	DescribeAddon(ctx context.Context, in *eks.DescribeAddonInput, optFns ...func(*eks.Options)) (*eks.DescribeAddonOutput, error)
}

// CoreDNSAddonUpdater changes the coredns addon's configuration values.
type CoreDNSAddonUpdater interface {
	UpdateAddon(ctx context.Context, in *eks.UpdateAddonInput, optFns ...func(*eks.Options)) (*eks.UpdateAddonOutput, error)
}

// CoreDNSUpdateDescriber follows an addon update.
type CoreDNSUpdateDescriber interface {
	DescribeUpdate(ctx context.Context, in *eks.DescribeUpdateInput, optFns ...func(*eks.Options)) (*eks.DescribeUpdateOutput, error)
}

// AddonClient is what the CoreDNS step needs of EKS: the add-on reads, and
// the write path's interface (ops.EKS), through which the add-on update
// goes.
type AddonClient interface {
	ops.EKS
	CoreDNSAddonDescriber
	CoreDNSAddonUpdater
	CoreDNSUpdateDescriber
}

var _ AddonClient = (*eks.Client)(nil)

// CoreDNSClients are the clients of PlanCoreDNS and ObserveCoreDNS.
type CoreDNSClients struct {
	// EKS reads and updates the coredns addon. nil: CoreDNS is taken to be
	// self-managed.
	EKS AddonClient
	// Kube reads and patches the coredns Deployment and its pods.
	Kube kubernetes.Interface
	// KubeFor builds the Kubernetes client when Kube is nil, for a cluster
	// that exists only once earlier changes ran.
	KubeFor func(ctx context.Context) (kubernetes.Interface, error)
	// Logger; nil means zap.NewNop().
	Logger *zap.Logger
	// PollInterval between checks while waiting. Default 5s.
	PollInterval time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

func (c *CoreDNSClients) defaults() {
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 5 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

func (c *CoreDNSClients) kube(ctx context.Context) (kubernetes.Interface, error) {
	return resolveKube(ctx, c.Kube, c.KubeFor, "coredns", "CoreDNSClients")
}

// CoreDNSMode is how CoreDNS is installed.
type CoreDNSMode string

// How CoreDNS can run.
const (
	// CoreDNSModeAddon: the EKS managed addon coredns.
	CoreDNSModeAddon CoreDNSMode = "addon"
	// CoreDNSModeSelfManaged: the Deployment EKS creates with the cluster.
	CoreDNSModeSelfManaged CoreDNSMode = "self-managed"
	// CoreDNSModeAbsent: neither.
	CoreDNSModeAbsent CoreDNSMode = "absent"
)

// CoreDNSPod is one CoreDNS pod.
type CoreDNSPod struct {
	// Name of the pod.
	Name string `json:"name"`
	// Phase, for example "Pending".
	Phase string `json:"phase"`
	// Ready is the pod's Ready condition.
	Ready bool `json:"ready"`
	// OnFargate is true when EKS gave the pod the Fargate scheduler.
	OnFargate bool `json:"onFargate"`
	// SchedulerName of the pod.
	SchedulerName string `json:"schedulerName,omitempty"`
	// NodeName the pod runs on.
	NodeName string `json:"nodeName,omitempty"`
	// Reason of the PodScheduled condition when not scheduled.
	Reason string `json:"reason,omitempty"`
	// Message of that condition.
	Message string `json:"message,omitempty"`
	// Terminating is true once the pod is being deleted.
	Terminating bool `json:"terminating,omitempty"`
}

// CoreDNSStatus is how CoreDNS runs: an observation that the plan and the
// audit share.
type CoreDNSStatus struct {
	// Mode is addon, self-managed or absent.
	Mode CoreDNSMode `json:"mode"`
	// AddonVersion and AddonStatus of the coredns addon.
	AddonVersion string `json:"addonVersion,omitempty"`
	// AddonStatus, for example ACTIVE.
	AddonStatus string `json:"addonStatus,omitempty"`
	// AddonConfigurationValues as EKS returns them.
	AddonConfigurationValues string `json:"addonConfigurationValues,omitempty"`
	// AddonComputeType is the computeType configuration value ("" unset).
	AddonComputeType string `json:"addonComputeType,omitempty"`
	// DeploymentFound is true when the coredns Deployment exists.
	DeploymentFound bool `json:"deploymentFound"`
	// AnnotationPresent tells whether the pod template carries
	// eks.amazonaws.com/compute-type, and ComputeTypeAnnotation its value.
	AnnotationPresent bool `json:"annotationPresent"`
	// ComputeTypeAnnotation is the annotation's value.
	ComputeTypeAnnotation string `json:"computeTypeAnnotation,omitempty"`
	// RestartedAt is the pod template's kubectl.kubernetes.io/restartedAt.
	RestartedAt string `json:"restartedAt,omitempty"`
	// Replicas the Deployment asks for.
	Replicas int32 `json:"replicas"`
	// TemplateLabels are the labels of the pod template.
	TemplateLabels map[string]string `json:"templateLabels,omitempty"`
	// Pods are the CoreDNS pods (label k8s-app=kube-dns).
	Pods []CoreDNSPod `json:"pods,omitempty"`
	// Ready counts pods that are Ready on Fargate; Pending those Pending.
	Ready int `json:"ready"`
	// Pending counts Pending pods.
	Pending int `json:"pending"`
	// SelectingProfile names the first Fargate profile of the spec that
	// selects CoreDNS pods; "" when none does.
	SelectingProfile string `json:"selectingProfile,omitempty"`
}

// OnFargate reports whether CoreDNS is set up to run on Fargate and no pod
// is left that was created for EC2 or before a profile selected it.
func (s *CoreDNSStatus) OnFargate() bool {
	ok, _ := s.fargateReasons()
	return ok
}

// fargateReasons says what keeps CoreDNS off Fargate and whether a restart
// of the rollout is needed.
func (s *CoreDNSStatus) fargateReasons() (onFargate bool, why []string) {
	switch s.Mode {
	case CoreDNSModeAbsent:
		return false, []string{"CoreDNS is not installed"}
	case CoreDNSModeAddon:
		if s.AddonComputeType != "Fargate" {
			why = append(why, fmt.Sprintf("addon computeType is %q, want \"Fargate\"", s.AddonComputeType))
		}
	case CoreDNSModeSelfManaged:
		if s.AnnotationPresent {
			why = append(why, fmt.Sprintf("pod template has %s: %s", CoreDNSComputeTypeAnnotation, s.ComputeTypeAnnotation))
		}
	}
	if stale := s.stalePods(); len(stale) > 0 {
		why = append(why, "pods not scheduled by "+FargateSchedulerName+" (created before a profile selected them, or for EC2): "+strings.Join(stale, ", "))
	}
	if s.Mode == CoreDNSModeSelfManaged && !s.AnnotationPresent && len(s.activePods()) == 0 && s.RestartedAt == "" && s.Replicas > 0 {
		// Newer deployments lack the annotation: removing it is a no-op,
		// so the rollout is restarted anyway (once).
		why = append(why, "rollout not restarted since the compute-type annotation went")
	}
	return len(why) == 0, why
}

func (s *CoreDNSStatus) activePods() []CoreDNSPod {
	var out []CoreDNSPod
	for _, p := range s.Pods {
		if !p.Terminating {
			out = append(out, p)
		}
	}
	return out
}

func (s *CoreDNSStatus) stalePods() []string {
	var out []string
	for _, p := range s.activePods() {
		if !p.OnFargate {
			out = append(out, p.Name)
		}
	}
	return out
}

// CoreDNSSelectingProfile returns the name of the first Fargate profile of
// spec with a selector that matches namespace kube-system and whose labels
// are all on podLabels (wildcards allowed in namespace, label keys and
// values), and "" when none does. It is pure.
func CoreDNSSelectingProfile(spec *Spec, podLabels map[string]string) string {
	if podLabels == nil {
		podLabels = coreDNSDefaultLabels
	}
	for _, fp := range spec.FargateProfiles {
		for _, sel := range fp.Selectors {
			if sel.Matches(CoreDNSNamespace, podLabels) {
				return fp.Name
			}
		}
	}
	return ""
}

// ObserveCoreDNS reads how CoreDNS runs: the coredns addon (when EKS is
// set), the Deployment's pod template, the pods, and which profile of spec
// selects them. It only reads.
func ObserveCoreDNS(ctx context.Context, c CoreDNSClients, spec *Spec) (*CoreDNSStatus, error) {
	c.defaults()
	st := &CoreDNSStatus{Mode: CoreDNSModeAbsent}
	if c.EKS != nil {
		a, err := observe.Addon(ctx, c.EKS, spec.Name, CoreDNSAddonName)
		var nf *ekstypes.ResourceNotFoundException
		switch {
		case errors.As(err, &nf):
		case err != nil:
			return nil, fmt.Errorf("coredns: describe addon: %w", err)
		case a != nil:
			st.Mode = CoreDNSModeAddon
			st.AddonVersion = aws.ToString(a.AddonVersion)
			st.AddonStatus = string(a.Status)
			st.AddonConfigurationValues = aws.ToString(a.ConfigurationValues)
			vals, err := coreDNSConfigValues(st.AddonConfigurationValues)
			if err != nil {
				return nil, err
			}
			if ct, ok := vals["computeType"].(string); ok {
				st.AddonComputeType = ct
			}
		}
	}
	kube, err := c.kube(ctx)
	if err != nil {
		return nil, err
	}
	d, err := observe.Deployment(ctx, kube, CoreDNSNamespace, CoreDNSDeployment)
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return nil, fmt.Errorf("coredns: read Deployment: %w", err)
	default:
		st.DeploymentFound = true
		if st.Mode == CoreDNSModeAbsent {
			st.Mode = CoreDNSModeSelfManaged
		}
		st.ComputeTypeAnnotation, st.AnnotationPresent = d.Spec.Template.Annotations[CoreDNSComputeTypeAnnotation]
		st.RestartedAt = d.Spec.Template.Annotations[CoreDNSRestartedAtAnnotation]
		st.Replicas = 1
		if d.Spec.Replicas != nil {
			st.Replicas = *d.Spec.Replicas
		}
		st.TemplateLabels = d.Spec.Template.Labels
	}
	err = observe.Pods(ctx, kube, CoreDNSNamespace, labels.SelectorFromSet(coreDNSDefaultLabels).String(), func(pod *corev1.Pod) error {
		p := coreDNSPodOf(pod)
		st.Pods = append(st.Pods, p)
		if p.Terminating {
			return nil
		}
		if p.Ready && p.OnFargate {
			st.Ready++
		}
		if p.Phase == string(corev1.PodPending) {
			st.Pending++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("coredns: list pods: %w", err)
	}
	sort.Slice(st.Pods, func(i, j int) bool { return st.Pods[i].Name < st.Pods[j].Name })
	st.SelectingProfile = CoreDNSSelectingProfile(spec, st.TemplateLabels)
	return st, nil
}

func coreDNSPodOf(p *corev1.Pod) CoreDNSPod {
	out := CoreDNSPod{
		Name:          p.Name,
		Phase:         string(p.Status.Phase),
		SchedulerName: p.Spec.SchedulerName,
		NodeName:      p.Spec.NodeName,
		OnFargate:     p.Spec.SchedulerName == FargateSchedulerName,
		Terminating:   p.DeletionTimestamp != nil,
	}
	for _, cond := range p.Status.Conditions {
		switch cond.Type {
		case corev1.PodReady:
			out.Ready = cond.Status == corev1.ConditionTrue
		case corev1.PodScheduled:
			if cond.Status != corev1.ConditionTrue {
				out.Reason, out.Message = cond.Reason, cond.Message
			}
		}
	}
	return out
}

// coreDNSConfigValues parses addon configuration values, which EKS accepts
// as JSON or YAML.
func coreDNSConfigValues(s string) (map[string]any, error) {
	vals := map[string]any{}
	if strings.TrimSpace(s) == "" {
		return vals, nil
	}
	useNumber := func(d *json.Decoder) *json.Decoder { d.UseNumber(); return d } // keep numbers exact
	if err := yaml.Unmarshal([]byte(s), &vals, useNumber); err != nil {
		return nil, fmt.Errorf("coredns: addon configuration values are neither JSON nor YAML: %w", err)
	}
	if vals == nil {
		vals = map[string]any{}
	}
	return vals, nil
}

// CoreDNSFargateConfig returns the addon configuration values with
// computeType set to Fargate and every other value kept, as JSON. It is
// pure.
func CoreDNSFargateConfig(current string) (string, error) {
	vals, err := coreDNSConfigValues(current)
	if err != nil {
		return "", err
	}
	vals["computeType"] = "Fargate"
	b, err := json.Marshal(vals)
	if err != nil {
		return "", fmt.Errorf("coredns: configuration values: %w", err)
	}
	return string(b), nil
}

// ErrCoreDNSNoProfile is returned (wrapped) when no Fargate profile of the
// spec selects the CoreDNS pods: they would stay Pending forever.
var ErrCoreDNSNoProfile = errors.New("no Fargate profile selects CoreDNS")

// CoreDNSChangeID is the plan ID of the CoreDNS change.
const CoreDNSChangeID = "coredns/compute-type"

// PlanCoreDNS plans moving CoreDNS onto Fargate (unless
// spec.CoreDNS.OnFargate is false): with the coredns addon, set its
// configuration value computeType to Fargate (other values kept) and wait
// for it to be ACTIVE; otherwise remove the pod-template annotation
// eks.amazonaws.com/compute-type and restart the rollout (also when the
// annotation is absent, once: pods created before a profile selected them
// stay Pending until recreated). Optionally it waits until the pods are
// Ready on Fargate. Already on Fargate: a NoOp change. No profile of the
// spec selecting kube-system CoreDNS pods: ErrCoreDNSNoProfile.
func PlanCoreDNS(ctx context.Context, c CoreDNSClients, spec *Spec) ([]plan.Change, error) {
	c.defaults()
	if spec.CoreDNS.OnFargate != nil && !*spec.CoreDNS.OnFargate {
		return nil, nil
	}
	st, err := ObserveCoreDNS(ctx, c, spec)
	if err != nil {
		return nil, err
	}
	if st.SelectingProfile == "" {
		lbls := st.TemplateLabels
		if lbls == nil {
			lbls = coreDNSDefaultLabels
		}
		return nil, fmt.Errorf("coredns: %w: no profile in spec.fargateProfiles selects namespace %s with labels compatible with %s; CoreDNS stays Pending forever. Add a profile with the selector {namespace: %s}",
			ErrCoreDNSNoProfile, CoreDNSNamespace, labels.SelectorFromSet(lbls), CoreDNSNamespace)
	}
	if st.Mode == CoreDNSModeAbsent {
		return []plan.Change{{
			ID: CoreDNSChangeID, Kind: "coredns", Resource: CoreDNSNamespace + "/" + CoreDNSDeployment,
			Action: plan.NoOp, Summary: "CoreDNS is not installed (neither the coredns addon nor the Deployment)",
		}}, nil
	}
	ok, why := st.fargateReasons()
	ch := plan.Change{
		ID:          CoreDNSChangeID,
		Kind:        "coredns",
		Resource:    CoreDNSNamespace + "/" + CoreDNSDeployment,
		Requirement: "CoreDNS runs on Fargate only without the compute-type: ec2 pin (the coredns addon: computeType Fargate) and with a profile selecting kube-system; pods created before must be restarted",
		Before:      coreDNSView(st),
		// The profile that selects CoreDNS, and the coredns addon's own
		// change, come first.
		DependsOn: []string{"eks.fargate-profile/" + spec.Name + "/" + st.SelectingProfile, "eks.addon/" + spec.Name + "/" + CoreDNSAddonName},
	}
	after := coreDNSView(st)
	if st.Mode == CoreDNSModeAddon {
		ch.Resource = "addon " + CoreDNSAddonName
		ch.Serial = "eks.addon/" + spec.Name + "/" + CoreDNSAddonName
		after.ComputeType = "Fargate"
	} else {
		after.Annotation = ""
	}
	ch.After = after
	if ok {
		ch.Action = plan.NoOp
		ch.Summary = "on Fargate (profile " + st.SelectingProfile + ")"
		if spec.CoreDNS.WaitReady && st.Ready < int(st.Replicas) {
			ch.Action = plan.Update
			ch.Summary = fmt.Sprintf("wait until CoreDNS is Ready on Fargate (%d/%d)", st.Ready, st.Replicas)
		}
	} else {
		ch.Action = plan.Update
		ch.Summary = strings.Join(why, "; ")
	}
	ch.Run = func(ctx context.Context, report plan.Reporter) error {
		return coreDNSRun(ctx, c, spec, report)
	}
	return []plan.Change{ch}, nil
}

// coreDNSState is what a plan shows of CoreDNS.
type coreDNSState struct {
	Mode        CoreDNSMode `json:"mode"`
	ComputeType string      `json:"computeType,omitempty"`
	Annotation  string      `json:"annotation,omitempty"`
	Ready       string      `json:"ready"`
}

func coreDNSView(st *CoreDNSStatus) coreDNSState {
	v := coreDNSState{Mode: st.Mode, ComputeType: st.AddonComputeType, Ready: fmt.Sprintf("%d/%d", st.Ready, st.Replicas)}
	if st.AnnotationPresent {
		v.Annotation = CoreDNSComputeTypeAnnotation + "=" + st.ComputeTypeAnnotation
	}
	return v
}

// coreDNSRun converges at apply time from a fresh observation, so a plan
// that has aged still does the right thing.
func coreDNSRun(ctx context.Context, c CoreDNSClients, spec *Spec, report plan.Reporter) error {
	st, err := ObserveCoreDNS(ctx, c, spec)
	if err != nil {
		return err
	}
	kube, err := c.kube(ctx)
	if err != nil {
		return err
	}
	switch st.Mode {
	case CoreDNSModeAbsent:
		return errors.New("coredns: neither the coredns addon nor the Deployment exists")
	case CoreDNSModeAddon:
		if st.AddonComputeType != "Fargate" {
			if err := coreDNSUpdateAddon(ctx, c, spec, st, report); err != nil {
				return err
			}
		}
	case CoreDNSModeSelfManaged:
		ok, _ := st.fargateReasons()
		if !ok {
			if err := CoreDNSRestart(ctx, kube, c.Now()); err != nil {
				return err
			}
			report("rollout restarted")
		}
	}
	// With the addon already on Fargate, pods created before a profile
	// selected them still need a restart; after a computeType change the
	// addon rolls CoreDNS itself.
	if st.Mode == CoreDNSModeAddon && st.AddonComputeType == "Fargate" && len(st.stalePods()) > 0 {
		if err := CoreDNSRestart(ctx, kube, c.Now()); err != nil {
			return err
		}
		report("rollout restarted")
	}
	if spec.CoreDNS.WaitReady {
		timeout := time.Duration(spec.CoreDNS.WaitTimeoutSeconds) * time.Second
		if timeout <= 0 {
			timeout = 600 * time.Second
		}
		return CoreDNSWaitReady(ctx, c, spec, timeout, report)
	}
	return nil
}

func coreDNSUpdateAddon(ctx context.Context, c CoreDNSClients, spec *Spec, st *CoreDNSStatus, report plan.Reporter) error {
	cfg, err := CoreDNSFargateConfig(st.AddonConfigurationValues)
	if err != nil {
		return err
	}
	resolve := ResolveOverwrite
	for _, a := range spec.Addons {
		if a.Name == CoreDNSAddonName && a.ResolveConflicts != "" {
			resolve = a.ResolveConflicts
		}
	}
	u, err := ops.AddonUpdate(ctx, c.EKS, &eks.UpdateAddonInput{
		ClusterName:         aws.String(spec.Name),
		AddonName:           aws.String(CoreDNSAddonName),
		ConfigurationValues: aws.String(cfg),
		ResolveConflicts:    ekstypes.ResolveConflicts(resolve),
	})
	if err != nil {
		return fmt.Errorf("coredns: update addon: %w", err)
	}
	report("addon updating")
	if u != nil && u.Id != nil {
		if err := coreDNSWaitUpdate(ctx, c, spec.Name, aws.ToString(u.Id), report); err != nil {
			return err
		}
	}
	if err := coreDNSWaitAddonActive(ctx, c, spec.Name); err != nil {
		return fmt.Errorf("coredns: addon not ACTIVE: %w", err)
	}
	report("addon ACTIVE")
	return nil
}

// coreDNSWaitAddonActive waits (ops.Poll) until the coredns addon is
// ACTIVE, for at most 20 minutes of the real clock, polling every
// PollInterval and backing off to 4 PollIntervals. CREATE_FAILED and
// DEGRADED stop the wait at once, as the SDK's AddonActive waiter does.
func coreDNSWaitAddonActive(ctx context.Context, c CoreDNSClients, cluster string) error {
	what := "addon " + CoreDNSAddonName
	return ops.Poll(ctx, what, ops.WaitOptions{Poll: c.PollInterval, MaxPoll: 4 * c.PollInterval, Timeout: 20 * time.Minute},
		func(ctx context.Context) (string, bool, error) {
			a, err := observe.Addon(ctx, c.EKS, cluster, CoreDNSAddonName)
			if err != nil {
				return "", false, err
			}
			if a == nil {
				return "", false, nil
			}
			switch st := a.Status; st {
			case ekstypes.AddonStatusActive:
				return string(st), true, nil
			case ekstypes.AddonStatusCreateFailed, ekstypes.AddonStatusDegraded:
				return string(st), false, fmt.Errorf("%s is %s: %s", what, st, ops.AddonHealth(a.Health))
			default:
				return string(st), false, nil
			}
		})
}

// coreDNSWaitUpdate polls an addon update until it succeeds; Failed and
// Cancelled stop at once with EKS's error details.
func coreDNSWaitUpdate(ctx context.Context, c CoreDNSClients, cluster, id string, report plan.Reporter) error {
	err := ekswait.Update(ctx, c.EKS, cluster, CoreDNSAddonName, id, ekswait.Options{
		Poll: c.PollInterval, MaxPoll: c.PollInterval, Timeout: 20 * time.Minute, Now: c.Now,
		Report: func(state string, elapsed time.Duration) {
			c.Logger.Info("coredns addon update", zap.String("update", id), zap.String("status", state), zap.Duration("elapsed", elapsed))
			report("addon update " + state)
		},
	})
	if err != nil {
		return fmt.Errorf("coredns: addon %w", err)
	}
	return nil
}

// coreDNSJSONPatchOp is one RFC 6902 operation.
type coreDNSJSONPatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

func coreDNSPointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// CoreDNSRestart removes the pod-template annotation
// eks.amazonaws.com/compute-type (when present) and restarts the rollout as
// kubectl rollout restart does (kubectl.kubernetes.io/restartedAt = now),
// both in one JSON patch, so that there is one rollout. The patch is built
// from a fresh read and has no test operation; if the annotation vanishes in
// between, the patch fails and is rebuilt.
func CoreDNSRestart(ctx context.Context, kube kubernetes.Interface, now time.Time) error {
	deps := kube.AppsV1().Deployments(CoreDNSNamespace)
	var last error
	for attempt := 0; attempt < 5; attempt++ {
		d, err := observe.Deployment(ctx, kube, CoreDNSNamespace, CoreDNSDeployment)
		if err != nil {
			return fmt.Errorf("coredns: read Deployment: %w", err)
		}
		const base = "/spec/template/metadata/annotations"
		var patch []coreDNSJSONPatchOp
		ts := now.UTC().Format(time.RFC3339)
		if d.Spec.Template.Annotations == nil {
			patch = append(patch, coreDNSJSONPatchOp{Op: "add", Path: base, Value: map[string]string{CoreDNSRestartedAtAnnotation: ts}})
		} else {
			if _, ok := d.Spec.Template.Annotations[CoreDNSComputeTypeAnnotation]; ok {
				patch = append(patch, coreDNSJSONPatchOp{Op: "remove", Path: base + "/" + coreDNSPointerEscape(CoreDNSComputeTypeAnnotation)})
			}
			patch = append(patch, coreDNSJSONPatchOp{Op: "add", Path: base + "/" + coreDNSPointerEscape(CoreDNSRestartedAtAnnotation), Value: ts})
		}
		body, err := json.Marshal(patch)
		if err != nil {
			return err
		}
		_, err = deps.Patch(ctx, CoreDNSDeployment, types.JSONPatchType, body, metav1.PatchOptions{FieldManager: "fargatekit"})
		if err == nil {
			return nil
		}
		if !(apierrors.IsInvalid(err) || apierrors.IsBadRequest(err) || apierrors.IsConflict(err)) {
			return fmt.Errorf("coredns: patch Deployment: %w", err)
		}
		last = err
	}
	return fmt.Errorf("coredns: patch Deployment: %w", last)
}

// CoreDNSNotReadyError is a wait for CoreDNS that timed out: the pods that
// are not Ready and the events about them.
type CoreDNSNotReadyError struct {
	// Ready and Want count Ready Fargate pods and the replicas wanted.
	Ready, Want int
	// Waited is how long the wait took.
	Waited time.Duration
	// Pods not Ready on Fargate.
	Pods []CoreDNSPod
	// Events maps a pod name to its events, oldest first.
	Events map[string][]string
}

// Error lists the pods not Ready and their events.
func (e *CoreDNSNotReadyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "coredns: %d/%d pods Ready on Fargate after %s", e.Ready, e.Want, e.Waited.Round(time.Second))
	for _, p := range e.Pods {
		fmt.Fprintf(&b, "; pod %s %s", p.Name, p.Phase)
		if !p.OnFargate {
			fmt.Fprintf(&b, " (scheduler %q: no Fargate profile selected it when it was created)", p.SchedulerName)
		}
		if p.Reason != "" {
			fmt.Fprintf(&b, " %s: %s", p.Reason, p.Message)
		}
		for _, ev := range e.Events[p.Name] {
			fmt.Fprintf(&b, "; event: %s", ev)
		}
	}
	return b.String()
}

// CoreDNSWaitReady waits until as many CoreDNS pods as the Deployment's
// replicas are Ready and on Fargate, reporting progress at each poll. On
// timeout it returns a *CoreDNSNotReadyError with the pods not Ready and
// their events.
func CoreDNSWaitReady(ctx context.Context, c CoreDNSClients, spec *Spec, timeout time.Duration, report plan.Reporter) error {
	c.defaults()
	if report == nil {
		report = func(string) {}
	}
	kube, err := c.kube(ctx)
	if err != nil {
		return err
	}
	start := c.Now()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		st, err := ObserveCoreDNS(ctx, CoreDNSClients{Kube: kube, Logger: c.Logger, Now: c.Now, PollInterval: c.PollInterval}, spec)
		if err != nil {
			return err
		}
		want := int(st.Replicas)
		if !st.DeploymentFound {
			want = 1
		}
		if st.Ready >= want {
			report(fmt.Sprintf("%d/%d Ready on Fargate", st.Ready, want))
			return nil
		}
		msg := fmt.Sprintf("%d/%d Ready on Fargate, %d Pending", st.Ready, want, st.Pending)
		c.Logger.Info("coredns wait", zap.String("state", msg), zap.Duration("elapsed", c.Now().Sub(start)))
		report(msg)
		t := time.NewTimer(c.PollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-deadline.C:
			t.Stop()
			return coreDNSNotReady(ctx, kube, st, want, c.Now().Sub(start))
		case <-t.C:
		}
	}
}

func coreDNSNotReady(ctx context.Context, kube kubernetes.Interface, st *CoreDNSStatus, want int, waited time.Duration) error {
	e := &CoreDNSNotReadyError{Ready: st.Ready, Want: want, Waited: waited, Events: map[string][]string{}}
	for _, p := range st.activePods() {
		if p.Ready && p.OnFargate {
			continue
		}
		e.Pods = append(e.Pods, p)
		var items []corev1.Event
		err := observe.Events(ctx, kube, CoreDNSNamespace, fields.OneTermEqualSelector("involvedObject.name", p.Name).String(), func(ev *corev1.Event) error {
			items = append(items, *ev)
			return nil
		})
		if err != nil {
			e.Events[p.Name] = []string{"(events unavailable: " + err.Error() + ")"}
			continue
		}
		sort.Slice(items, func(i, j int) bool { return items[i].LastTimestamp.Before(&items[j].LastTimestamp) })
		for _, ev := range items {
			e.Events[p.Name] = append(e.Events[p.Name], fmt.Sprintf("%s %s: %s", ev.Type, ev.Reason, ev.Message))
		}
	}
	return e
}
