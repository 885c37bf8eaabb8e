package iamtrust

import (
	"slices"
	"sort"
)

// Capability classes: what a set of permissions lets a principal do, in the
// terms a security review uses.
const (
	// CapabilityAdmin is admin-equivalent access: every action on every
	// resource, or every IAM action (which leads to every action).
	CapabilityAdmin = "admin-equivalent"
	// CapabilityEscalation is a catalogued way to gain more permissions
	// than the principal has: passing a role to a service that runs code,
	// writing policies or trust, minting credentials for other principals,
	// or assuming any role.
	CapabilityEscalation = "privilege-escalation"
	// CapabilityData is broad access to data: reading every bucket, secret
	// or parameter, or decrypting with every key.
	CapabilityData = "broad-data-access"
)

// RiskyAction is an entry of the catalogue of dangerous permissions.
type RiskyAction struct {
	// Class is CapabilityAdmin, CapabilityEscalation or CapabilityData.
	Class string `json:"class"`
	// Action is the action, or an action pattern ("iam:*") whose full
	// coverage is the risk.
	Action string `json:"action"`
	// With lists actions of which at least one must also be allowed for
	// the risk to exist (iam:PassRole needs a service that runs code).
	With []string `json:"with,omitempty"`
	// Why says what the permission lets an attacker do.
	Why string `json:"why"`
	// Source is where the risk is catalogued.
	Source string `json:"source"`
}

// Sources of the catalogue.
const (
	sourcePolicySentry = "policy_sentry privilege-escalation list (salesforce/policy_sentry, shared/data/privilege-escalation); Rhino Security Labs, AWS IAM privilege escalation methods"
	sourceAWSAdmin     = "AWS managed policy AdministratorAccess and IAMFullAccess (docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_job-functions.html)"
	sourceAWSData      = "AWS Security Hub controls IAM.21 and KMS.1/KMS.2 (full service access and kms:Decrypt on all keys in identity policies)"
)

// computeServices are actions that run code with a passed role.
var computeServices = []string{
	"lambda:CreateFunction", "lambda:UpdateFunctionConfiguration", "ec2:RunInstances", "ecs:RunTask", "ecs:RegisterTaskDefinition",
	"glue:CreateDevEndpoint", "glue:CreateJob", "cloudformation:CreateStack", "datapipeline:CreatePipeline",
	"sagemaker:CreateNotebookInstance", "sagemaker:CreateTrainingJob", "codebuild:CreateProject", "eks:CreateNodegroup",
	"eks:CreateFargateProfile", "batch:SubmitJob", "states:CreateStateMachine",
}

var riskyActions = []RiskyAction{
	{Class: CapabilityAdmin, Action: "*", With: []string{"iam:*"}, Why: "every action on every resource", Source: sourceAWSAdmin},
	{Class: CapabilityAdmin, Action: "iam:*", Why: "every IAM action: the principal can grant itself anything", Source: sourceAWSAdmin},
	{Class: CapabilityEscalation, Action: "iam:PassRole", With: computeServices, Why: "passes any role to a service that runs code with it", Source: sourcePolicySentry},
	{Class: CapabilityEscalation, Action: "iam:CreatePolicyVersion", Why: "rewrites a managed policy, including its own, and makes the new version the default", Source: sourcePolicySentry},
	{Class: CapabilityEscalation, Action: "iam:SetDefaultPolicyVersion", Why: "switches a managed policy to a broader older version", Source: sourcePolicySentry},
	{Class: CapabilityEscalation, Action: "iam:CreatePolicy", Why: "creates policies to attach", Source: sourcePolicySentry},
	{Class: CapabilityEscalation, Action: "iam:AttachRolePolicy", Why: "attaches any managed policy, such as AdministratorAccess, to a role", Source: sourcePolicySentry},
	{Class: CapabilityEscalation, Action: "iam:AttachUserPolicy", Why: "attaches any managed policy to a user", Source: sourcePolicySentry},
	{Class: CapabilityEscalation, Action: "iam:AttachGroupPolicy", Why: "attaches any managed policy to a group", Source: sourcePolicySentry},
	{Class: CapabilityEscalation, Action: "iam:PutRolePolicy", Why: "writes an inline policy on a role", Source: sourcePolicySentry},
	{Class: CapabilityEscalation, Action: "iam:PutUserPolicy", Why: "writes an inline policy on a user", Source: sourcePolicySentry},
	{Class: CapabilityEscalation, Action: "iam:PutGroupPolicy", Why: "writes an inline policy on a group", Source: sourcePolicySentry},
	{Class: CapabilityEscalation, Action: "iam:CreateRole", Why: "creates roles with any trust", Source: sourcePolicySentry},
	{Class: CapabilityEscalation, Action: "iam:UpdateAssumeRolePolicy", Why: "rewrites a role's trust so that anyone can assume it", Source: sourcePolicySentry},
	{Class: CapabilityEscalation, Action: "iam:CreateAccessKey", Why: "mints long-lived keys for other users", Source: sourcePolicySentry},
	{Class: CapabilityEscalation, Action: "iam:CreateLoginProfile", Why: "sets a console password for other users", Source: sourcePolicySentry},
	{Class: CapabilityEscalation, Action: "iam:UpdateLoginProfile", Why: "changes other users' console passwords", Source: sourcePolicySentry},
	{Class: CapabilityEscalation, Action: "iam:AddUserToGroup", Why: "joins a more privileged group", Source: sourcePolicySentry},
	{Class: CapabilityEscalation, Action: "iam:PutRolePermissionsBoundary", Why: "replaces a role's permissions boundary", Source: sourcePolicySentry},
	{Class: CapabilityEscalation, Action: "iam:DeleteRolePermissionsBoundary", Why: "removes a role's permissions boundary", Source: sourcePolicySentry},
	{Class: CapabilityEscalation, Action: "sts:AssumeRole", Why: "assumes any role whose trust admits the account", Source: sourcePolicySentry},
	{Class: CapabilityData, Action: "s3:*", Why: "every S3 action on every bucket", Source: sourceAWSData},
	{Class: CapabilityData, Action: "s3:GetObject", Why: "reads every object of every bucket", Source: sourceAWSData},
	{Class: CapabilityData, Action: "kms:Decrypt", Why: "decrypts with every key whose key policy admits the account", Source: sourceAWSData},
	{Class: CapabilityData, Action: "secretsmanager:GetSecretValue", Why: "reads every secret", Source: sourceAWSData},
	{Class: CapabilityData, Action: "ssm:GetParameter", Why: "reads every SSM parameter, SecureString ones included", Source: sourceAWSData},
	{Class: CapabilityData, Action: "dynamodb:*", Why: "every DynamoDB action on every table", Source: sourceAWSData},
}

