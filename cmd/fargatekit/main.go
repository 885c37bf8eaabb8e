// Command fargatekit plans, applies, audits and fixes Fargate-only Amazon EKS
// clusters and their IAM wiring. Run `fargatekit help` for the commands.
//
// Exit codes: 0 success (no finding at or above --fail-on); 1 findings,
// differences or a deny; 2 bad input or an operation that could not run.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…";
// currentVersion falls back to the module version when it is "dev".
var version = "dev"

// exitError carries the process exit code of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// newRootCmd builds the command tree. Tests execute it with their own args and
// buffers.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "fargatekit",
		Short:         "Build Fargate-only EKS clusters and keep their IAM wiring correct",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	v := currentVersion()
	root.Version = v.Version
	root.SetVersionTemplate(strings.ReplaceAll(v.text(), "{{", "{{`{{`}}"))
	// --version without cobra's -v shorthand, which --verbose is to have.
	root.Flags().Bool("version", false, "print the version, commit and build date")
	var logs logFlags
	logs.register(root)
	root.AddCommand(newPolicyCmd(), newVersionCmd())
	for _, f := range extraCommands {
		root.AddCommand(f())
	}
	applyConventions(root)
	return root
}

// extraCommands lets files of this package register more commands.
var extraCommands []func() *cobra.Command

// run executes the CLI and returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return 0
	}
	code := 2
	var ee *exitError
	if errors.As(err, &ee) {
		code, err = ee.code, ee.err
	}
	if err != nil {
		// Under --log-format json the last word is a JSON line too.
		if f := root.PersistentFlags().Lookup("log-format"); f != nil && f.Value.String() == "json" {
			b, _ := json.Marshal(map[string]any{"level": "error", "msg": err.Error(), "exitCode": code})
			fmt.Fprintln(stderr, string(b))
		} else {
			fmt.Fprintln(stderr, "fargatekit:", err)
		}
	}
	return code
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
