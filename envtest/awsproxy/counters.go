package awsproxy

import (
	"strings"
	"time"
)

// Call is one request that went through the proxy.
type Call struct {
	// Time is when the request arrived.
	Time time.Time
	// Service is the signing name ("eks", "iam", ...), or UnknownService.
	Service string
	// Operation is the API operation, or UnknownOperation.
	Operation string
	// Region is the signing region; empty for unsigned requests.
	Region string
	// Method and Path are the HTTP method and escaped URL path.
	Method, Path string
	// Status is the HTTP status of the answer; 0 for a dropped connection
	// or a request whose client went away.
	Status int
	// Fault is the fault that acted on the request; 0 for none. Latency
	// faults are reported only if no other fault acted.
	Fault FaultKind
	// Emulated reports that the proxy answered without moto's answer
	// (an emulated operation, a rule violation, or a fault).
	Emulated bool
	// Duration is how long the proxy took to answer.
	Duration time.Duration
}

// Counts returns a copy of the request counters: service → operation →
// number of requests, faulted ones included.
func (p *Proxy) Counts() map[string]map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return copyCounts(p.counts)
}

// Count returns the number of requests for service and operation. An empty
// service or operation matches any; service matching is case-insensitive.
func (p *Proxy) Count(service, operation string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return sumCounts(p.counts, service, operation)
}

// Total returns the number of requests the proxy has seen.
func (p *Proxy) Total() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.total
}

// FaultCounts returns a copy of the injected-fault counters: service →
// operation → number of faults injected (a request hit by a Latency fault
// and a Throttle fault counts twice).
func (p *Proxy) FaultCounts() map[string]map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return copyCounts(p.faultCounts)
}

// FaultCount returns the number of faults injected into requests for
// service and operation; empty strings match any.
func (p *Proxy) FaultCount(service, operation string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return sumCounts(p.faultCounts, service, operation)
}

// FaultTotal returns the number of faults injected.
func (p *Proxy) FaultTotal() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.faultTotal
}

// ResetCounts zeroes the request and fault counters and empties the call
// log.
func (p *Proxy) ResetCounts() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.resetCountsLocked()
}

func (p *Proxy) resetCountsLocked() {
	p.counts = map[string]map[string]int{}
	p.faultCounts = map[string]map[string]int{}
	p.total, p.faultTotal = 0, 0
	p.calls = nil
}

// Calls returns the most recent calls, oldest first, at most
// Options.MaxCalls of them.
func (p *Proxy) Calls() []Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Call(nil), p.calls...)
}

func (p *Proxy) countRequest(in *request) {
	p.mu.Lock()
	inc(p.counts, in.service, in.operation)
	p.total++
	p.mu.Unlock()
}

func (p *Proxy) recordCall(c Call) {
	if p.opts.MaxCalls < 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.calls) >= p.opts.MaxCalls {
		// Drop the oldest half at once, so that recording stays O(1)
		// amortised.
		n := copy(p.calls, p.calls[len(p.calls)-p.opts.MaxCalls/2:])
		p.calls = p.calls[:n]
	}
	p.calls = append(p.calls, c)
}

func inc(m map[string]map[string]int, service, op string) {
	ops := m[service]
	if ops == nil {
		ops = map[string]int{}
		m[service] = ops
	}
	ops[op]++
}

func copyCounts(m map[string]map[string]int) map[string]map[string]int {
	out := make(map[string]map[string]int, len(m))
	for s, ops := range m {
		c := make(map[string]int, len(ops))
		for o, n := range ops {
			c[o] = n
		}
		out[s] = c
	}
	return out
}

func sumCounts(m map[string]map[string]int, service, op string) int {
	n := 0
	for s, ops := range m {
		if service != "" && !strings.EqualFold(s, service) {
			continue
		}
		for o, c := range ops {
			if op == "" || o == op {
				n += c
			}
		}
	}
	return n
}
