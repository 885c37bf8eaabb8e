package awsproxy

import (
	"net/http"
	"net/url"
)

// DenyAssumeRole makes sts:AssumeRole of these role ARNs fail with
// AccessDenied, as AWS answers when the role's trust does not admit the
// caller or the role does not exist. moto assumes any role ARN, so without
// this no test could see an account of a fleet that cannot be assumed.
// Reset clears the list; a call with no ARNs clears it too.
func (p *Proxy) DenyAssumeRole(roleARNs ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(roleARNs) == 0 {
		p.deniedRoles = nil
		return
	}
	if p.deniedRoles == nil {
		p.deniedRoles = map[string]bool{}
	}
	for _, a := range roleARNs {
		p.deniedRoles[a] = true
	}
}

// serveSTS answers a denied AssumeRole and forwards the rest to moto.
func (p *Proxy) serveSTS(w *recorder, r *http.Request, in *request) {
	if in.operation == "AssumeRole" {
		q, _ := url.ParseQuery(string(in.body))
		arn := q.Get("RoleArn")
		p.mu.Lock()
		denied := p.deniedRoles[arn]
		p.mu.Unlock()
		if denied {
			w.emulated = true
			writeError(w, in, &apiError{status: http.StatusForbidden, code: "AccessDenied",
				message: "User: arn:aws:iam::" + AccountIDFromProxy + ":user/moto is not authorized to perform: sts:AssumeRole on resource: " + arn})
			return
		}
	}
	p.pass(w, r, in)
}

// AccountIDFromProxy is the account moto's default credentials belong to,
// named in the AccessDenied messages the proxy writes.
const AccountIDFromProxy = "123456789012"
