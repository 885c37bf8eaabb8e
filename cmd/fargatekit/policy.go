package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/fargatekit/fargatekit/iamtrust"
	"github.com/spf13/cobra"
)

// newPolicyCmd returns "fargatekit policy": offline tools for IAM policy
// documents (diff, eval, lint), built on package iamtrust.
func newPolicyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Compare, evaluate and lint IAM policy documents offline",
		Long: `Compare, evaluate and lint IAM policy documents without calling AWS.

A FILE argument may be "-" for standard input. Documents may be plain JSON or
URL-encoded, as IAM's API (GetRole, GetRolePolicy, GetPolicyVersion) returns
them.

Exit codes: 0 equivalent / allowed / no finding at or above --fail-on;
1 different / denied / findings; 2 bad input.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.AddCommand(newPolicyDiffCmd(), newPolicyEvalCmd(), newPolicyLintCmd())
	return cmd
}

// policyBadInput wraps err as a usage or input error (exit code 2).
func policyBadInput(err error) error { return &exitError{code: 2, err: err} }

// readPolicy reads and parses the policy document in the file name ("-" is
// standard input).
func readPolicy(cmd *cobra.Command, name string) (*iamtrust.Document, error) {
	var (
		b    []byte
		err  error
		show = name
	)
	if name == "-" {
		show = "<stdin>"
		b, err = readBounded(cmd.InOrStdin(), maxPolicyBytes)
	} else {
		b, err = readFileBounded(name, maxPolicyBytes)
	}
	if errors.Is(err, errTooLarge) {
		return nil, policyBadInput(fmt.Errorf("%s: %w", show, err))
	}
	if err != nil {
		return nil, policyBadInput(fmt.Errorf("reading policy: %w", err))
	}
	d, err := iamtrust.ParseLive(string(b))
	if err != nil {
		return nil, policyBadInput(fmt.Errorf("%s: %w", show, err))
	}
	return d, nil
}

// checkOutput validates -o against the formats a command offers.
func checkOutput(output string, formats ...string) error {
	for _, f := range formats {
		if output == f {
			return nil
		}
	}
	return &exitError{code: 2, err: fmt.Errorf("-o %q: want %s", output, strings.Join(formats, " or "))}
}

// writeJSON writes v indented, with a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// policyDiffJSON is `policy diff -o json`: the differences with their
// values as JSON.
type policyDiffJSON struct {
	Schema      string               `json:"schema"`
	Equivalent  bool                 `json:"equivalent"`
	Differences []policyDiffJSONItem `json:"differences"`
}

type policyDiffJSONItem struct {
	Path   string          `json:"path"`
	Op     string          `json:"op"`
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after,omitempty"`
}

func newPolicyDiffCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "diff A B",
		Short: "Print the semantic differences between two policy documents",
		Long: `Print the semantic differences between two policy documents, the way IAM
sees them: white space, key order, value and statement order, a string
against a one-element list, an account ID against its root ARN, and Sid
are not differences; a deleted role's unique ID, a changed condition value
or a missing condition are.

Exit codes: 0 equivalent, 1 different, 2 bad input.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if args[0] == "-" && args[1] == "-" {
				return policyBadInput(errors.New("only one of A and B can be standard input"))
			}
			a, err := readPolicy(cmd, args[0])
			if err != nil {
				return err
			}
			b, err := readPolicy(cmd, args[1])
			if err != nil {
				return err
			}
			diffs := iamtrust.Diff(a, b)
			out := cmd.OutOrStdout()
			if output == "json" {
				doc := policyDiffJSON{Schema: "fargatekit.io/policy-diff/v1", Equivalent: len(diffs) == 0, Differences: []policyDiffJSONItem{}}
				for _, d := range diffs {
					it := policyDiffJSONItem{Path: d.Path, Op: "~"}
					if d.Before != "" {
						it.Before = json.RawMessage(d.Before)
					} else {
						it.Op = "+"
					}
					if d.After != "" {
						it.After = json.RawMessage(d.After)
					} else {
						it.Op = "-"
					}
					doc.Differences = append(doc.Differences, it)
				}
				if err := writeJSON(out, doc); err != nil {
					return err
				}
				if len(diffs) > 0 {
					return &exitError{code: 1}
				}
				return nil
			}
			if len(diffs) == 0 {
				_, err := fmt.Fprintln(out, "no semantic differences")
				return err
			}
			for _, d := range diffs {
				if _, err := fmt.Fprintln(out, d); err != nil {
					return err
				}
			}
			return &exitError{code: 1, err: fmt.Errorf("the policies differ (%s)", policyPlural(len(diffs), "difference"))}
		},
	}
	cmd.PreRunE = func(*cobra.Command, []string) error { return checkOutput(output, "text", "json") }
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}

// policyPrincipalTypes maps the lower-case principal types to their names.
var policyPrincipalTypes = map[string]string{
	"aws":           iamtrust.PrincipalAWS,
	"service":       iamtrust.PrincipalService,
	"federated":     iamtrust.PrincipalFederated,
	"canonicaluser": iamtrust.PrincipalCanonicalUser,
}

func newPolicyEvalCmd() *cobra.Command {
	var (
		policy, action, principal, output string
		context                           []string
	)
	cmd := &cobra.Command{
		Use:   "eval --policy FILE --action ACTION --principal TYPE=VALUE [--context KEY=VALUE]...",
		Short: "Decide whether a principal may perform an action under a trust policy",
		Long: `Decide whether a principal may perform an action under a trust policy, and
show how each statement fared.

TYPE is AWS, Service, Federated or CanonicalUser. Repeat --context to give
several keys, or the same key several times for a multivalued key.

Exit codes: 0 allowed, 1 denied (explicitly or implicitly), 2 bad input.`,
		Example: `  fargatekit policy eval --policy trust.json --action sts:AssumeRoleWithWebIdentity \
    --principal Federated=arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE \
    --context oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:sub=system:serviceaccount:default:app \
    --context oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:aud=sts.amazonaws.com`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			typ, value, ok := strings.Cut(principal, "=")
			canon, known := policyPrincipalTypes[strings.ToLower(typ)]
			if !ok || !known || value == "" {
				return policyBadInput(fmt.Errorf("--principal %q: want TYPE=VALUE with TYPE one of AWS, Service, Federated, CanonicalUser", principal))
			}
			if action == "" {
				return policyBadInput(errors.New("--action is empty"))
			}
			req := iamtrust.Request{Action: action, Principal: iamtrust.Principal{Type: canon, Value: value}}
			for _, kv := range context {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return policyBadInput(fmt.Errorf("--context %q: want KEY=VALUE", kv))
				}
				if req.Context == nil {
					req.Context = map[string][]string{}
				}
				req.Context[k] = append(req.Context[k], v)
			}
			d, err := readPolicy(cmd, policy)
			if err != nil {
				return err
			}
			res := iamtrust.Evaluate(d, req)
			out := cmd.OutOrStdout()
			if output == "json" {
				type statement struct {
					Index   int    `json:"index"`
					Sid     string `json:"sid,omitempty"`
					Matched bool   `json:"matched"`
					Reason  string `json:"reason"`
				}
				doc := struct {
					Schema     string      `json:"schema"`
					Decision   string      `json:"decision"`
					Allowed    bool        `json:"allowed"`
					Statements []statement `json:"statements"`
				}{"fargatekit.io/policy-eval/v1", res.Decision.String(), res.Decision == iamtrust.Allow, []statement{}}
				for _, st := range res.Statements {
					doc.Statements = append(doc.Statements, statement{st.Index, st.Sid, st.Matched, st.Reason})
				}
				if err := writeJSON(out, doc); err != nil {
					return err
				}
				if res.Decision != iamtrust.Allow {
					return &exitError{code: 1}
				}
				return nil
			}
			fmt.Fprintf(out, "decision: %s\n", res.Decision)
			for _, st := range res.Statements {
				name := fmt.Sprintf("Statement[%d]", st.Index)
				if st.Sid != "" {
					name += fmt.Sprintf(" (Sid %q)", st.Sid)
				}
				verdict := "does not apply"
				if st.Matched {
					verdict = "applies"
				}
				if _, err := fmt.Fprintf(out, "  %s %s: %s\n", name, verdict, st.Reason); err != nil {
					return err
				}
			}
			if res.Decision != iamtrust.Allow {
				return &exitError{code: 1, err: fmt.Errorf("%s is not allowed to call %s (%s)", principal, action, res.Decision)}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&policy, "policy", "", `policy document file ("-" for standard input)`)
	f.StringVar(&action, "action", "", "action requested, such as sts:AssumeRole")
	f.StringVar(&principal, "principal", "", "caller as TYPE=VALUE, such as Service=eks.amazonaws.com")
	f.StringArrayVar(&context, "context", nil, "request condition key as KEY=VALUE (repeatable)")
	f.StringVarP(&output, "output", "o", "text", "output format: text or json")
	cmd.PreRunE = func(*cobra.Command, []string) error { return checkOutput(output, "text", "json") }
	for _, name := range []string{"policy", "action", "principal"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

func newPolicyLintCmd() *cobra.Command {
	var (
		opts           iamtrust.LintOptions
		output, failOn string
	)
	cmd := &cobra.Command{
		Use:   "lint FILE",
		Short: "Check a trust policy for known mistakes",
		Long: `Check a trust policy for known mistakes: missing or legacy Version, IRSA
