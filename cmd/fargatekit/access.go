package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/fargatekit/fargatekit/audit"
)

func init() {
	extraCommands = append(extraCommands, newAccessCmd)
}

// accessTarget observes what --cluster/--region/-f name, in one account,
// and returns the snapshot.
func accessSnapshot(cmd *cobra.Command, f *auditFlags) (*audit.Snapshot, error) {
	if len(f.roleARNs) > 1 || f.accountsFile != "" {
		return nil, badInput("access maps one account at a time: pass at most one --role-arn")
	}
	if len(f.clusters) == 0 && f.specFile == "" && !f.allClusters {
		return nil, badInput("name the cluster: --cluster NAME (or -f spec.yaml, or --all-clusters)")
	}
	if f.awsConfig == nil {
		f.awsConfig = loadAWSConfig
	}
	region := ""
	if len(f.regions) > 0 {
		region = f.regions[0]
	}
	role := ""
	if len(f.roleARNs) == 1 {
		role = f.roleARNs[0]
	}
	ctx := cmd.Context()
	cfg, err := f.awsConfig(ctx, region, f.profile, role)
	if err != nil {
		return nil, &exitError{code: 2, err: err}
	}
	t, err := f.target(cfg.Region)
	if err != nil {
		return nil, err
	}
	log := commandLogger(cmd, f.quiet)
	defer func() { _ = log.Sync() }()
	s, err := audit.Observe(ctx, t, f.options(log), func(o *audit.Options) { o.AWS = cfg })
	if err != nil {
		return nil, &exitError{code: 2, err: err}
	}
	if len(s.MissingClusters) > 0 {
		var msgs []string
		for _, m := range s.MissingClusters {
			msgs = append(msgs, "cluster "+m.Name+" not found in "+m.Region)
		}
		return nil, badInput("%s (check --cluster and --region)", strings.Join(msgs, "; "))
	}
	for _, c := range s.Clusters {
		for _, u := range s.Unavailable {
			if u.Cluster == c.ARN && strings.HasPrefix(u.What, "kube.") && strings.Contains(u.Reason, "unreachable") {
				return nil, &exitError{code: 2, err: fmt.Errorf("cluster %s: the Kubernetes API cannot be reached: %s (pass --kubeconfig, or check the endpoint and network)", c.Name, u.Reason)}
			}
		}
	}
	if len(s.Clusters) == 0 {
		return nil, &exitError{code: 2, err: fmt.Errorf("no clusters found in %s", strings.Join(s.Regions, ", "))}
	}
	return s, nil
}

// openOut returns the destination of --out, or standard output.
func openOut(cmd *cobra.Command, path string) (io.Writer, func() error, error) {
	if path == "" || path == "-" {
		return cmd.OutOrStdout(), func() error { return nil }, nil
	}
	fh, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, nil, badInput("--out: %v", err)
	}
	return fh, fh.Close, nil
}

