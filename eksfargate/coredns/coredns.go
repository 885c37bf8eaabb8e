package coredns

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
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/fargatekit/fargatekit/eksfargate/kubeauth"
	"github.com/fargatekit/fargatekit/eksfargate/observe"
	"github.com/fargatekit/fargatekit/internal/ops"
)

// CoreDNS as EKS installs it.
const (
	// Namespace of the CoreDNS Deployment and its pods.
	Namespace = "kube-system"
	// Deployment is the name of the CoreDNS Deployment.
	Deployment = "coredns"
	// AddonName is the name of the EKS managed addon that runs CoreDNS.
	AddonName = "coredns"
	// ComputeTypeAnnotation on the pod template pins CoreDNS to EC2
	// (value "ec2"); Fargate can't schedule pods that carry it.
	ComputeTypeAnnotation = "eks.amazonaws.com/compute-type"
	// RestartedAtAnnotation is the pod-template annotation kubectl
	// rollout restart sets.
	RestartedAtAnnotation = "kubectl.kubernetes.io/restartedAt"
	// FargateSchedulerName is the scheduler EKS's admission webhook gives
	// pods that a Fargate profile selects when they are created.
	FargateSchedulerName = "fargate-scheduler"
)

// defaultLabels are the labels of CoreDNS pods when the Deployment
// can't be read.
var defaultLabels = map[string]string{"k8s-app": "kube-dns"}

// AddonDescriber reads the coredns addon.
type AddonDescriber interface {
	DescribeAddon(ctx context.Context, in *eks.DescribeAddonInput, optFns ...func(*eks.Options)) (*eks.DescribeAddonOutput, error)
}

// AddonUpdater changes the coredns addon's configuration values.
type AddonUpdater interface {
	UpdateAddon(ctx context.Context, in *eks.UpdateAddonInput, optFns ...func(*eks.Options)) (*eks.UpdateAddonOutput, error)
}

// UpdateDescriber follows an addon update.
type UpdateDescriber interface {
	DescribeUpdate(ctx context.Context, in *eks.DescribeUpdateInput, optFns ...func(*eks.Options)) (*eks.DescribeUpdateOutput, error)
}

// AddonClient is what the CoreDNS step needs of EKS: the add-on reads, and
// the write path's interface (ops.EKS), through which the add-on update
// goes.
type AddonClient interface {
	ops.EKS
	AddonDescriber
	AddonUpdater
	UpdateDescriber
}

var _ AddonClient = (*eks.Client)(nil)

