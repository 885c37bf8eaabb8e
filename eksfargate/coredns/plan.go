package coredns

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"go.uber.org/zap"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/fargatekit/fargatekit/eksfargate/observe"
	"github.com/fargatekit/fargatekit/internal/ops"
	"github.com/fargatekit/fargatekit/plan"
)

// ErrNoProfile is returned (wrapped) when no Fargate profile of the
// target selects the CoreDNS pods: they would stay Pending forever.
var ErrNoProfile = errors.New("no Fargate profile selects CoreDNS")

// ChangeID is the plan ID of the CoreDNS change.
const ChangeID = "coredns/compute-type"

// Plan plans moving CoreDNS onto Fargate (unless t.Spec.OnFargate is
// false): with the coredns addon, set its configuration value computeType
// to Fargate (other values kept) and wait for it to be ACTIVE; otherwise
// remove the pod-template annotation eks.amazonaws.com/compute-type and
// restart the rollout (also when the annotation is absent, once: pods
// created before a profile selected them stay Pending until recreated).
// With t.Spec.WaitReady it then waits until the pods are Ready on Fargate.
// Already on Fargate: a NoOp change. No profile of t.Profiles selecting
// kube-system CoreDNS pods: ErrNoProfile. The change depends on the
// changes of the selecting profile and of the coredns addon
// (eks.fargate-profile/<cluster>/<profile>, eks.addon/<cluster>/coredns).
func Plan(ctx context.Context, c Clients, t Target) ([]plan.Change, error) {
	c.defaults()
	if t.Spec.OnFargate != nil && !*t.Spec.OnFargate {
		return nil, nil
	}
	st, err := Observe(ctx, c, t)
	if err != nil {
		return nil, err
	}
	changes, err := Diff(t, st)
	if err != nil {
		return nil, err
	}
	fresh := t
	fresh.Observed = nil // apply time observes again, the add-on included
	for i := range changes {
		if changes[i].Action != plan.NoOp {
			changes[i].Run = func(ctx context.Context, report plan.Reporter) error {
				return run(ctx, c, fresh, report)
			}
		}
	}
	return changes, nil
}

// Diff is Plan's pure part: the change that moves CoreDNS, as observed
// (st, from Observe), onto Fargate for t, without the function that
// performs it (Plan binds that, and it observes again when it runs). It
// reads nothing.
func Diff(t Target, st *Status) ([]plan.Change, error) {
	if t.Spec.OnFargate != nil && !*t.Spec.OnFargate {
		return nil, nil
	}
	if st.SelectingProfile == "" {
		lbls := st.TemplateLabels
		if lbls == nil {
			lbls = defaultLabels
		}
		return nil, fmt.Errorf("coredns: %w: no profile in spec.fargateProfiles selects namespace %s with labels compatible with %s; CoreDNS stays Pending forever. Add a profile with the selector {namespace: %s}",
			ErrNoProfile, Namespace, labels.SelectorFromSet(lbls), Namespace)
	}
	if st.Mode == ModeAbsent {
		return []plan.Change{{
			ID: ChangeID, Kind: "coredns", Resource: Namespace + "/" + Deployment,
			Action: plan.NoOp, Summary: "CoreDNS is not installed (neither the coredns addon nor the Deployment)",
		}}, nil
	}
	ok, why := st.fargateReasons()
	ch := plan.Change{
		ID:          ChangeID,
		Kind:        "coredns",
		Resource:    Namespace + "/" + Deployment,
		Requirement: "CoreDNS runs on Fargate only without the compute-type: ec2 pin (the coredns addon: computeType Fargate) and with a profile selecting kube-system; pods created before must be restarted",
		Before:      view(st),
		// The profile that selects CoreDNS, and the coredns addon's own
		// change, come first.
		DependsOn: []string{"eks.fargate-profile/" + t.Cluster + "/" + st.SelectingProfile, "eks.addon/" + t.Cluster + "/" + AddonName},
	}
	after := view(st)
	if st.Mode == ModeAddon {
		ch.Resource = "addon " + AddonName
		ch.Serial = "eks.addon/" + t.Cluster + "/" + AddonName
		after.ComputeType = "Fargate"
	} else {
		after.Annotation = ""
	}
	ch.After = after
	if ok {
		ch.Action = plan.NoOp
		ch.Summary = "on Fargate (profile " + st.SelectingProfile + ")"
		if t.Spec.WaitReady && st.Ready < int(st.Replicas) {
			ch.Action = plan.Update
			ch.Summary = fmt.Sprintf("wait until CoreDNS is Ready on Fargate (%d/%d)", st.Ready, st.Replicas)
		}
	} else {
		ch.Action = plan.Update
		ch.Summary = strings.Join(why, "; ")
	}
	return []plan.Change{ch}, nil
}

// state is what a plan shows of CoreDNS.
type state struct {
	Mode        Mode   `json:"mode"`
	ComputeType string `json:"computeType,omitempty"`
	Annotation  string `json:"annotation,omitempty"`
	Ready       string `json:"ready"`
}

func view(st *Status) state {
	v := state{Mode: st.Mode, ComputeType: st.AddonComputeType, Ready: fmt.Sprintf("%d/%d", st.Ready, st.Replicas)}
	if st.AnnotationPresent {
		v.Annotation = ComputeTypeAnnotation + "=" + st.ComputeTypeAnnotation
	}
	return v
}