// RiskyActions returns the catalogue of dangerous permissions that
// Capabilities looks for, as data with sources.
func RiskyActions() []RiskyAction {
	out := slices.Clone(riskyActions)
	for i := range out {
		out[i].With = slices.Clone(out[i].With)
	}
	return out
}

// Capability is a catalogued dangerous permission that a set of permissions
// grants on every resource.
type Capability struct {
	// Class is CapabilityAdmin, CapabilityEscalation or CapabilityData.
	Class string `json:"class"`
	// Action is the catalogued action or pattern.
	Action string `json:"action"`
	// With is the companion action found allowed, for entries that need
	// one.
	With string `json:"with,omitempty"`
	// Why says what it lets an attacker do.
	Why string `json:"why"`
	// Conditional is true when it is granted only under conditions.
	Conditional bool `json:"conditional,omitempty"`
	// GrantedBy are the statements that grant it.
	GrantedBy []StatementRef `json:"grantedBy"`
}

// Capabilities evaluates the catalogue of RiskyActions against the
// permissions, each on AnyResource, and returns what is granted, admin
// first. An admin-equivalent grant implies every other entry, so when one is
// found the other entries of the same statements are not repeated.
func (p *Permissions) Capabilities() []Capability {
	var out []Capability
	admin := false
	for _, ra := range riskyActions {
		if admin && ra.Class != CapabilityAdmin {
			break
		}
		acc := p.Check(ProbeAction(ra.Action), AnyResource)
		if !acc.Allowed() {
			continue
		}
		c := Capability{Class: ra.Class, Action: ra.Action, Why: ra.Why, Conditional: acc.Conditional, GrantedBy: acc.AllowedBy}
		if len(ra.With) > 0 {
			found := false
			for _, w := range ra.With {
				if wa := p.Check(ProbeAction(w), AnyResource); wa.Allowed() {
					c.With, found = w, true
					c.Conditional = c.Conditional || wa.Conditional
					break
				}
			}
			if !found {
				continue
			}
		}
		if ra.Class == CapabilityAdmin {
			admin, c.With = true, ""
		}
		out = append(out, c)
	}
	sort.SliceStable(out, func(i, j int) bool { return classRank(out[i].Class) < classRank(out[j].Class) })
	return out
}

func classRank(c string) int {
	switch c {
	case CapabilityAdmin:
		return 0
	case CapabilityEscalation:
		return 1
	}
	return 2
}

// Classes returns the distinct classes of caps, in rank order.
func Classes(caps []Capability) []string {
	var out []string
	for _, c := range caps {
		if !slices.Contains(out, c.Class) {
			out = append(out, c.Class)
		}
	}
	return out
}
