package audit

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// metricKey is a label set of a per-check gauge.
type metricKey struct{ account, cluster, check, severity string }

// WriteOpenMetrics writes the report as gauges in the OpenMetrics text
// format (which the Prometheus text parser and node-exporter's textfile
// collector read too), following the Prometheus naming conventions:
//
//	fargatekit_audit_findings{account,cluster,check,severity}
//	fargatekit_audit_new_findings{account,cluster,check,severity}
//	fargatekit_audit_suppressed_findings{account,cluster,check,severity}
//	fargatekit_audit_expired_suppressions{account}
//	fargatekit_audit_incomplete_checks{account}
//	fargatekit_audit_permission_changes{account}
//	fargatekit_audit_last_success_timestamp_seconds{account}
//
// cluster is the cluster's ARN, empty for account-wide findings (IAM). A
// label set without findings is left out rather than written as 0, except
// the account-wide gauges, which are always written.
func WriteOpenMetrics(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	accounts := reportAccounts(r)
	if len(accounts) == 0 {
		accounts = []string{""}
	}
	count := func(fs []Finding, pred func(Finding) bool) map[metricKey]int {
		m := map[metricKey]int{}
		for _, f := range fs {
			if pred == nil || pred(f) {
				m[metricKey{f.Account, f.Cluster, f.Check, f.Severity.String()}]++
			}
		}
		return m
	}
	var supp []Finding
	for _, s := range r.Suppressed {
		supp = append(supp, s.Finding)
	}
	per := []struct {
		name, help string
		vals       map[metricKey]int
	}{
		{"fargatekit_audit_findings", "Findings of the last audit, suppressed ones excluded.", count(r.Findings, nil)},
		{"fargatekit_audit_new_findings", "Findings the baseline did not have.", count(r.Findings, func(f Finding) bool { return f.Status != StatusPersisting })},
		{"fargatekit_audit_suppressed_findings", "Findings accepted by a suppression rule in force.", count(supp, nil)},
	}
	for _, g := range per {
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s gauge\n", g.name, g.help, g.name)
		keys := make([]metricKey, 0, len(g.vals))
		for k := range g.vals {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			a, b := keys[i], keys[j]
			return a.account+"\x00"+a.cluster+"\x00"+a.check+"\x00"+a.severity < b.account+"\x00"+b.cluster+"\x00"+b.check+"\x00"+b.severity
		})
		for _, k := range keys {
			fmt.Fprintf(bw, "%s{account=%s,cluster=%s,check=%s,severity=%s} %d\n", g.name, quoteLabel(k.account), quoteLabel(k.cluster), quoteLabel(k.check), quoteLabel(k.severity), g.vals[k])
		}
	}
	byAccount := func(name, help string, value func(acct string) string) {
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name)
		for _, a := range accounts {
			fmt.Fprintf(bw, "%s{account=%s} %s\n", name, quoteLabel(a), value(a))
		}
	}
	inAccount := func(resource, account string) bool {
		return len(accounts) == 1 || strings.Contains(resource, ":"+account+":") || strings.HasSuffix(resource, " "+account)
	}
	byAccount("fargatekit_audit_expired_suppressions", "Suppression rules past their expiry (their findings count again).", func(string) string {
		return strconv.Itoa(len(r.ExpiredSuppressions))
	})
	byAccount("fargatekit_audit_incomplete_checks", "Checks that could not examine everything.", func(a string) string {
		n := map[string]bool{}
		for _, in := range r.Incomplete {
			if inAccount(in.Resource, a) {
				n[in.Check] = true
			}
		}
		return strconv.Itoa(len(n))
	})
	byAccount("fargatekit_audit_permission_changes", "Changes of wired roles' permissions since the baseline.", func(a string) string {
		n := 0
		for _, c := range r.PermissionChanges {
			if inAccount(c.Resource, a) {
				n++
			}
		}
		return strconv.Itoa(n)
	})
	byAccount("fargatekit_audit_last_success_timestamp_seconds", "When the last audit that ran ended, as a Unix time.", func(string) string {
		return strconv.FormatFloat(float64(r.GeneratedAt.UnixMilli())/1000, 'f', 3, 64)
	})
	bw.WriteString("# EOF\n")
	return bw.Flush()
}

// quoteLabel quotes a label value as the exposition formats want.
func quoteLabel(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// WriteMetricsFile writes the metrics to path atomically (a temporary file
// in the same directory, then a rename), as node-exporter's textfile
// collector needs: it never reads a half-written file.
func WriteMetricsFile(path string, r *Report) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("audit: metrics file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := WriteOpenMetrics(tmp, r); err != nil {
		tmp.Close()
		return fmt.Errorf("audit: metrics file: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("audit: metrics file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("audit: metrics file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("audit: metrics file: %w", err)
	}
	return nil
}
