package eksfargate

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/fargatekit/fargatekit/internal/ops"
	"github.com/fargatekit/fargatekit/plan"
)

// executor performs the changes of one plan: it holds the clients, the
// options, and the IDs that become known while applying (a subnet created by
// one change is used by the next).
type executor struct {
	c       Clients
	o       Options
	log     *zap.Logger
	spec    *Spec
	cluster string

	mu        sync.Mutex
	ids       map[string]string
	roleTimes map[string]time.Time
}

func newExecutor(o Options, s *Spec, known map[string]string, roleTimes map[string]time.Time) *executor {
	x := &executor{c: o.Clients, o: o, log: o.Logger, spec: s, cluster: s.Name,
		ids: map[string]string{}, roleTimes: map[string]time.Time{}}
	for k, v := range known {
		x.ids[k] = v
	}
	for k, v := range roleTimes {
		x.roleTimes[k] = v
	}
	return x
}

// id returns the AWS ID of a network resource by key.
func (x *executor) id(key string) (string, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if v, ok := x.ids[key]; ok && v != "" {
		return v, nil
	}
	return "", fmt.Errorf("eksfargate: the ID of %s is not known: the change that creates it has not succeeded", key)
}

func (x *executor) setID(key, id string) {
	x.mu.Lock()
	x.ids[key] = id
	x.mu.Unlock()
}

// noteRole records that a role was created or its trust changed now.
func (x *executor) noteRole(name string) {
	x.mu.Lock()
	x.roleTimes[name] = x.o.Now()
	x.mu.Unlock()
}

// roleRecentlyChanged reports whether one of the roles was created or had
// its trust changed within Options.RolePropagation.
func (x *executor) roleRecentlyChanged(names ...string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	now := x.o.Now()
	for _, n := range names {
		if t, ok := x.roleTimes[n]; ok && now.Sub(t) < x.o.RolePropagation {
			return true
		}
	}
	return false
}

// waitFor polls check until it says done, reporting each new state (and,
// during long waits, the same state at least once a minute) with the time
// elapsed. check returns an error to stop at once, as for a FAILED state.
// It is ops.Poll, the write path's one wait loop, with the executor's
// options.
func (x *executor) waitFor(ctx context.Context, what string, timeout time.Duration, report plan.Reporter,
	check func(ctx context.Context) (state string, done bool, err error)) error {
	return ops.Poll(ctx, what, x.waitOptions(what, timeout, report), check)
}

// waitOptions are the options of a wait for what: the executor's poll
// intervals and clock, timeout, report, and a log line per reported state.
func (x *executor) waitOptions(what string, timeout time.Duration, report plan.Reporter) ops.WaitOptions {
	return ops.WaitOptions{
		Poll: x.o.PollInterval, MaxPoll: x.o.MaxPollInterval, Timeout: timeout, Report: report,
		Log: func(state string, elapsed time.Duration) {
			x.log.Info("wait", zap.String("resource", what), zap.String("state", state), zap.Duration("elapsed", elapsed))
		},
		Now: x.o.Now, Sleep: x.o.Sleep,
	}
}

// backoff is a random pause (full jitter) below RetryBase·2^attempt, capped
// at RetryMax.
func (x *executor) backoff(attempt int) time.Duration {
	ceil := x.o.RetryBase
	for i := 0; i < attempt && ceil < x.o.RetryMax; i++ {
		ceil *= 2
	}
	ceil = min(ceil, x.o.RetryMax)
	return time.Duration(x.o.Rand() * float64(ceil))
}

// retryInUse calls f until EKS stops refusing it with
// ResourceInUseException, at most Options.ResourceInUseAttempts times, with
// jittered backoff. busy, when set, is asked after each refusal whether the
// refusal is really about a conflicting operation; it returns done=true when
// the operation turns out to have happened already.
func (x *executor) retryInUse(ctx context.Context, what string, report plan.Reporter, f func(ctx context.Context) error,
	already func(ctx context.Context) (done bool, err error)) error {
	for attempt := 0; ; attempt++ {
		err := f(ctx)
		if err == nil || !eksResourceInUse(err) {
			return err
		}
		if already != nil {
			done, aerr := already(ctx)
			if aerr != nil {
				return aerr
			}
			if done {
				return nil
			}
		}
		if attempt+1 >= x.o.ResourceInUseAttempts {
			return fmt.Errorf("%s: EKS still refuses after %d attempts because another operation is in progress: %w", what, attempt+1, err)
		}
		d := x.backoff(attempt)
		if report != nil {
			report("WAITING (another operation in progress)")
		}
		x.log.Info("retry", zap.String("resource", what), zap.String("reason", "ResourceInUseException"),
			zap.Int("attempt", attempt+1), zap.Duration("pause", d))
		if err := x.o.Sleep(ctx, d); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
}

// retryRolePropagation calls f again while EKS answers
// InvalidParameterException and one of roles was created (or had its trust
// changed) less than Options.RolePropagation ago: IAM is eventually
// consistent and EKS may not yet be able to assume a new role. Any other
// InvalidParameterException is returned at once.
func (x *executor) retryRolePropagation(ctx context.Context, what string, roles []string, report plan.Reporter, f func(ctx context.Context) error) error {
	for attempt := 0; ; attempt++ {
		err := f(ctx)
		if err == nil || !eksInvalidParameter(err) || !x.roleRecentlyChanged(roles...) {
			return err
		}
		d := x.backoff(attempt)
		if report != nil {
			report("WAITING (IAM role propagation)")
		}
		x.log.Info("retry", zap.String("resource", what), zap.String("reason", "role not yet assumable"),
			zap.Int("attempt", attempt+1), zap.Duration("pause", d), zap.Error(err))
		if err := x.o.Sleep(ctx, d); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
}
