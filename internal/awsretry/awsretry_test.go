package awsretry

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestNew(t *testing.T) {
	if got := New().MaxAttempts(); got != MaxAttempts {
		t.Errorf("MaxAttempts = %d, want %d", got, MaxAttempts)
	}
}

func TestConfigure(t *testing.T) {
	if got := Configure(aws.Config{}).Retryer().MaxAttempts(); got != MaxAttempts {
		t.Errorf("Configure of a config without a retryer: MaxAttempts = %d, want %d", got, MaxAttempts)
	}
	own := aws.Config{Retryer: func() aws.Retryer { return aws.NopRetryer{} }}
	if got := Configure(own).Retryer().MaxAttempts(); got != 1 {
		t.Errorf("Configure replaced the caller's retryer: MaxAttempts = %d, want 1", got)
	}
}
