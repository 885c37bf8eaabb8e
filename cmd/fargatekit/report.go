package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"

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
			b, err = readBounded(cmd.InOrStdin(), maxReportBytes)
		} else {
			b, err = readFileBounded(name, maxReportBytes)
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
	var output, outFile string
	cmd := &cobra.Command{
		Use:   "merge A.json B.json... [--out merged.json]",
		Short: "Merge JSON audit reports (of shards or accounts) into one",
		Long: `Merge joins JSON audit reports: findings and incomplete entries are
concatenated and sorted, each kept once (a finding repeated across reports,
as when the same report is given twice, is kept once with a warning), the
summary recounted, and the accounts listed. Writes the merged JSON report to
--out FILE, or to standard output.

Exit codes: 0 merged; 2 a report that cannot be read or merged.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, "json"); err != nil {
				return err
			}
			rs, err := readReports(cmd, args)
			if err != nil {
				return err
			}
			m, err := audit.Merge(rs...)
			if err != nil {
				return badInput("%v", err)
			}
			errw := cmd.ErrOrStderr()
			for _, w := range m.Warnings {
				if strings.HasPrefix(w, "merge: ") {
					stderrLine(cmd, true, "%s", w)
				}
			}
			b, err := m.JSON()
			if err != nil {
				return err
			}
			if outFile == "" || outFile == "-" {
				_, err = cmd.OutOrStdout().Write(b)
				return err
			}
			if err := os.WriteFile(outFile, b, 0o644); err != nil {
				return &exitError{code: 2, err: err}
			}
			fmt.Fprintf(errw, "merged %d report(s): %d finding(s), %d incomplete → %s\n", len(rs), m.Summary.Findings, len(m.Incomplete), outFile)
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "json", "format of the merged report: json")
	cmd.Flags().StringVar(&outFile, "out", "", "write the merged report to this file (default: standard output)")
	return cmd
}

func newReportRenderCmd() *cobra.Command {
	var format, failOn string
	var allowIncomplete, failOnPersisting bool
	cmd := &cobra.Command{
		Use:   "render REPORT.json [-o text|json|sarif]",
		Short: "Render a JSON audit report as text or SARIF, with audit's exit code",
		Long: `Render a JSON audit report (fargatekit.io/audit-report/v1) as text, JSON or
SARIF, and exit as audit would have.

Exit codes: as audit's: 0 no finding at or above --fail-on and nothing
incomplete; 1 findings or incomplete checks; 2 a report that cannot be read.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(format, "text", "json", "sarif", "openmetrics", "asff"); err != nil {
				return err
			}
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
			// A report made against a baseline fails on its new findings,
			// as audit --baseline does.
			onlyNew := failing && rs[0].BaselineAt != nil && !failOnPersisting
			return auditExit(rs[0], min, failing && !onlyNew, allowIncomplete, onlyNew)
		},
	}
	cmd.Flags().BoolVar(&failOnPersisting, "fail-on-persisting", false, "for a report made with --baseline, let --fail-on count persisting findings too")
	cmd.Flags().StringVarP(&format, "output", "o", "text", "format: text, json, sarif, openmetrics or asff")
	// --format was this flag's name before -o/--output became every
	// command's format flag.
	cmd.Flags().StringVar(&format, "format", "text", "")
	_ = cmd.Flags().MarkDeprecated("format", "use -o/--output")
	cmd.Flags().StringVar(&failOn, "fail-on", "high", "exit 1 when a finding is at or above this severity (or none)")
	cmd.Flags().BoolVar(&allowIncomplete, "allow-incomplete", false, "exit 0 even when some checks could not run")
	return cmd
}