func newAccessCmd() *cobra.Command {
	var f auditFlags
	var output, out string
	cmd := &cobra.Command{
		Use:   "access --cluster NAME --region R [-o text|json|mermaid|dot|html]",
		Short: "Map who can do what in and through a cluster: cluster-admins, pod creation, IRSA roles",
		Long: `Read the cluster's access entries and aws-auth (as its authentication mode
decides), its RBAC (ClusterRoles with aggregation, bindings), its annotated
ServiceAccounts and the IAM roles they name (trust evaluated for this
cluster's issuer, permissions evaluated), and print who is cluster-admin and
why, and who can reach which IAM role by creating pods.

Formats: text (tables), json (schema fargatekit.io/access-map/v1), mermaid
(flowchart LR for Markdown), dot (Graphviz), html (one self-contained page
with the map as SVG and the access findings). --out FILE writes there.

Exit codes: 0 the map was made (check "incomplete" for parts that could not
be read); 2 bad input, a cluster that does not exist or cannot be reached.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch output {
			case "text", "json", "mermaid", "dot", "html":
			default:
				return badInput("-o %q: want text, json, mermaid, dot or html", output)
			}
			s, err := accessSnapshot(cmd, &f)
			if err != nil {
				return err
			}
			var maps []*audit.AccessMap
			for _, c := range s.Clusters {
				maps = append(maps, audit.BuildAccessMap(s, c))
			}
			w, closeOut, err := openOut(cmd, out)
			if err != nil {
				return err
			}
			switch output {
			case "text":
				err = audit.WriteAccessText(w, maps)
			case "json":
				err = audit.WriteAccessJSON(w, maps)
			case "mermaid":
				for _, m := range maps {
					if err = audit.WriteAccessMermaid(w, m); err != nil {
						break
					}
				}
			case "dot":
				for _, m := range maps {
					if err = audit.WriteAccessDOT(w, m); err != nil {
						break
					}
				}
			case "html":
				r := audit.Evaluate(s, accessChecks())
				err = audit.WriteAccessHTML(w, maps, r.Findings)
			}
			if cerr := closeOut(); err == nil {
				err = cerr
			}
			if err == nil && out != "" && out != "-" {
				stderrLine(cmd, false, "fargatekit: wrote %s", out)
			}
			return err
		},
	}
	f.register(cmd)
	registerTimeout(cmd.Flags(), 5*time.Minute)
	cmd.Flags().StringVarP(&output, "output", "o", "text", "format: text, json, mermaid, dot or html")
	cmd.Flags().StringVar(&out, "out", "", "write to this file instead of standard output")
	cmd.AddCommand(newAccessWhyCmd())
	return cmd
}

// accessChecks are the checks the HTML page lists: those about access.
func accessChecks() []*audit.Check {
	var out []*audit.Check
	for _, c := range audit.Catalogue() {
		switch {
		case strings.HasPrefix(c.ID, "ACC-"), strings.HasPrefix(c.ID, "PERM-"), strings.HasPrefix(c.ID, "TRUST-"), c.ID == "IAM-05", c.ID == "IRSA-09":
			out = append(out, c)
		}
	}
	return out
}

func newAccessWhyCmd() *cobra.Command {
	var f auditFlags
	var output string
	cmd := &cobra.Command{
		Use:   "why NAMESPACE/SERVICEACCOUNT --cluster NAME --region R",
		Short: "Explain, link by link, whether a ServiceAccount's pods can assume its IAM role",
		Long: `The first command to run on "AccessDenied … AssumeRoleWithWebIdentity". It
checks the eks.amazonaws.com/role-arn annotation, that the role exists, that
the cluster's IAM OIDC provider exists with client ID sts.amazonaws.com, the
trust's Federated principal, condition keys that name this cluster's issuer
(not another region's, no arn: or https:// prefix), that sub and aud admit
the ServiceAccount, which Fargate profile schedules its pods, and what the
role may then do. It names the first broken link and its fix.

Exit codes: 0 pods of the ServiceAccount can assume their role; 1 a link is
broken; 2 bad input, or a cluster that does not exist or cannot be reached.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ns, name, ok := strings.Cut(args[0], "/")
			if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
				return badInput("%q: want NAMESPACE/SERVICEACCOUNT, such as kube-system/aws-node", args[0])
			}
			switch output {
			case "text", "json":
			default:
				return badInput("-o %q: want text or json", output)
			}
			if len(f.clusters) != 1 && f.specFile == "" {
				return badInput("name one cluster: --cluster NAME")
			}
			s, err := accessSnapshot(cmd, &f)
			if err != nil {
				return err
			}
			e := audit.Explain(s, s.Clusters[0], ns, name)
			w := cmd.OutOrStdout()
			if output == "json" {
				b, err := json.MarshalIndent(e, "", "  ")
				if err != nil {
					return err
				}
				fmt.Fprintln(w, string(b))
			} else {
				fmt.Fprintf(w, "ServiceAccount %s/%s in %s\n", ns, name, e.Cluster)
				for _, l := range e.Links {
					mark := "ok "
					if !l.OK {
						mark = "BROKEN"
					}
					fmt.Fprintf(w, "  %-6s %-28s %s\n", mark, l.Name, l.Detail)
					if !l.OK && l.Fix != "" {
						fmt.Fprintf(w, "  %-6s %-28s fix: %s\n", "", "", l.Fix)
					}
				}
				if e.Broken == "" {
					fmt.Fprintln(w, "\nPods of this ServiceAccount can assume their role (recreate pods that started before the annotation).")
				} else {
					fmt.Fprintf(w, "\nFirst broken link: %s.\n", e.Broken)
				}
			}
			if e.Broken != "" {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	f.register(cmd)
	registerTimeout(cmd.Flags(), 5*time.Minute)
	cmd.Flags().StringVarP(&output, "output", "o", "text", "format: text or json")
	return cmd
}
