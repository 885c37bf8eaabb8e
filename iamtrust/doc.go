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
//   - Equal, Canonical and Diff compare documents the way IAM does, so a
//     document IAM has rewritten (key order, account IDs as root ARNs,
//     one-element lists as strings) compares equal to the one sent, while real
//     drift (a deleted role left as AROA…, a changed condition) does not.
//   - ClusterRoleTrust, FargatePodExecutionTrust, IRSATrust and
//     PodIdentityTrust build validated trust policies for the aws, aws-cn and
//     aws-us-gov partitions.
//   - Evaluate decides whether a principal may perform an action under a
//     trust policy, and traces each statement.
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
// This is not a full IAM policy engine. Out of scope are: evaluating resources
// (Resource and NotResource are kept and compared but not evaluated), identity
// policies, permissions boundaries, session policies, service control and
// resource control policies, and the way they combine; validating action,
// resource and condition key names against AWS's catalogue; policy size
// limits; the isolated partitions; and reading or writing policies in AWS
// (callers pass the text, for example from GetRole, to ParseLive).
package iamtrust
