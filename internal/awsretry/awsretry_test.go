package awsretry

import "testing"

func TestNew(t *testing.T) {
	if got := New().MaxAttempts(); got != MaxAttempts {
		t.Errorf("MaxAttempts = %d, want %d", got, MaxAttempts)
	}
}
