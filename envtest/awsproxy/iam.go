package awsproxy

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"
)

// policyParam returns the name of the parameter that carries a policy
// document in an IAM operation, or "".
func policyParam(op string) string {
	switch op {
	case "CreateRole":
		return "AssumeRolePolicyDocument"
	case "UpdateAssumeRolePolicy", "PutRolePolicy", "CreatePolicy", "CreatePolicyVersion", "PutUserPolicy", "PutGroupPolicy":
		return "PolicyDocument"
	}
	return ""
}

// serveIAM rejects malformed policy documents as IAM does, records role
// creation times, emulates the OpenID Connect provider client ID operations
// moto lacks, and passes everything else to moto.
func (p *Proxy) serveIAM(w *recorder, r *http.Request, in *request) {
	if arn := in.form.Get(oidcProviderARNParam); arn != "" {
		unlock := p.oidc.lock(arn)
		defer unlock()
	}
	if isOIDCClientIDOp(in.operation) {
		p.serveOIDCClientID(w, r, in)
		return
	}
	if param := policyParam(in.operation); param != "" {
		if docs, ok := in.form[param]; ok && len(docs) > 0 {
			if err := checkPolicyJSON(docs[0]); err != nil {
				p.log.Debug("awsproxy: malformed policy document", zap.String("operation", in.operation), zap.Error(err))
				w.fail(in, &apiError{status: http.StatusBadRequest, code: "MalformedPolicyDocument", message: err.Error()})
				return
			}
		}
	}
	resp, err := p.forward(r.Context(), r, in.body)
	if err != nil {
		p.upstreamFailed(w, in, err)
		return
	}
	if resp.status == http.StatusOK {
		switch in.operation {
		case "CreateRole":
			var out struct {
				Arn string `xml:"CreateRoleResult>Role>Arn"`
			}
			if xml.Unmarshal(resp.body, &out) == nil && out.Arn != "" {
				p.smu.Lock()
				p.st.roles[out.Arn] = time.Now()
				p.smu.Unlock()
			}
		case "DeleteRole":
			name := in.form.Get("RoleName")
			p.smu.Lock()
			for arn := range p.st.roles {
				if strings.HasSuffix(arn, "/"+name) {
					delete(p.st.roles, arn)
				}
			}
			p.smu.Unlock()
		}
	}
	resp.write(w)
}

// checkPolicyJSON reports why doc is not a policy document IAM would parse:
// it must be one JSON object, without duplicate keys at any level and
// without trailing commas or trailing data.
func checkPolicyJSON(doc string) error {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("This policy contains invalid Json: %v", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return errors.New("Syntax errors in policy. The policy document must be a JSON object.")
	}
	if err := walkJSON(dec, json.Delim('{'), "$"); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("This policy contains invalid Json: unexpected data after the policy object")
	}
	return nil
}

// walkJSON reads the rest of the object or array opened by open.
func walkJSON(dec *json.Decoder, open json.Delim, path string) error {
	seen := map[string]bool{}
	for i := 0; ; i++ {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("This policy contains invalid Json: %v", err)
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			return nil
		}
		at := fmt.Sprintf("%s[%d]", path, i)
		if open == '{' {
			key, _ := tok.(string)
			if seen[key] {
				return fmt.Errorf("This policy contains invalid Json: duplicate key %q in %s", key, path)
			}
			seen[key] = true
			at = path + "." + key
			if tok, err = dec.Token(); err != nil {
				return fmt.Errorf("This policy contains invalid Json: %v", err)
			}
		}
		if d, ok := tok.(json.Delim); ok {
			if err := walkJSON(dec, d, at); err != nil {
				return err
			}
		}
	}
}

// roleNotAssumable refuses a role that was created less than
// RolePropagation ago, as EKS does while IAM propagates a new role.
func (p *Proxy) roleNotAssumable(arn string, delays Delays) *apiError {
	if arn == "" || delays.RolePropagation <= 0 {
		return nil
	}
	p.smu.Lock()
	created, ok := p.st.roles[arn]
	p.smu.Unlock()
	if ok && time.Since(created) < delays.RolePropagation {
		return invalidParam("Role with arn: %s, could not be assumed because it does not exist or the trusted entity is not correct", arn)
	}
	return nil
}

// callerPrincipal asks moto's STS who signed the request, as EKS does for
// the cluster creator's access entry, and returns the IAM principal ARN
// (the role of an assumed-role session). It returns "" if STS fails.
func (p *Proxy) callerPrincipal(r *http.Request, in *request) string {
	resp, err := p.callForm(r, in, "sts", "Action=GetCallerIdentity&Version=2011-06-15")
	if err != nil || resp.status != http.StatusOK {
		p.log.Debug("awsproxy: GetCallerIdentity failed; no creator access entry", zap.Error(err))
		return ""
	}
	var out struct {
		Arn string `xml:"GetCallerIdentityResult>Arn"`
	}
	if xml.Unmarshal(resp.body, &out) != nil {
		return ""
	}
	return principalFromCaller(out.Arn)
}

// principalFromCaller turns an STS caller ARN into the IAM principal ARN
// that access entries name.
func principalFromCaller(arn string) string {
	partition, _, account, res := splitARN(arn)
	switch {
	case strings.HasPrefix(res, "assumed-role/"):
		role, _, _ := strings.Cut(strings.TrimPrefix(res, "assumed-role/"), "/")
		return "arn:" + partition + ":iam::" + account + ":role/" + role
	case strings.HasPrefix(arn, "arn:"+partition+":sts:") && strings.HasPrefix(res, "user/"):
		return "arn:" + partition + ":iam::" + account + ":" + res
	}
	return arn
}
