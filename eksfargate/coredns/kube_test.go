package coredns_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/fargatekit/fargatekit/eksfargate"
	"github.com/fargatekit/fargatekit/eksfargate/coredns"
	"github.com/fargatekit/fargatekit/envtest"
	"github.com/fargatekit/fargatekit/envtest/awsproxy"
	"github.com/fargatekit/fargatekit/plan"
)

func coreDNSSpec() *eksfargate.Spec {
	s := eksfargate.NewSpec("eks-test", "eu-west-1")
	s.FargateProfiles = []eksfargate.FargateProfileSpec{
		{Name: "apps", Selectors: []eksfargate.Selector{{Namespace: "apps"}}},
		{Name: "system", Selectors: []eksfargate.Selector{{Namespace: "kube-*", Labels: map[string]string{"k8s-app": "kube-dns"}}}},
	}
	return s
}

func coreDNSDeployment(t *testing.T, c kubernetes.Interface) (annotations map[string]string, generation int64) {
	t.Helper()
	d, err := c.AppsV1().Deployments("kube-system").Get(context.Background(), "coredns", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return d.Spec.Template.Annotations, d.Generation
}

func coreDNSPlanApply(t *testing.T, c coredns.Clients, s *eksfargate.Spec) (*plan.Plan, error) {
	t.Helper()
	chs, err := coredns.Plan(context.Background(), c, s.CoreDNSTarget())
	if err != nil {
		t.Fatal(err)
	}
	p := &plan.Plan{Changes: chs}
	return p, plan.Apply(context.Background(), p)
}

// TestPlanCoreDNSSelfManaged: with the compute-type annotation and without
// it, the first plan restarts CoreDNS (in one rollout) and the second is a
// no-op.
func TestPlanCoreDNSSelfManaged(t *testing.T) {
	for _, withAnnotation := range []bool{true, false} {
		t.Run(fmt.Sprintf("annotation=%v", withAnnotation), func(t *testing.T) {
			k := envtest.NewKube(t)
			ctx := context.Background()
			if err := envtest.Seed(ctx, k.Client, envtest.SeedOptions{CoreDNSWithoutComputeType: !withAnnotation}); err != nil {
				t.Fatal(err)
			}
			_, gen0 := coreDNSDeployment(t, k.Client)
			now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
			c := coredns.Clients{Kube: k.Client, Now: func() time.Time { return now }}
			p, err := coreDNSPlanApply(t, c, coreDNSSpec())
			if err != nil {
				t.Fatal(err)
			}
			if pend := p.Pending(); len(pend) != 1 || pend[0].Action != plan.Update {
				t.Fatalf("first plan:\n%s", p.Text())
			}
			if withAnnotation && !strings.Contains(p.Changes[0].Summary, "eks.amazonaws.com/compute-type: ec2") {
				t.Errorf("summary %q does not name the annotation", p.Changes[0].Summary)
			}
			ann, gen1 := coreDNSDeployment(t, k.Client)
			if _, ok := ann["eks.amazonaws.com/compute-type"]; ok {
				t.Error("compute-type annotation still there")
			}
			if ann["kubectl.kubernetes.io/restartedAt"] != "2026-03-04T05:06:07Z" {
				t.Errorf("restartedAt = %q, want the clock's time", ann["kubectl.kubernetes.io/restartedAt"])
			}
			if gen1 != gen0+1 {
				t.Errorf("generation %d → %d: want exactly one rollout", gen0, gen1)
			}
			p, err = coreDNSPlanApply(t, c, coreDNSSpec())
			if err != nil {
				t.Fatal(err)
			}
			if !p.Empty() || len(p.Changes) != 1 || p.Changes[0].Action != plan.NoOp {
				t.Errorf("second plan is not a NoOp:\n%s", p.Text())
			}
			if _, gen2 := coreDNSDeployment(t, k.Client); gen2 != gen1 {
				t.Errorf("the no-op plan rolled CoreDNS again")
			}
		})
	}
}

// coreDNSPod creates a CoreDNS pod and sets its status.
func coreDNSPod(t *testing.T, c kubernetes.Interface, name, scheduler string, ready bool) {
	t.Helper()
	if err := coreDNSMakePod(c, name, scheduler, ready); err != nil {
		t.Fatal(err)
	}
}

// coreDNSMakePod is coreDNSPod for goroutines other than the test's.
func coreDNSMakePod(c kubernetes.Interface, name, scheduler string, ready bool) error {
	ctx := context.Background()
	p, err := c.CoreV1().Pods("kube-system").Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "kube-system", Labels: map[string]string{"k8s-app": "kube-dns"}},
		Spec:       corev1.PodSpec{SchedulerName: scheduler, Containers: []corev1.Container{{Name: "coredns", Image: "coredns"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	if ready {
		p.Status.Phase = corev1.PodRunning
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}, {Type: corev1.PodScheduled, Status: corev1.ConditionTrue}}
	} else {
		p.Status.Phase = corev1.PodPending
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: "0/0 nodes are available"}}
	}
	_, err = c.CoreV1().Pods("kube-system").UpdateStatus(ctx, p, metav1.UpdateOptions{})
	return err
}

