// Package iamtrust reads, compares, builds, evaluates and checks IAM policy
// documents, above all the trust policies of the roles a Fargate-only EKS
// cluster needs: the cluster role, the Fargate pod execution role and the
// roles of IAM roles for service accounts (IRSA).
//
// Everything here is pure: no network, no context, no global state.
//
//   - Parse and ParseLive read a document into a typed model (Document,
//     Statement, Principals, Values, Condition) and keep its source text, so
//     a document round-trips byte for byte through Source, and MarshalJSON
//     writes the same shape (bare string or list) back. Parsing is strict:
//     unknown and duplicate keys, invalid effects and trailing commas are
//     errors of type *SyntaxError, with line, column and element path.
//     ParseLive first decodes the URL-encoded form IAM's API returns.
//   - Equal, Canonical and Diff compare documents the way IAM decides, so a
//     document IAM has rewritten (key order, account IDs as root ARNs,
//     one-element lists as strings), or whose statements were split, merged
//     or made redundant, compares equal to the one sent, while real drift (a
//     deleted role left as AROA…, a changed condition) does not.
//   - ClusterRoleTrust, FargatePodExecutionTrust, IRSATrust and
//     PodIdentityTrust build validated trust policies for the aws, aws-cn and
//     aws-us-gov partitions.
//   - Evaluate decides whether a principal may perform an action under a
//     trust policy, and traces each statement.
//   - Permissions.Check decides what a role may do under its identity
//     policies (managed at their default version, and inline) and its
//     permissions boundary: Allow needs an identity Allow and a boundary
//     Allow, and an explicit Deny wins; Action/NotAction and
//     Resource/NotResource are evaluated, AnyResource asks about every
//     resource at once. Capabilities matches the catalogue of RiskyActions
//     (admin-equivalent, privilege escalation, broad data access, with
//     sources), and Beyond lists what a role may do beyond a documented
//     purpose.
//   - Lint checks trust policies for the mistakes listed by Rules, with
//     stable check IDs shared with the audit catalogue.
//
// # Conditions
//
// Evaluate supports the operators StringEquals, StringNotEquals,
// StringEqualsIgnoreCase, StringNotEqualsIgnoreCase, StringLike,
// StringNotLike, Numeric{Equals, NotEquals, LessThan, LessThanEquals,
// GreaterThan, GreaterThanEquals}, Date{…the same six}, Bool, IpAddress,
// NotIpAddress, ArnEquals, ArnLike, ArnNotEquals, ArnNotLike and Null, with the
// IfExists suffix and the ForAnyValue: and ForAllValues: prefixes. An unknown
// operator never holds. Wildcards are IAM's: '*' matches any run of
// characters, including none and including '/'; '?' matches one character.
// The Arn operators match each of the six colon-separated parts of an ARN
// separately.
//
// # Out of scope
//
// This is not a full IAM policy engine. Evaluate (trust policies) does not
// evaluate resources; Permissions.Check does, for identity policies and
// boundaries, and it judges conditions as a review must (a conditional Allow
// counts, flagged Conditional; a conditional Deny does not). Out of scope
// are: session policies, service control and resource control policies,
// resource-based policies and cross-account evaluation; validating action,
// resource and condition key names against AWS's catalogue; policy size
// limits; the isolated partitions; and reading or writing policies in AWS
// (callers pass the text, for example from GetRole, to ParseLive).
package iamtrust
