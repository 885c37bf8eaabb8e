package eksfargate

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/google/go-cmp/cmp"
)

// fkClock is a fake clock: Sleep advances it and records the pauses.
type fkClock struct {
	now    time.Time
	sleeps []time.Duration
}

func (c *fkClock) Now() time.Time { return c.now }

func (c *fkClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

func fkExecutor(c *fkClock, rnd float64, extra ...func(*Options)) *executor {
	opts := append([]func(*Options){func(o *Options) {
		o.Now, o.Sleep, o.Rand = c.Now, c.Sleep, func() float64 { return rnd }
		o.PollInterval, o.MaxPollInterval = time.Second, 4*time.Second
		o.RetryBase, o.RetryMax = time.Second, 8*time.Second
	}}, extra...)
	return newExecutor(newOptions(opts), NewSpec("c", "us-west-2"), nil, nil)
}

func TestWaitForStopsAtOnceOnFailure(t *testing.T) {
	c := &fkClock{now: time.Unix(0, 0)}
	x := fkExecutor(c, 0.5)
	states := []string{"CREATING", "CREATING", "CREATE_FAILED"}
	var reported []string
	i := 0
	err := x.waitFor(context.Background(), "profile p", time.Hour, func(s string) { reported = append(reported, s) },
		func(context.Context) (string, bool, error) {
			st := states[i]
			i++
			if st == "CREATE_FAILED" {
				return st, false, errors.New("profile p is CREATE_FAILED: PodExecutionRoleAlreadyInUse: …")
			}
			return st, false, nil
		})
	if err == nil || !strings.Contains(err.Error(), "PodExecutionRoleAlreadyInUse") {
		t.Fatalf("waitFor = %v, want the health issue", err)
	}
	if diff := cmp.Diff([]time.Duration{time.Second, 1500 * time.Millisecond}, c.sleeps); diff != "" {
		t.Errorf("pauses (-want +got): growing by half, none after the failure:\n%s", diff)
	}
	if diff := cmp.Diff([]string{"CREATING"}, reported); diff != "" {
		t.Errorf("reported states (-want +got): each new state once:\n%s", diff)
	}
}

func TestWaitForTimesOut(t *testing.T) {
	c := &fkClock{now: time.Unix(0, 0)}
	x := fkExecutor(c, 0.5)
	var reported int
	err := x.waitFor(context.Background(), "cluster c", 3*time.Minute, func(string) { reported++ },
		func(context.Context) (string, bool, error) { return "CREATING", false, nil })
	if err == nil || !strings.Contains(err.Error(), "still CREATING after 3m") {
		t.Fatalf("waitFor = %v, want a timeout naming the state", err)
	}
	for _, d := range c.sleeps {
		if d > 4*time.Second {
			t.Errorf("pause %s exceeds MaxPollInterval", d)
		}
	}
	if reported < 3 {
		t.Errorf("reported %d times during a 3-minute wait; want at least once a minute", reported)
	}
}

func TestWaitForCancelled(t *testing.T) {
	c := &fkClock{now: time.Unix(0, 0)}
	x := fkExecutor(c, 0.5)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := x.waitFor(ctx, "addon a", time.Hour, nil, func(context.Context) (string, bool, error) { return "CREATING", false, nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("waitFor = %v, want context.Canceled", err)
	}
}

func TestRetryInUseIsBoundedAndJittered(t *testing.T) {
	c := &fkClock{now: time.Unix(0, 0)}
	x := fkExecutor(c, 0.5, func(o *Options) { o.ResourceInUseAttempts = 5 })
	inUse := &ekstypes.ResourceInUseException{Message: strPtr("profile p is CREATING")}
	calls := 0
	err := x.retryInUse(context.Background(), "create profile q", nil, func(context.Context) error { calls++; return inUse }, nil)
	if calls != 5 {
		t.Errorf("calls = %d, want 5 (ResourceInUseAttempts)", calls)
	}
	if !errors.As(err, &inUse) || !strings.Contains(err.Error(), "after 5 attempts") {
		t.Errorf("err = %v, want the ResourceInUseException after 5 attempts", err)
	}
	// Full jitter with Rand 0.5: half of 1s, 2s, 4s, 8s (capped at RetryMax).
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second}
	if diff := cmp.Diff(want, c.sleeps); diff != "" {
		t.Errorf("pauses (-want +got):\n%s", diff)
	}

	// Another error is returned at once; success stops retrying.
	calls = 0
	other := errors.New("boom")
	if err := x.retryInUse(context.Background(), "x", nil, func(context.Context) error { calls++; return other }, nil); !errors.Is(err, other) || calls != 1 {
		t.Errorf("other error: err %v after %d calls, want boom after 1", err, calls)
	}
	calls = 0
	err = x.retryInUse(context.Background(), "x", nil, func(context.Context) error {
		calls++
		if calls < 3 {
			return inUse
		}
		return nil
	}, nil)
	if err != nil || calls != 3 {
		t.Errorf("transient: err %v after %d calls, want nil after 3", err, calls)
	}
	// already() short-circuits when the operation turns out to be done.
	calls = 0
	err = x.retryInUse(context.Background(), "x", nil, func(context.Context) error { calls++; return inUse },
		func(context.Context) (bool, error) { return true, nil })
	if err != nil || calls != 1 {
		t.Errorf("already done: err %v after %d calls, want nil after 1", err, calls)
	}
}

func TestRetryRolePropagation(t *testing.T) {
	c := &fkClock{now: time.Unix(1000, 0)}
	x := fkExecutor(c, 1, func(o *Options) { o.RolePropagation = 10 * time.Second })
	bad := &ekstypes.InvalidParameterException{Message: strPtr("Role could not be assumed")}
	calls := 0
	// An old role: InvalidParameterException is a real error.
	x.roleTimes["old"] = c.now.Add(-time.Hour)
	if err := x.retryRolePropagation(context.Background(), "cluster", []string{"old"}, nil, func(context.Context) error { calls++; return bad }); !errors.As(err, &bad) || calls != 1 {
		t.Errorf("old role: err %v after %d calls, want the error after 1", err, calls)
	}
	// A new role: retried until it propagates, within RolePropagation.
	x.noteRole("new")
	calls = 0
	err := x.retryRolePropagation(context.Background(), "cluster", []string{"new"}, nil, func(context.Context) error {
		calls++
		if calls < 3 {
			return bad
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Errorf("new role: err %v after %d calls, want nil after 3", err, calls)
	}
	// A role that never propagates: the error comes back once the window
	// has passed.
	x.noteRole("stuck")
	calls = 0
	err = x.retryRolePropagation(context.Background(), "cluster", []string{"stuck"}, nil, func(context.Context) error { calls++; return bad })
	if !errors.As(err, &bad) || calls < 2 || c.now.Sub(x.roleTimes["stuck"]) < 10*time.Second {
		t.Errorf("stuck role: err %v after %d calls at +%s", err, calls, c.now.Sub(x.roleTimes["stuck"]))
	}
}

func strPtr(s string) *string { return &s }
