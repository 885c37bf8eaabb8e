package main

import (
	"errors"
	"fmt"
	"os"

	"k8s.io/client-go/rest"

	"github.com/fargatekit/fargatekit/eksfargate"
)

// noEnvUsage is the help of --no-env.
const noEnvUsage = "take the file as written: do not expand ${VAR} references (nor $$)"

// specEnvHelp explains expansion in the help of the commands that read a
// spec.
const specEnvHelp = `
The file may reference environment variables as ${NAME} (for example
secretsKMSKeyARN: ${KMS_KEY_ARN}). An unset or empty variable is an error
that names it and its line; $$ is a literal $, and a $ before anything but
{ or $ stays as it is ($HOME is not expanded). There are no defaults
(${NAME:-x} is an error). --no-env reads the file as written. A file holds
one YAML document: a second one (after ---) is refused.
`

// specEnv is the LoadSpec option of --no-env: expansion from the process
// environment unless noEnv.
func specEnv(noEnv bool) func(*eksfargate.LoadOptions) {
	return func(o *eksfargate.LoadOptions) {
		if !noEnv {
			o.Env = os.LookupEnv
		}
	}
}

// specEnvLookup is the lookup of --no-env for eksfargate.ExpandEnv: nil
// (no expansion) with noEnv.
func specEnvLookup(noEnv bool) func(string) (string, bool) {
	if noEnv {
		return nil
	}
	return os.LookupEnv
}

// specLoadError adds the way out to an expansion error.
func specLoadError(file string, err error) error {
	var ee *eksfargate.ExpandError
	if errors.As(err, &ee) {
		return fmt.Errorf("%s: %w\n(--no-env reads the file without expanding ${…})", file, err)
	}
	return fmt.Errorf("%s: %w", file, err)
}

// boundREST gives a Kubernetes REST configuration the command's
// --request-timeout and records its requests, like loadAWSConfig does for
// AWS.
func boundREST(rc *rest.Config, l *callLimits) {
	if rc.Timeout == 0 {
		rc.Timeout = l.requestTimeout()
	}
	rc.Wrap(l.wrapKube)
}
