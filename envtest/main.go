package envtest

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
)

// RunWithAWS is for a test binary's TestMain: outside -short mode it starts
// one local AWS, stores it in *a, runs the tests and stops it; in -short mode
// *a stays nil and only the tests run. A local AWS that cannot start fails
// the binary with the reason (exit code 1): tests that need it are never
// skipped silently. Use it as
//
//	func TestMain(m *testing.M) { os.Exit(envtest.RunWithAWS(m, &env)) }
//
// and reset the AWS between tests with Reset.
func RunWithAWS(m *testing.M, a **AWS, opts ...func(*AWSOptions)) int {
	return RunWithAWSAndKube(m, a, nil, nil, opts...)
}

// RunWithAWSAndKube is RunWithAWS that also starts a kube-apiserver (when k
// is not nil), seeded with seed when it is not nil.
func RunWithAWSAndKube(m *testing.M, a **AWS, k **Kube, seed *SeedOptions, opts ...func(*AWSOptions)) int {
	if !flag.Parsed() {
		flag.Parse()
	}
	if testing.Short() {
		return m.Run()
	}
	ctx := context.Background()
	aws, err := StartAWS(ctx, opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "envtest:", err)
		return 1
	}
	defer aws.Stop()
	*a = aws
	if k != nil {
		kube, err := StartKube(ctx)
		if err != nil {
			fmt.Fprintln(os.Stderr, "envtest:", err)
			return 1
		}
		defer kube.Stop()
		if seed != nil {
			if err := Seed(ctx, kube.Client, *seed); err != nil {
				fmt.Fprintln(os.Stderr, "envtest:", err)
				return 1
			}
		}
		*k = kube
	}
	return m.Run()
}
