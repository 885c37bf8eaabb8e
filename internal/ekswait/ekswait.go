// Package ekswait is fargatekit's one poll loop for EKS updates
// (UpdateClusterConfig, UpdateClusterVersion, UpdateAddon…): it reads
// DescribeUpdate until the update is Successful, stops at once when it
// Failed or was Cancelled (with EKS's error details), reports each new state
// and, during long waits, the same state at least once a minute, and gives
// up after a timeout. Plumbing for eksfargate, irsa and audit, not an API.
package ekswait

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
)

// DescribeUpdateAPI is the call the loop makes; *eks.Client implements it.
type DescribeUpdateAPI interface {
	DescribeUpdate(ctx context.Context, in *eks.DescribeUpdateInput, optFns ...func(*eks.Options)) (*eks.DescribeUpdateOutput, error)
}

var _ DescribeUpdateAPI = (*eks.Client)(nil)

// Options shape the wait; zero fields get the defaults.
type Options struct {
	// Poll is the first pause between two reads (default 5s); it grows by
	// half each time up to MaxPoll (default 30s).
	Poll, MaxPoll time.Duration
	// Timeout bounds the wait (default 30 minutes).
	Timeout time.Duration
	// Report receives each new state and, during long waits, the same
	// state at least once a minute, with the time elapsed.
	Report func(state string, elapsed time.Duration)
	// Now and Sleep are the clock; defaults time.Now and a timer.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// ErrFailed is wrapped by the error of an update that Failed or was
// Cancelled.
var ErrFailed = errors.New("the update did not succeed")

// Update waits for update id of cluster (of the add-on addon, when not
// empty).
func Update(ctx context.Context, api DescribeUpdateAPI, cluster, addon, id string, o Options) error {
	if o.Poll <= 0 {
		o.Poll = 5 * time.Second
	}
	if o.MaxPoll < o.Poll {
		o.MaxPoll = max(o.Poll, 30*time.Second)
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	start := o.Now()
	interval := o.Poll
	last, lastReport := "", start
	for {
		u, err := observe.Update(ctx, api, cluster, addon, id)
		if err != nil {
			return fmt.Errorf("describe update %s: %w", id, err)
		}
		if u == nil {
			return fmt.Errorf("describe update %s: empty answer", id)
		}
		st := u.Status
		now := o.Now()
		elapsed := now.Sub(start)
		if string(st) != last || now.Sub(lastReport) >= time.Minute {
			if o.Report != nil {
				o.Report(string(st), elapsed)
			}
			last, lastReport = string(st), now
		}
		switch st {
		case ekstypes.UpdateStatusSuccessful:
			return nil
		case ekstypes.UpdateStatusFailed, ekstypes.UpdateStatusCancelled:
			var msgs []string
			for _, e := range u.Errors {
				m := string(e.ErrorCode) + ": " + aws.ToString(e.ErrorMessage)
				if len(e.ResourceIds) > 0 {
					m += " " + strings.Join(e.ResourceIds, ", ")
				}
				msgs = append(msgs, m)
			}
			return fmt.Errorf("update %s (%s) is %s: %s: %w", id, u.Type, st, strings.Join(msgs, "; "), ErrFailed)
		}
		if elapsed >= o.Timeout {
			return fmt.Errorf("update %s: still %s after %s: timed out", id, st, elapsed.Round(time.Second))
		}
		if err := o.Sleep(ctx, interval); err != nil {
			return fmt.Errorf("update %s: waiting (state %s): %w", id, st, err)
		}
		interval = min(interval*3/2, o.MaxPoll)
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
