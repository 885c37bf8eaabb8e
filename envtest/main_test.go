package envtest_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fargatekit/fargatekit/envtest"
)

// A test binary whose local AWS cannot start fails with the reason instead
// of skipping its tests. The binary is this package's test binary itself,
// re-run with FARGATEKIT_MOTO_SERVER pointing at nothing.
func TestRunWithAWSFailsLoudly(t *testing.T) {
	if testing.Short() {
		t.Skip("re-runs the test binary")
	}
	if os.Getenv("ENVTEST_CHILD") == "1" {
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestRunWithAWSFailsLoudly$")
	cmd.Env = append(os.Environ(), "ENVTEST_CHILD=1", "ENVTEST_USE_RUNWITHAWS=1",
		"FARGATEKIT_MOTO_SERVER="+filepath.Join(t.TempDir(), "no-such-moto_server"))
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the test binary passed without a local AWS:\n%s", out)
	}
	if !strings.Contains(string(out), "moto_server not found") || !strings.Contains(string(out), `pip install "moto[server]"`) {
		t.Errorf("the failure does not say what is missing and how to install it:\n%s", out)
	}
}

// TestMain runs the package's tests normally; the child process of
// TestRunWithAWSFailsLoudly goes through RunWithAWS instead.
func TestMain(m *testing.M) {
	if os.Getenv("ENVTEST_USE_RUNWITHAWS") == "1" {
		var a *envtest.AWS
		os.Exit(envtest.RunWithAWS(m, &a))
	}
	os.Exit(m.Run())
}
