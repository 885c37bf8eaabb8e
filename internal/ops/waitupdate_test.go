package ops

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
)

// scripted answers DescribeUpdate with the given statuses, in turn.
type scripted struct {
	states []ekstypes.UpdateStatus
	calls  int
	in     *eks.DescribeUpdateInput
}

func (s *scripted) DescribeUpdate(_ context.Context, in *eks.DescribeUpdateInput, _ ...func(*eks.Options)) (*eks.DescribeUpdateOutput, error) {
	s.in = in
	st := s.states[min(s.calls, len(s.states)-1)]
	s.calls++
	u := &ekstypes.Update{Id: in.UpdateId, Status: st, Type: ekstypes.UpdateTypeLoggingUpdate}
	if st == ekstypes.UpdateStatusFailed {
		u.Errors = []ekstypes.ErrorDetail{{ErrorCode: ekstypes.ErrorCodeAccessDenied, ErrorMessage: aws.String("no"), ResourceIds: []string{"r-1"}}}
	}
	return &eks.DescribeUpdateOutput{Update: u}, nil
}

func TestWaitUpdate(t *testing.T) {
	now := time.Unix(0, 0)
	clock := func() time.Time { return now }
	nap := func(_ context.Context, d time.Duration) error { now = now.Add(d); return nil }
	for _, tc := range []struct {
		name, why string
		states    []ekstypes.UpdateStatus
		timeout   time.Duration
		err       string
		calls     int
	}{
		{"succeeds", "polls until Successful", []ekstypes.UpdateStatus{"InProgress", "InProgress", "Successful"}, 0, "", 3},
		{"fails at once", "Failed stops the wait with EKS's details", []ekstypes.UpdateStatus{"InProgress", "Failed"}, 0, "is Failed: AccessDenied: no r-1", 2},
		{"times out", "an update that never ends gives up", []ekstypes.UpdateStatus{"InProgress"}, time.Minute, "timed out", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := &scripted{states: tc.states}
			var reports []string
			err := WaitUpdate(context.Background(), api, "c", "coredns", "u-1", WaitOptions{Poll: time.Second, MaxPoll: 4 * time.Second, Timeout: tc.timeout, Now: clock, Sleep: nap,
				Report: func(s string) { reports = append(reports, s) }})
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("%s: %v", tc.why, err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("%s: err %v, want %q", tc.why, err, tc.err)
			}
			if tc.name == "fails at once" && !errors.Is(err, ErrUpdateFailed) {
				t.Errorf("a failed update does not wrap ErrFailed: %v", err)
			}
			if tc.calls > 0 && api.calls != tc.calls {
				t.Errorf("%d calls, want %d", api.calls, tc.calls)
			}
			if aws.ToString(api.in.AddonName) != "coredns" || len(reports) == 0 {
				t.Errorf("addon %q, reports %v", aws.ToString(api.in.AddonName), reports)
			}
		})
	}
}
