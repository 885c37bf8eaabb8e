package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/fargatekit/fargatekit/audit"
)

func init() {
	extraCommands = append(extraCommands, newReportCmd)
}

func newReportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Merge and render audit reports",
		Long: `Report works on JSON audit reports (fargatekit.io/audit-report/v1), such as the
reports of the shards of a nightly audit.`,
	}
	cmd.AddCommand(newReportMergeCmd(), newReportRenderCmd())
	return cmd
}

// readReports decodes report files ("-" is standard input).
func readReports(cmd *cobra.Command, files []string) ([]*audit.Report, error) {
	var out []*audit.Report
	for _, name := range files {
		var b []byte
		var err error
		if name == "-" {
			var buf bytes.Buffer
			_, err = buf.ReadFrom(cmd.InOrStdin())
			b = buf.Bytes()
		} else {
			b, err = os.ReadFile(name)
		}
		if err != nil {
			return nil, badInput("%v", err)
		}
		r, err := audit.DecodeReport(bytes.NewReader(b))
		if err != nil {
			return nil, badInput("%s: %v", name, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func newReportMergeCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "merge A.json B.json... [-o merged.json]",
		Short: "Merge JSON audit reports (of shards or accounts) into one",
		Long: `Merge joins JSON audit reports: findings and incomplete entries are
concatenated and sorted, the summary recounted, and the accounts listed.
Writes to -o FILE, or to standard output.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rs, err := readReports(cmd, args)
			if err != nil {
				return err
			}
			m, err := audit.Merge(rs...)
			if err != nil {
				return badInput("%v", err)
			}
			b, err := m.JSON()
			if err != nil {
				return err
			}
			if output == "" || output == "-" {
				_, err = cmd.OutOrStdout().Write(b)
				return err
			}
			if err := os.WriteFile(output, b, 0o644); err != nil {
				return &exitError{code: 2, err: err}
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "merged %d report(s): %d finding(s), %d incomplete → %s\n", len(rs), m.Summary.Findings, len(m.Incomplete), output)
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the merged report to this file (default: standard output)")
	return cmd
}

func newReportRenderCmd() *cobra.Command {
	var format, failOn string
	var allowIncomplete bool
	cmd := &cobra.Command{
		Use:   "render REPORT.json [--format text|json|sarif]",
		Short: "Render a JSON audit report as text or SARIF, with audit's exit code",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			min, failing, err := parseFailOn(failOn)
			if err != nil {
				return err
			}
			rs, err := readReports(cmd, args)
			if err != nil {
				return err
			}
			if err := writeReport(cmd.OutOrStdout(), rs[0], format); err != nil {
				return err
			}
			return auditExit(rs[0], min, failing, allowIncomplete)
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "text, json or sarif")
	cmd.Flags().StringVar(&failOn, "fail-on", "high", "exit 1 when a finding is at or above this severity (or none)")
	cmd.Flags().BoolVar(&allowIncomplete, "allow-incomplete", false, "exit 0 even when some checks could not run")
	return cmd
}
