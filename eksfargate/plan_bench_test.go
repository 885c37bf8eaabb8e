package eksfargate

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/fargatekit/fargatekit/envtest/awsproxy"
	"github.com/fargatekit/fargatekit/plan"
)

// Delays in AWS-like proportions, with a unit of 1 ms: creating a cluster
// takes 600 units, a Fargate profile 120, every other write about 1.
var fkBenchDelays = awsproxy.Delays{
	ClusterCreate: 600 * time.Millisecond,
	ProfileCreate: 120 * time.Millisecond,
	AddonCreate:   time.Millisecond,
	AddonUpdate:   time.Millisecond,
	ClusterUpdate: time.Millisecond,
}

// fkCriticalPath is the longest chain of the plan's dependency graph, each
// change weighted by weight(change).
func fkCriticalPath(p *plan.Plan, weight func(c *plan.Change) time.Duration) time.Duration {
	index := map[string]int{}
	for i, c := range p.Changes {
		index[c.ID] = i
	}
	finish := make([]time.Duration, len(p.Changes))
	var longest time.Duration
	for i := range p.Changes { // changes are in dependency order
		c := &p.Changes[i]
		var start time.Duration
		for _, d := range c.DependsOn {
			if j, ok := index[d]; ok && finish[j] > start {
				start = finish[j]
			}
		}
		if c.Action != plan.NoOp {
			finish[i] = start + weight(c)
		} else {
			finish[i] = start
		}
		longest = max(longest, finish[i])
	}
	return longest
}

// BenchmarkApplyWalkthrough applies the walkthrough's AWS side (1 cluster,
// 1 profile, 2 roles, 4 subnets, 3 addons) with the proxy's delays in
// AWS-like proportions and 1 ms of latency on every request. It reports:
//
//   - wall-ms: the apply's wall time;
//   - critical-ms: the longest dependency chain, each change weighted by
//     the time it took in this run (what infinite parallelism would give);
//   - wall/critical: scheduling overhead (goal ≤ 1.1);
//   - delays-ms, wall/delays: the same against the chain of the proxy's
//     delays alone (cluster 600 + profile 120 + addon 1), which adds the
//     cost of moto's own calls and of polling;
//   - noop-plan-calls: AWS calls of a plan right after the apply.
func BenchmarkApplyWalkthrough(b *testing.B) {
	a := fkAWS(b)
	var wall, crit, delays time.Duration
	var calls int
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		a = fkAWS(b)
		a.Proxy.SetDelays(fkBenchDelays)
		a.Proxy.AddFault(awsproxy.Fault{Kind: awsproxy.Latency, Latency: time.Millisecond})
		s := fkWalkthrough(b, a)
		var mu sync.Mutex
		took := map[string]time.Duration{}
		opts := fkOptions(a, func(o *Options) {
			o.PollInterval, o.MaxPollInterval = 2*time.Millisecond, 10*time.Millisecond
			o.Progress = func(e plan.Event) {
				if e.State == "done" {
					mu.Lock()
					took[e.Change.ID] = e.Elapsed
					mu.Unlock()
				}
			}
		})
		p := fkPlan(b, s, opts...)
		b.StartTimer()
		start := time.Now()
		if err := Apply(context.Background(), p, opts...); err != nil {
			b.Fatal(err)
		}
		wall += time.Since(start)
		b.StopTimer()
		crit += fkCriticalPath(p, func(c *plan.Change) time.Duration { return took[c.ID] })
		delays += fkCriticalPath(p, func(c *plan.Change) time.Duration {
			switch c.Kind {
			case KindCluster:
				return fkBenchDelays.ClusterCreate
			case KindFargateProfile:
				return fkBenchDelays.ProfileCreate
			case KindAddon:
				return fkBenchDelays.AddonCreate
			}
			return 0
		})
		a.Proxy.ResetCounts()
		if np := fkPlan(b, s, opts...); !np.Empty() {
			b.Fatalf("not converged:\n%s", np.Text())
		}
		calls += a.Proxy.Total()
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(float64(wall.Milliseconds())/n, "wall-ms")
	b.ReportMetric(float64(crit.Milliseconds())/n, "critical-ms")
	b.ReportMetric(float64(wall)/float64(crit), "wall/critical")
	b.ReportMetric(float64(delays.Milliseconds())/n, "delays-ms")
	b.ReportMetric(float64(wall)/float64(delays), "wall/delays")
	b.ReportMetric(float64(calls)/n, "noop-plan-calls")
}