// run converges at apply time from a fresh observation, so a plan
// that has aged still does the right thing.
func run(ctx context.Context, c Clients, t Target, report plan.Reporter) error {
	st, err := Observe(ctx, c, t)
	if err != nil {
		return err
	}
	kube, err := c.kube(ctx)
	if err != nil {
		return err
	}
	switch st.Mode {
	case ModeAbsent:
		return errors.New("coredns: neither the coredns addon nor the Deployment exists")
	case ModeAddon:
		if st.AddonComputeType != "Fargate" {
			if err := updateAddon(ctx, c, t, st, report); err != nil {
				return err
			}
		}
	case ModeSelfManaged:
		ok, _ := st.fargateReasons()
		if !ok {
			if err := Restart(ctx, kube, c.Now()); err != nil {
				return err
			}
			report("rollout restarted")
		}
	}
	// With the addon already on Fargate, pods created before a profile
	// selected them still need a restart; after a computeType change the
	// addon rolls CoreDNS itself.
	if st.Mode == ModeAddon && st.AddonComputeType == "Fargate" && len(st.stalePods()) > 0 {
		if err := Restart(ctx, kube, c.Now()); err != nil {
			return err
		}
		report("rollout restarted")
	}
	if t.Spec.WaitReady {
		timeout := time.Duration(t.Spec.WaitTimeoutSeconds) * time.Second
		if timeout <= 0 {
			timeout = 600 * time.Second
		}
		return WaitReady(ctx, c, t, timeout, report)
	}
	return nil
}

func updateAddon(ctx context.Context, c Clients, t Target, st *Status, report plan.Reporter) error {
	cfg, err := FargateConfig(st.AddonConfigurationValues)
	if err != nil {
		return err
	}
	resolve := string(ekstypes.ResolveConflictsOverwrite)
	if t.Addon != nil && t.Addon.ResolveConflicts != "" {
		resolve = t.Addon.ResolveConflicts
	}
	u, err := ops.AddonUpdate(ctx, c.EKS, &eks.UpdateAddonInput{
		ClusterName:         aws.String(t.Cluster),
		AddonName:           aws.String(AddonName),
		ConfigurationValues: aws.String(cfg),
		ResolveConflicts:    ekstypes.ResolveConflicts(resolve),
	})
	if err != nil {
		return fmt.Errorf("coredns: update addon: %w", err)
	}
	report("addon updating")
	if u != nil && u.Id != nil {
		if err := waitUpdate(ctx, c, t.Cluster, aws.ToString(u.Id), report); err != nil {
			return err
		}
	}
	if err := ops.WaitAddonActive(ctx, c.EKS, t.Cluster, AddonName, ops.WaitOptions{Poll: c.PollInterval, MaxPoll: 4 * c.PollInterval, Timeout: 20 * time.Minute}); err != nil {
		return fmt.Errorf("coredns: addon not ACTIVE: %w", err)
	}
	report("addon ACTIVE")
	return nil
}

// waitUpdate polls an addon update until it succeeds; Failed and
// Cancelled stop at once with EKS's error details.
func waitUpdate(ctx context.Context, c Clients, cluster, id string, report plan.Reporter) error {
	err := ops.WaitUpdate(ctx, c.EKS, cluster, AddonName, id, ops.WaitOptions{
		Poll: c.PollInterval, MaxPoll: c.PollInterval, Timeout: 20 * time.Minute, Now: c.Now,
		Report: func(state string) { report("addon update " + state) },
		Log: func(state string, elapsed time.Duration) {
			c.Logger.Info("coredns addon update", zap.String("update", id), zap.String("status", state), zap.Duration("elapsed", elapsed))
		},
	})
	if err != nil {
		return fmt.Errorf("coredns: addon %w", err)
	}
	return nil
}

// jsonPatchOp is one RFC 6902 operation.
type jsonPatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

func pointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// Restart removes the pod-template annotation
// eks.amazonaws.com/compute-type (when present) and restarts the rollout as
// kubectl rollout restart does (kubectl.kubernetes.io/restartedAt = now),
// both in one JSON patch, so that there is one rollout. The patch is built
// from a fresh read and has no test operation; if the annotation vanishes in
// between, the patch fails and is rebuilt.
func Restart(ctx context.Context, kube kubernetes.Interface, now time.Time) error {
	deps := kube.AppsV1().Deployments(Namespace)
	var last error
	for attempt := 0; attempt < 5; attempt++ {
		d, err := observe.Deployment(ctx, kube, Namespace, Deployment)
		if err != nil {
			return fmt.Errorf("coredns: read Deployment: %w", err)
		}
		const base = "/spec/template/metadata/annotations"
		var patch []jsonPatchOp
		ts := now.UTC().Format(time.RFC3339)
		if d.Spec.Template.Annotations == nil {
			patch = append(patch, jsonPatchOp{Op: "add", Path: base, Value: map[string]string{RestartedAtAnnotation: ts}})
		} else {
			if _, ok := d.Spec.Template.Annotations[ComputeTypeAnnotation]; ok {
				patch = append(patch, jsonPatchOp{Op: "remove", Path: base + "/" + pointerEscape(ComputeTypeAnnotation)})
			}
			patch = append(patch, jsonPatchOp{Op: "add", Path: base + "/" + pointerEscape(RestartedAtAnnotation), Value: ts})
		}
		body, err := json.Marshal(patch)
		if err != nil {
			return err
		}
		_, err = deps.Patch(ctx, Deployment, types.JSONPatchType, body, metav1.PatchOptions{FieldManager: "fargatekit"})
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
