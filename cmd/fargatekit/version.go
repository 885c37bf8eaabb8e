package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// versionSchema is the schema of `fargatekit version -o json`.
const versionSchema = "fargatekit.io/version/v1"

// versionInfo is what `fargatekit version` prints.
type versionInfo struct {
	// Schema is versionSchema.
	Schema string `json:"schema"`
	// Version is the release: the -ldflags "-X main.version=…" value, else
	// the module version `go install …@vX` recorded, else "dev".
	Version string `json:"version"`
	// Commit is the VCS revision the binary was built from, with "-dirty"
	// when the work tree had changes; "" when unknown.
	Commit string `json:"commit"`
	// Date is the commit time (vcs.time, RFC 3339); "" when unknown.
	Date string `json:"date"`
	// GoVersion is the Go toolchain that built the binary.
	GoVersion string `json:"goVersion"`
}

// currentVersion is the version of this binary, from the version variable
// and runtime/debug.ReadBuildInfo. It is the one place that says which
// fargatekit is running: `version`, `--version` and reports (such as
// SARIF's tool.driver.version) all use it.
func currentVersion() versionInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return versionFrom(version, bi)
}

// versionFrom builds the version from the ldflags value and the build
// information (nil when there is none).
func versionFrom(ldflags string, bi *debug.BuildInfo) versionInfo {
	v := versionInfo{Schema: versionSchema, Version: ldflags, GoVersion: runtime.Version()}
	if bi == nil {
		if v.Version == "" {
			v.Version = "dev"
		}
		return v
	}
	if bi.GoVersion != "" {
		v.GoVersion = bi.GoVersion
	}
	if (v.Version == "" || v.Version == "dev") && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v.Version = bi.Main.Version
	}
	if v.Version == "" {
		v.Version = "dev"
	}
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.time":
			v.Date = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty && v.Commit != "" {
		v.Commit += "-dirty"
	}
	return v
}

// text renders the version for people: the first line is
// "fargatekit VERSION", as it always was.
func (v versionInfo) text() string {
	unknown := func(s string) string {
		if s == "" {
			return "unknown"
		}
		return s
	}
	return fmt.Sprintf("fargatekit %s\ncommit: %s\nbuilt:  %s\ngo:     %s\n", v.Version, unknown(v.Commit), unknown(v.Date), v.GoVersion)
}

func writeVersion(w io.Writer, output string) error {
	v := currentVersion()
	switch output {
	case "text", "":
		_, err := io.WriteString(w, v.text())
		return err
	case "json":
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	return &exitError{code: 2, err: fmt.Errorf("-o %q: want text or json", output)}
}

func newVersionCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "version [-o text|json]",
		Short: "Print the fargatekit version, commit and build date",
		Long: `Print the fargatekit version, the commit it was built from ("-dirty" when the
work tree had changes) and the commit date, from the Go build information.
-o json prints an object with schema ` + versionSchema + `: version, commit,
date and goVersion ("" when unknown). "fargatekit --version" prints the text
form.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return writeVersion(cmd.OutOrStdout(), output)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "format: text or json")
	return cmd
}
