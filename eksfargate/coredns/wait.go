package coredns

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"go.uber.org/zap"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"

	"github.com/fargatekit/fargatekit/eksfargate/observe"
	"github.com/fargatekit/fargatekit/plan"
)

// NotReadyError is a wait for CoreDNS that timed out: the pods that are
// not Ready and the events about them.
type NotReadyError struct {
	// Ready and Want count Ready Fargate pods and the replicas wanted.
	Ready, Want int
	// Waited is how long the wait took.
	Waited time.Duration
	// Pods not Ready on Fargate.
	Pods []Pod
	// Events maps a pod name to its events, oldest first.
	Events map[string][]string
}

// Error lists the pods not Ready and their events.
func (e *NotReadyError) Error() string {
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

// WaitReady waits until as many CoreDNS pods as the Deployment's replicas
// (1 without the Deployment) are Ready and on Fargate, reporting progress
// at each poll; t gives the profiles for Status.SelectingProfile. On
// timeout it returns a *NotReadyError with the pods not Ready and their
// events.
func WaitReady(ctx context.Context, c Clients, t Target, timeout time.Duration, report plan.Reporter) error {
	c.defaults()
	if report == nil {
		report = func(string) {}
	}
	t.Observed = nil // a wait observes anew each time
	kube, err := c.kube(ctx)
	if err != nil {
		return err
	}
	start := c.Now()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		st, err := Observe(ctx, Clients{Kube: kube, Logger: c.Logger, Now: c.Now, PollInterval: c.PollInterval}, t)
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
		tick := time.NewTimer(c.PollInterval)
		select {
		case <-ctx.Done():
			tick.Stop()
			return ctx.Err()
		case <-deadline.C:
			tick.Stop()
			return notReady(ctx, kube, st, want, c.Now().Sub(start))
		case <-tick.C:
		}
	}
}

func notReady(ctx context.Context, kube kubernetes.Interface, st *Status, want int, waited time.Duration) error {
	e := &NotReadyError{Ready: st.Ready, Want: want, Waited: waited, Events: map[string][]string{}}
	for _, p := range st.activePods() {
		if p.Ready && p.OnFargate {
			continue
		}
		e.Pods = append(e.Pods, p)
		var items []corev1.Event
		err := observe.Events(ctx, kube, Namespace, fields.OneTermEqualSelector("involvedObject.name", p.Name).String(), func(ev *corev1.Event) error {
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