trusts without subject or audience conditions or with wildcards, public
principals, actions that do not fit their principal, condition keys of
another OIDC provider, and Fargate pod execution trusts not scoped to the
cluster. Give --account, --region, --cluster and --issuer to check the
policy against the cluster it is for.

Exit codes: 0 no finding at or above --fail-on, 1 such findings, 2 bad input.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			threshold, err := iamtrust.ParseSeverity(failOn)
			if err != nil {
				return policyBadInput(fmt.Errorf("--fail-on: %w", err))
			}
			if output != "text" && output != "json" {
				return policyBadInput(fmt.Errorf("-o %q: want text or json", output))
			}
			d, err := readPolicy(cmd, args[0])
			if err != nil {
				return err
			}
			findings := iamtrust.Lint(d, opts)
			if findings == nil {
				findings = []iamtrust.Finding{}
			}
			out := cmd.OutOrStdout()
			if output == "json" {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(struct {
					Findings []iamtrust.Finding `json:"findings"`
				}{findings}); err != nil {
					return err
				}
			} else if err := writePolicyFindings(out, findings); err != nil {
				return err
			}
			failing := 0
			for _, f := range findings {
				if f.Severity >= threshold {
					failing++
				}
			}
			if failing > 0 {
				return &exitError{code: 1, err: fmt.Errorf("%s at or above %s", policyPlural(failing, "finding"), threshold)}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.AccountID, "account", "", "the role's 12-digit account ID")
	f.StringVar(&opts.Region, "region", "", "the cluster's region")
	f.StringVar(&opts.Cluster, "cluster", "", "the cluster's name")
	f.StringVar(&opts.IssuerURL, "issuer", "", "the cluster's OIDC issuer URL")
	f.StringVarP(&output, "output", "o", "text", "output format: text or json")
	f.StringVar(&failOn, "fail-on", "high", "exit 1 when a finding is at or above this severity (info, low, medium, high, critical)")
	return cmd
}

// writePolicyFindings renders findings for people: check, severity and path on one
// line, the message indented below.
func writePolicyFindings(w io.Writer, findings []iamtrust.Finding) error {
	if len(findings) == 0 {
		_, err := fmt.Fprintln(w, "no findings")
		return err
	}
	for _, f := range findings {
		if _, err := fmt.Fprintf(w, "%s %s %s\n    %s\n", f.Check, f.Severity, f.Path, f.Message); err != nil {
			return err
		}
	}
	return nil
}

func policyPlural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
