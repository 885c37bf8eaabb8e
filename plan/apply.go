package plan

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Reporter receives the state of a long-running change, for example
// "CREATING" while a Fargate profile is being created.
type Reporter func(state string)

// Event is a progress report of Apply.
type Event struct {
	// Change is the change the event is about.
	Change *Change
	// State is "started", "done", "failed", "skipped", or a state reported by
	// the change itself (such as "CREATING").
	State string
	// Elapsed is the time since the change started.
	Elapsed time.Duration
	// Err is set when State is "failed".
	Err error
}

// Options configure Apply. The zero value works.
type Options struct {
	// Concurrency bounds how many changes run at once. Default 8.
	Concurrency int
	// Logger receives structured progress logs. nil means zap.NewNop().
	Logger *zap.Logger
	// Progress, when set, is called for every Event. It must not block long.
	Progress func(Event)
	// Now is the clock used for elapsed times. Default time.Now.
	Now func() time.Time
	// Bind binds the changes that carry an Op and no Run to clients when
	// Apply runs them. Apply refuses a plan with such changes and no Bind
	// before it runs anything.
	Bind Binder
}

func (o *Options) defaults() {
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// ApplyError is a change that failed.
type ApplyError struct {
	// Change is the change that failed.
	Change *Change
	// Err is why.
	Err error
}

func (e *ApplyError) Error() string {
	return fmt.Sprintf("%s %s %s: %v", e.Change.Action, e.Change.Kind, e.Change.Resource, e.Err)
}

// Unwrap returns the underlying error.
func (e *ApplyError) Unwrap() error { return e.Err }

// SkippedError marks changes that did not run because a change they depend
// on failed, or because Apply was stopped.
type SkippedError struct {
	// Changes are the IDs of the changes that did not run.
	Changes []string
}

func (e *SkippedError) Error() string {
	return fmt.Sprintf("%d change(s) not run: %v", len(e.Changes), e.Changes)
}

// Apply runs the plan's pending changes as a dependency graph: a change starts
// when all changes it depends on have succeeded, up to Concurrency at once,
// and never alongside another change with the same Serial key. At the first
// failure no new change starts; running ones finish. The error joins an
// *ApplyError per failure and a *SkippedError for changes that never ran.
// Apply is as idempotent as the changes' Run functions: after a failure or a
// cancellation, plan again and apply the new plan.
func Apply(ctx context.Context, p *Plan, opts ...func(*Options)) error {
	var o Options
	for _, f := range opts {
		f(&o)
	}
	o.defaults()
	if err := p.Validate(); err != nil {
		return err
	}
	var pending []Change
	var bindErrs []error
	for _, c := range p.Pending() {
		if c.Blocked != "" {
			o.Logger.Warn("plan: not applied: blocked", zap.String("change", c.ID), zap.String("resource", c.Resource), zap.String("blocked", c.Blocked))
			continue
		}
		if c.Run == nil && c.Op != nil {
			run, err := bind(o.Bind, c)
			if err != nil {
				bindErrs = append(bindErrs, &ApplyError{Change: &c, Err: err})
				continue
			}
			c.Run = run
		}
		pending = append(pending, c)
	}
	if len(bindErrs) > 0 {
		return errors.Join(bindErrs...)
	}
	if len(pending) == 0 {
		return nil
	}
	index := make(map[string]int, len(pending))
	for i, c := range pending {
		index[c.ID] = i
	}
	waiters := make([][]int, len(pending)) // i is awaited by waiters[i]
	remaining := make([]int, len(pending)) // unmet dependencies of i
	for i, c := range pending {
		for _, d := range c.DependsOn {
			if j, ok := index[d]; ok {
				waiters[j] = append(waiters[j], i)
				remaining[i]++
			}
		}
	}

	type result struct {
		i   int
		err error
	}
	var (
		mu       sync.Mutex
		busy     = map[string]bool{} // serial keys in use
		started  = make([]bool, len(pending))
		ready    []int
		results  = make(chan result)
		running  int
		failed   bool
		errs     []error
		sem      = o.Concurrency
		finished int
	)
	for i := range pending {
		if remaining[i] == 0 {
			ready = append(ready, i)
		}
	}
	emit := func(c *Change, state string, start time.Time, err error) {
		ev := Event{Change: c, State: state, Elapsed: o.Now().Sub(start), Err: err}
		fields := []zap.Field{zap.String("change", c.ID), zap.String("action", string(c.Action)),
			zap.String("resource", c.Resource), zap.String("state", state), zap.Duration("elapsed", ev.Elapsed)}
		if err != nil {
			o.Logger.Warn("change", append(fields, zap.Error(err))...)
		} else {
			o.Logger.Info("change", fields...)
		}
		if o.Progress != nil {
			o.Progress(ev)
		}
	}
	launch := func(i int) {
		c := &pending[i]
		started[i] = true
		running++
		sem--
		if c.Serial != "" {
			busy[c.Serial] = true
		}
		go func() {
			start := o.Now()
			emit(c, "started", start, nil)
			err := runChange(ctx, c, func(state string) {
				mu.Lock() // serialise progress callbacks
				defer mu.Unlock()
				emit(c, state, start, nil)
			})
			if err != nil {
				emit(c, "failed", start, err)
			} else {
				emit(c, "done", start, nil)
			}
			results <- result{i, err}
		}()
	}
	schedule := func() {
		if failed || ctx.Err() != nil {
			return
		}
		next := ready[:0]
		for _, i := range ready {
			c := &pending[i]
			if sem > 0 && (c.Serial == "" || !busy[c.Serial]) {
				launch(i)
				continue
			}
			next = append(next, i)
		}
		ready = next
	}
	mu.Lock()
	schedule()
	mu.Unlock()
	for running > 0 {
		r := <-results
		mu.Lock()
		running--
		sem++
		finished++
		c := &pending[r.i]
		if c.Serial != "" {
			busy[c.Serial] = false
		}
		if r.err != nil {
			failed = true
			errs = append(errs, &ApplyError{Change: c, Err: r.err})
		} else {
			for _, w := range waiters[r.i] {
				remaining[w]--
				if remaining[w] == 0 {
					ready = append(ready, w)
				}
			}
		}
		schedule()
		mu.Unlock()
	}
	if finished < len(pending) {
		var skipped []string
		for i, c := range pending {
			if !started[i] {
				skipped = append(skipped, c.ID)
			}
		}
		if !failed && ctx.Err() != nil {
			errs = append(errs, fmt.Errorf("plan: apply stopped: %w", ctx.Err()))
		}
		errs = append(errs, &SkippedError{Changes: skipped})
	}
	return errors.Join(errs...)
}

// bind binds c's Op with b.
func bind(b Binder, c Change) (RunFunc, error) {
	if b == nil {
		return nil, fmt.Errorf("plan: the change's operation %s needs clients: pass Options.Bind", c.Op.Name)
	}
	run, err := b(c)
	if err != nil {
		return nil, fmt.Errorf("plan: bind %s: %w", c.Op.Name, err)
	}
	return run, nil
}

// PanicError is a change whose Run panicked; Apply reports it as the
// change's failure instead of crashing the program.
type PanicError struct {
	// Value is what Run panicked with.
	Value any
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// runChange runs c, turning a panic into a *PanicError.
func runChange(ctx context.Context, c *Change, report Reporter) (err error) {
	if c.Run == nil {
		return nil
	}
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v}
		}
	}()
	return c.Run(ctx, report)
}