// TestPlanCoreDNSPods: pods created before a profile selected them (default
// scheduler, Pending) make the plan restart CoreDNS even without the
// annotation; Fargate pods that are Ready make it a no-op; the wait sees
// them become Ready.
func TestPlanCoreDNSPods(t *testing.T) {
	k := envtest.NewKube(t)
	ctx := context.Background()
	if err := envtest.Seed(ctx, k.Client, envtest.SeedOptions{CoreDNSWithoutComputeType: true}); err != nil {
		t.Fatal(err)
	}
	coreDNSPod(t, k.Client, "coredns-old", "default-scheduler", false)
	spec := coreDNSSpec()
	spec.CoreDNS.WaitReady = true
	spec.CoreDNS.WaitTimeoutSeconds = 20
	var reports atomic.Int64
	c := coredns.Clients{Kube: k.Client, PollInterval: 50 * time.Millisecond}
	chs, err := coredns.Plan(ctx, c, spec.CoreDNSTarget())
	if err != nil {
		t.Fatal(err)
	}
	if len(chs) != 1 || chs[0].Action != plan.Update || !strings.Contains(chs[0].Summary, "coredns-old") {
		t.Fatalf("plan = %+v, want an update naming the stale pod", chs)
	}
	// The "scheduler": once the rollout is restarted, the old pod goes and
	// two Fargate pods come up.
	go func() {
		for {
			d, err := k.Client.AppsV1().Deployments("kube-system").Get(ctx, "coredns", metav1.GetOptions{})
			if err != nil {
				t.Error(err)
				return
			}
			if d.Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"] != "" {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		_ = k.Client.CoreV1().Pods("kube-system").Delete(ctx, "coredns-old", metav1.DeleteOptions{GracePeriodSeconds: aws.Int64(0)})
		time.Sleep(200 * time.Millisecond)
		for _, name := range []string{"coredns-new-1", "coredns-new-2"} {
			if err := coreDNSMakePod(k.Client, name, coredns.FargateSchedulerName, true); err != nil {
				t.Error(err)
			}
		}
	}()
	err = plan.Apply(ctx, &plan.Plan{Changes: chs}, func(o *plan.Options) {
		o.Progress = func(ev plan.Event) {
			if strings.Contains(ev.State, "Ready on Fargate") {
				reports.Add(1)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if reports.Load() < 2 {
		t.Errorf("%d progress reports, want the wait to report while it waits", reports.Load())
	}
	st, err := coredns.Observe(ctx, c, spec.CoreDNSTarget())
	if err != nil {
		t.Fatal(err)
	}
	if st.Ready != 2 || !st.OnFargate() || st.SelectingProfile != "system" || st.Mode != coredns.ModeSelfManaged {
		t.Errorf("status after: %+v", st)
	}
	chs, err = coredns.Plan(ctx, c, spec.CoreDNSTarget())
	if err != nil {
		t.Fatal(err)
	}
	if p := (&plan.Plan{Changes: chs}); !p.Empty() {
		t.Errorf("plan with CoreDNS Ready on Fargate is not empty:\n%s", p.Text())
	}
}

// TestCoreDNSWaitTimeout: pods that never get Ready are reported with their
// events.
func TestCoreDNSWaitTimeout(t *testing.T) {
	k := envtest.NewKube(t)
	ctx := context.Background()
	if err := envtest.Seed(ctx, k.Client, envtest.SeedOptions{}); err != nil {
		t.Fatal(err)
	}
	coreDNSPod(t, k.Client, "coredns-stuck", "default-scheduler", false)
	if _, err := k.Client.CoreV1().Events("kube-system").Create(ctx, &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "coredns-stuck.1", Namespace: "kube-system"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "kube-system", Name: "coredns-stuck"},
		Type:           "Warning", Reason: "FailedScheduling", Message: "0/0 nodes are available: no Fargate profile matches",
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	c := coredns.Clients{Kube: k.Client, PollInterval: 100 * time.Millisecond}
	start := time.Now()
	err := coredns.WaitReady(ctx, c, coreDNSSpec().CoreDNSTarget(), 700*time.Millisecond, nil)
	var nr *coredns.NotReadyError
	if !errors.As(err, &nr) {
		t.Fatalf("err = %v, want *coredns.NotReadyError", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("the wait took %s for a 700ms timeout", time.Since(start))
	}
	if len(nr.Pods) != 1 || nr.Pods[0].Name != "coredns-stuck" || nr.Want != 2 {
		t.Errorf("error = %+v", nr)
	}
	if !strings.Contains(err.Error(), "FailedScheduling: 0/0 nodes are available: no Fargate profile matches") || !strings.Contains(err.Error(), "default-scheduler") {
		t.Errorf("error does not carry the pod's events: %v", err)
	}
}

// TestPlanCoreDNSNoProfile: without a profile selecting kube-system, the
// plan fails: CoreDNS would stay Pending forever.
func TestPlanCoreDNSNoProfile(t *testing.T) {
	k := envtest.NewKube(t)
	if err := envtest.Seed(context.Background(), k.Client, envtest.SeedOptions{}); err != nil {
		t.Fatal(err)
	}
	s := coreDNSSpec()
	s.FargateProfiles = s.FargateProfiles[:1]
	_, err := coredns.Plan(context.Background(), coredns.Clients{Kube: k.Client}, s.CoreDNSTarget())
	if !errors.Is(err, coredns.ErrNoProfile) || !strings.Contains(err.Error(), "Pending forever") {
		t.Errorf("err = %v, want coredns.ErrNoProfile explaining CoreDNS stays Pending", err)
	}
	off := false
	s.CoreDNS.OnFargate = &off
	if chs, err := coredns.Plan(context.Background(), coredns.Clients{Kube: k.Client}, s.CoreDNSTarget()); err != nil || len(chs) != 0 {
		t.Errorf("onFargate: false: %v %v, want nothing", chs, err)
	}
}

// TestPlanCoreDNSAddon: with the coredns addon, computeType Fargate is set
// through UpdateAddon (other configuration values kept), the update and the
// addon are waited for, and the next plan is a no-op. The Deployment is
// left to the addon.
func TestPlanCoreDNSAddon(t *testing.T) {
	a := envtest.NewAWS(t, func(o *envtest.AWSOptions) {
		o.Proxy = append(o.Proxy, awsproxy.WithDelays(awsproxy.Delays{AddonUpdate: 400 * time.Millisecond}))
	})
	k := envtest.NewKube(t)
	ctx := context.Background()
	if err := envtest.Seed(ctx, k.Client, envtest.SeedOptions{}); err != nil {
		t.Fatal(err)
	}
	ec := eks.NewFromConfig(a.Config("eu-west-1"))
	if _, err := ec.CreateCluster(ctx, &eks.CreateClusterInput{
		Name: aws.String("eks-test"), RoleArn: aws.String("arn:aws:iam::123456789012:role/eksClusterRole"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-1", "subnet-2"}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := ec.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: aws.String("eks-test"), AddonName: aws.String("coredns"),
		ConfigurationValues: aws.String(`{"replicaCount":3}`)}); err != nil {
		t.Fatal(err)
	}
	_, gen0 := coreDNSDeployment(t, k.Client)
	c := coredns.Clients{EKS: ec, Kube: k.Client, PollInterval: 100 * time.Millisecond}
	a.Proxy.ResetCounts()
	var states []string
	chs, err := coredns.Plan(ctx, c, coreDNSSpec().CoreDNSTarget())
	if err != nil {
		t.Fatal(err)
	}
	if len(chs) != 1 || chs[0].Action != plan.Update || chs[0].Resource != "addon coredns" {
		t.Fatalf("plan = %+v", chs)
	}
	if err := plan.Apply(ctx, &plan.Plan{Changes: chs}, func(o *plan.Options) {
		o.Progress = func(ev plan.Event) { states = append(states, ev.State) }
	}); err != nil {
		t.Fatal(err)
	}
	out, err := ec.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: aws.String("eks-test"), AddonName: aws.String("coredns")})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.Addon.ConfigurationValues); got != `{"computeType":"Fargate","replicaCount":3}` {
		t.Errorf("configuration values = %s, want computeType added and replicaCount kept", got)
	}
	if out.Addon.Status != ekstypes.AddonStatusActive {
		t.Errorf("addon %s after apply, want ACTIVE", out.Addon.Status)
	}
	if n := a.Proxy.Count("eks", "UpdateAddon"); n != 1 {
		t.Errorf("%d UpdateAddon calls, want 1", n)
	}
	if n := a.Proxy.Count("eks", "DescribeUpdate"); n < 2 {
		t.Errorf("%d DescribeUpdate calls: the update was not waited for", n)
	}
	if !strings.Contains(strings.Join(states, ","), "addon ACTIVE") {
		t.Errorf("progress %v lacks the addon's state", states)
	}
	if _, gen1 := coreDNSDeployment(t, k.Client); gen1 != gen0 {
		t.Error("the addon-managed Deployment was patched")
	}
	chs, err = coredns.Plan(ctx, c, coreDNSSpec().CoreDNSTarget())
	if err != nil {
		t.Fatal(err)
	}
	if p := (&plan.Plan{Changes: chs}); !p.Empty() {
		t.Errorf("second plan is not empty:\n%s", p.Text())
	}
	st, _ := coredns.Observe(ctx, c, coreDNSSpec().CoreDNSTarget())
	if st.Mode != coredns.ModeAddon || st.AddonComputeType != "Fargate" || st.AddonStatus != "ACTIVE" {
		t.Errorf("status: %+v", st)
	}
}