// Clients are the clients of Plan, Observe and WaitReady.
type Clients struct {
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

func (c *Clients) defaults() {
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

// kube returns c.Kube, or the client c.KubeFor builds when Kube is nil.
func (c *Clients) kube(ctx context.Context) (kubernetes.Interface, error) {
	return kubeauth.Client(ctx, c.Kube, c.KubeFor, "coredns", "coredns.Clients.Kube")
}

// Mode is how CoreDNS is installed.
type Mode string

// How CoreDNS can run.
const (
	// ModeAddon: the EKS managed addon coredns.
	ModeAddon Mode = "addon"
	// ModeSelfManaged: the Deployment EKS creates with the cluster.
	ModeSelfManaged Mode = "self-managed"
	// ModeAbsent: neither.
	ModeAbsent Mode = "absent"
)

// Pod is one CoreDNS pod.
type Pod struct {
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

// Status is how CoreDNS runs: an observation that the plan and the
// audit share.
type Status struct {
	// Mode is addon, self-managed or absent.
	Mode Mode `json:"mode"`
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
	Pods []Pod `json:"pods,omitempty"`
	// Ready counts pods that are Ready on Fargate; Pending those Pending.
	Ready int `json:"ready"`
	// Pending counts Pending pods.
	Pending int `json:"pending"`
	// SelectingProfile names the first Fargate profile of the target that
	// selects CoreDNS pods; "" when none does.
	SelectingProfile string `json:"selectingProfile,omitempty"`
}

// OnFargate reports whether CoreDNS is set up to run on Fargate and no pod
// is left that was created for EC2 or before a profile selected it.
func (s *Status) OnFargate() bool {
	ok, _ := s.fargateReasons()
	return ok
}

// fargateReasons says what keeps CoreDNS off Fargate and whether a restart
// of the rollout is needed.
func (s *Status) fargateReasons() (onFargate bool, why []string) {
	switch s.Mode {
	case ModeAbsent:
		return false, []string{"CoreDNS is not installed"}
	case ModeAddon:
		if s.AddonComputeType != "Fargate" {
			why = append(why, fmt.Sprintf("addon computeType is %q, want \"Fargate\"", s.AddonComputeType))
		}
	case ModeSelfManaged:
		if s.AnnotationPresent {
			why = append(why, fmt.Sprintf("pod template has %s: %s", ComputeTypeAnnotation, s.ComputeTypeAnnotation))
		}
	}
	if stale := s.stalePods(); len(stale) > 0 {
		why = append(why, "pods not scheduled by "+FargateSchedulerName+" (created before a profile selected them, or for EC2): "+strings.Join(stale, ", "))
	}
	if s.Mode == ModeSelfManaged && !s.AnnotationPresent && len(s.activePods()) == 0 && s.RestartedAt == "" && s.Replicas > 0 {
		// Newer deployments lack the annotation: removing it is a no-op,
		// so the rollout is restarted anyway (once).
		why = append(why, "rollout not restarted since the compute-type annotation went")
	}
	return len(why) == 0, why
}

func (s *Status) activePods() []Pod {
	var out []Pod
	for _, p := range s.Pods {
		if !p.Terminating {
			out = append(out, p)
		}
	}
	return out
}

func (s *Status) stalePods() []string {
	var out []string
	for _, p := range s.activePods() {
		if !p.OnFargate {
			out = append(out, p.Name)
		}
	}
	return out
}

// SelectingProfile returns the name of the first Fargate profile of
// t.Profiles with a selector that matches namespace kube-system and whose
// labels are all on podLabels (wildcards allowed in namespace, label keys
// and values), and "" when none does. nil podLabels stand for the labels of
// EKS's CoreDNS pods, k8s-app=kube-dns. It is pure.
func SelectingProfile(t Target, podLabels map[string]string) string {
	if podLabels == nil {
		podLabels = defaultLabels
	}
	for _, fp := range t.Profiles {
		for _, sel := range fp.Selectors {
			if sel.Matches(Namespace, podLabels) {
				return fp.Name
			}
		}
	}
	return ""
}

// Observe reads how CoreDNS runs: the coredns addon (when c.EKS is set),
// the Deployment's pod template, the pods, and which profile of
// t.Profiles selects them. It only reads.
func Observe(ctx context.Context, c Clients, t Target) (*Status, error) {
	c.defaults()
	st := &Status{Mode: ModeAbsent}
	if c.EKS != nil || t.Observed != nil {
		var a *ekstypes.Addon
		var err error
		if t.Observed != nil {
			a = t.Observed.Addon
		} else {
			a, err = observe.Addon(ctx, c.EKS, t.Cluster, AddonName)
		}
		var nf *ekstypes.ResourceNotFoundException
		switch {
		case errors.As(err, &nf):
		case err != nil:
			return nil, fmt.Errorf("coredns: describe addon: %w", err)
		case a != nil:
			st.Mode = ModeAddon
			st.AddonVersion = aws.ToString(a.AddonVersion)
			st.AddonStatus = string(a.Status)
			st.AddonConfigurationValues = aws.ToString(a.ConfigurationValues)
			vals, err := configValues(st.AddonConfigurationValues)
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
	d, err := observe.Deployment(ctx, kube, Namespace, Deployment)
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return nil, fmt.Errorf("coredns: read Deployment: %w", err)
	default:
		st.DeploymentFound = true
		if st.Mode == ModeAbsent {
			st.Mode = ModeSelfManaged
		}
		st.ComputeTypeAnnotation, st.AnnotationPresent = d.Spec.Template.Annotations[ComputeTypeAnnotation]
		st.RestartedAt = d.Spec.Template.Annotations[RestartedAtAnnotation]
		st.Replicas = 1
		if d.Spec.Replicas != nil {
			st.Replicas = *d.Spec.Replicas
		}
		st.TemplateLabels = d.Spec.Template.Labels
	}
	err = observe.Pods(ctx, kube, Namespace, labels.SelectorFromSet(defaultLabels).String(), func(pod *corev1.Pod) error {
		p := podOf(pod)
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
	st.SelectingProfile = SelectingProfile(t, st.TemplateLabels)
	return st, nil
}

func podOf(p *corev1.Pod) Pod {
	out := Pod{
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

// configValues parses addon configuration values, which EKS accepts
// as JSON or YAML.
func configValues(s string) (map[string]any, error) {
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

// FargateConfig returns the addon configuration values current (JSON or
// YAML) with computeType set to Fargate and every other value kept, as
// JSON. It is pure.
func FargateConfig(current string) (string, error) {
	vals, err := configValues(current)
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
