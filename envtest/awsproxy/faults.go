package awsproxy

import (
	"strconv"
	"strings"
	"time"
)

// FaultKind is what an injected fault does to a request.
type FaultKind int

// The fault kinds. The zero FaultKind in a Fault means Throttle; in a Call
// it means that no fault was injected.
const (
	// Throttle answers with the service's own throttling error: Throttling
	// (HTTP 400, query XML) for IAM and STS, ThrottlingException (HTTP 429,
	// REST-JSON) for EKS, ThrottlingException (HTTP 400, JSON 1.1) for KMS
	// and RequestLimitExceeded (HTTP 503, EC2 XML) for EC2. The SDK's
	// standard retryer treats all of them as throttles.
	Throttle FaultKind = iota + 1
	// ServerError answers with HTTP 500 in the service's error shape:
	// ServerException (EKS), ServiceFailure (IAM), InternalError (EC2),
	// KMSInternalException (KMS), InternalFailure (others).
	ServerError
	// Drop reads the request and closes the connection without answering,
	// which the SDK sees as a connection error and retries.
	Drop
	// Latency delays the request by Fault.Latency (default 1s) and then
	// handles it normally.
	Latency
	// LostResponse performs the request (forwards it to moto, or
	// emulates it) and then closes the connection without answering: AWS
	// did the write but the answer never arrived. The SDK sees a
	// connection error and retries, so a create it retries blindly makes
	// a second resource, or fails with "already exists".
	LostResponse
)

// String returns the kind's name.
func (k FaultKind) String() string {
	switch k {
	case 0:
		return "none"
	case Throttle:
		return "Throttle"
	case ServerError:
		return "ServerError"
	case Drop:
		return "Drop"
	case Latency:
		return "Latency"
	case LostResponse:
		return "LostResponse"
	}
	return "FaultKind(" + strconv.Itoa(int(k)) + ")"
}

// Fault describes requests to disturb and how. Add it with Proxy.AddFault.
type Fault struct {
	// Service is the signing name of the service to hit ("eks", "iam",
	// "sts", "ec2", "kms"), case-insensitive. Empty means any service.
	Service string
	// Operation is the API operation to hit, such as "CreateFargateProfile".
	// Empty means any operation.
	Operation string
	// Rate is the probability, in (0, 1], that a matching request is hit.
	// Zero (or anything above 1) means 1: every matching request.
	Rate float64
	// Kind is what happens to a hit request. Zero means Throttle.
	Kind FaultKind
	// Latency delays a hit request before the fault acts. For the Latency
	// kind, zero means one second; for other kinds, zero means no delay.
	Latency time.Duration
	// Times bounds how many requests the fault hits before it retires
	// itself. Zero means no bound.
	Times int
}

// faultEntry is an active fault with its hit count.
type faultEntry struct {
	Fault
	hits int
}

func (f *faultEntry) matches(in *request) bool {
	if f.Times > 0 && f.hits >= f.Times {
		return false
	}
	if f.Service != "" && !strings.EqualFold(f.Service, in.service) {
		return false
	}
	return f.Operation == "" || strings.EqualFold(f.Operation, in.operation)
}

// AddFault starts injecting f and returns a function that stops it. Faults
// are checked in the order they were added: every hit Latency fault adds its
// delay, and the first other fault that hits acts. Calling remove more than
// once is harmless.
func (p *Proxy) AddFault(f Fault) (remove func()) {
	if f.Kind == 0 {
		f.Kind = Throttle
	}
	if f.Rate <= 0 || f.Rate > 1 {
		f.Rate = 1
	}
	if f.Kind == Latency && f.Latency <= 0 {
		f.Latency = time.Second
	}
	e := &faultEntry{Fault: f}
	p.mu.Lock()
	p.faults = append(p.faults, e)
	p.mu.Unlock()
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		for i, x := range p.faults {
			if x == e {
				p.faults = append(p.faults[:i:i], p.faults[i+1:]...)
				return
			}
		}
	}
}

// ClearFaults removes every fault.
func (p *Proxy) ClearFaults() {
	p.mu.Lock()
	p.faults = nil
	p.mu.Unlock()
}

// pickFaults decides which faults hit in, counts them, and returns the total
// delay and the acting kind (zero for none).
func (p *Proxy) pickFaults(in *request) (delay time.Duration, kind FaultKind) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.faults {
		if !f.matches(in) {
			continue
		}
		if f.Kind != Latency && kind != 0 {
			continue // another fault already acts
		}
		if f.Rate < 1 && p.rng.Float64() >= f.Rate {
			continue
		}
		f.hits++
		delay += f.Latency
		if f.Kind != Latency {
			kind = f.Kind
		}
		inc(p.faultCounts, in.service, in.operation)
		p.faultTotal++
	}
	return delay, kind
}
