package ops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/fargatekit/fargatekit/eksfargate/observe"
	"github.com/fargatekit/fargatekit/plan"
)

// WaitOptions configure a wait. The zero value polls every 5 s, backs off
// to 30 s, and gives up after 20 minutes.
type WaitOptions struct {
	// Poll is the first pause between two checks; MaxPoll caps the pause
	// as it grows by half each time.
	Poll, MaxPoll time.Duration
	// Timeout bounds the wait.
	Timeout time.Duration
	// Report receives each new state (and the same state again every
	// minute); nil for none.
	Report plan.Reporter
	// Log, when set, is told each reported state and the time elapsed.
	Log func(state string, elapsed time.Duration)
	// Now and Sleep are the clock; defaults time.Now and a timer.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

func (o WaitOptions) defaults() WaitOptions {
	if o.Poll <= 0 {
		o.Poll = 5 * time.Second
	}
	if o.MaxPoll < o.Poll {
		o.MaxPoll = max(o.Poll, 30*time.Second)
	}
	if o.Timeout <= 0 {
		o.Timeout = 20 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = Sleep
	}
	return o
}

// Sleep pauses for d, or until ctx is done (then it returns ctx's error):
// the default clock of every wait and retry of the write path.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Poll is the write path's one wait loop: it calls check until it reports
// done or an error (a FAILED state is an error, so the wait stops at once),
// reporting each new state, and fails with the last state after
// o.Timeout.
func Poll(ctx context.Context, what string, o WaitOptions, check func(ctx context.Context) (state string, done bool, err error)) error {
	o = o.defaults()
	start := o.Now()
	interval := o.Poll
	last, lastReport := "", start
	for {
		state, done, err := check(ctx)
		if err != nil {
			return err
		}
		now := o.Now()
		elapsed := now.Sub(start)
		if state != last || now.Sub(lastReport) >= time.Minute {
			if o.Report != nil {
				o.Report(state)
			}
			if o.Log != nil {
				o.Log(state, elapsed)
			}
			last, lastReport = state, now
		}
		if done {
			return nil
		}
		if elapsed >= o.Timeout {
			return fmt.Errorf("%s: still %s after %s: timed out", what, state, elapsed.Round(time.Second))
		}
		if err := o.Sleep(ctx, interval); err != nil {
			return fmt.Errorf("%s: waiting (state %s): %w", what, state, err)
		}
		interval = min(interval*3/2, o.MaxPoll)
	}
}

// AddonHealth describes an add-on's health issues.
func AddonHealth(h *ekstypes.AddonHealth) string {
	if h == nil || len(h.Issues) == 0 {
		return "EKS reports no health issue"
	}
	var parts []string
	for _, is := range h.Issues {
		parts = append(parts, fmt.Sprintf("%s: %s %v", is.Code, aws.ToString(is.Message), is.ResourceIds))
	}
	return strings.Join(parts, "; ")
}

// WaitAddonActive waits until an add-on is ACTIVE. CREATE_FAILED,
// UPDATE_FAILED, DELETING and DELETE_FAILED stop the wait at once with the
// health issues EKS gives; DEGRADED (pods not ready yet) keeps waiting, and
// a timeout reports its issues.
func WaitAddonActive(ctx context.Context, api eks.DescribeAddonAPIClient, cluster, name string, o WaitOptions) error {
	what := "addon " + name
	var last *ekstypes.Addon
	err := Poll(ctx, what, o, func(ctx context.Context) (string, bool, error) {
		a, err := observe.Addon(ctx, api, cluster, name)
		if err != nil {
			return "", false, fmt.Errorf("describe %s: %w", what, err)
		}
		if a == nil {
			return "", false, fmt.Errorf("describe %s: empty answer", what)
		}
		last = a
		switch st := a.Status; st {
		case ekstypes.AddonStatusActive:
			return string(st), true, nil
		case ekstypes.AddonStatusCreateFailed, ekstypes.AddonStatusUpdateFailed, ekstypes.AddonStatusDeleting, ekstypes.AddonStatusDeleteFailed:
			return string(st), false, fmt.Errorf("%s is %s: %s", what, st, AddonHealth(a.Health))
		default:
			return string(st), false, nil
		}
	})
	if err != nil && last != nil && last.Status == ekstypes.AddonStatusDegraded {
		return fmt.Errorf("%w (health: %s)", err, AddonHealth(last.Health))
	}
	return err
}

// WaitAddonGone waits until an add-on is deleted; DELETE_FAILED stops the
// wait at once.
func WaitAddonGone(ctx context.Context, api eks.DescribeAddonAPIClient, cluster, name string, o WaitOptions) error {
	what := "addon " + name
	return Poll(ctx, what, o, func(ctx context.Context) (string, bool, error) {
		a, err := observe.Addon(ctx, api, cluster, name)
		if observe.IsNotFound(err) {
			return "DELETED", true, nil
		}
		if err != nil {
			return "", false, fmt.Errorf("describe %s: %w", what, err)
		}
		if a == nil {
			return "DELETED", true, nil
		}
		if a.Status == ekstypes.AddonStatusDeleteFailed {
			return string(a.Status), false, fmt.Errorf("%s is %s: %s", what, a.Status, AddonHealth(a.Health))
		}
		return string(a.Status), false, nil
	})
}

// ErrUpdateFailed is wrapped by the error of an EKS update that Failed or
// was Cancelled.
var ErrUpdateFailed = errors.New("the update did not succeed")

// WaitUpdate waits, with Poll, for EKS update id of cluster (of the add-on
// addon, when not empty: UpdateClusterConfig, UpdateClusterVersion,
// UpdateAddon…) to be Successful; Failed and Cancelled stop the wait at once
// with EKS's error details. A zero o.Timeout is 30 minutes.
func WaitUpdate(ctx context.Context, api eks.DescribeUpdateAPIClient, cluster, addon, id string, o WaitOptions) error {
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Minute
	}
	return Poll(ctx, "update "+id, o, func(ctx context.Context) (string, bool, error) {
		u, err := observe.Update(ctx, api, cluster, addon, id)
		if err != nil {
			return "", false, fmt.Errorf("describe update %s: %w", id, err)
		}
		if u == nil {
			return "", false, fmt.Errorf("describe update %s: empty answer", id)
		}
		switch st := u.Status; st {
		case ekstypes.UpdateStatusSuccessful:
			return string(st), true, nil
		case ekstypes.UpdateStatusFailed, ekstypes.UpdateStatusCancelled:
			var msgs []string
			for _, e := range u.Errors {
				m := string(e.ErrorCode) + ": " + aws.ToString(e.ErrorMessage)
				if len(e.ResourceIds) > 0 {
					m += " " + strings.Join(e.ResourceIds, ", ")
				}
				msgs = append(msgs, m)
			}
			return string(st), false, fmt.Errorf("update %s (%s) is %s: %s: %w", id, u.Type, st, strings.Join(msgs, "; "), ErrUpdateFailed)
		default:
			return string(st), false, nil
		}
	})
}
