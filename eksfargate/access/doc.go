// Package access decides who may use an EKS cluster, the two ways EKS
// knows: the aws-auth ConfigMap (CONFIG_MAP and API_AND_CONFIG_MAP
// authentication modes) and access entries with their access policies
// (API_AND_CONFIG_MAP and API). It validates the spec's mappings against
// what each accepts (a mapping to system:masters or to the cluster-admin
// access policy needs the explicit opt-in), parses and edits aws-auth
// without losing what fargatekit does not own (the Fargate node mapping
// above all, read-modify-write with retry on conflict), and plans access
// entries, including the migration of every aws-auth mapping to an entry.
//
// The spec's part is Spec (eksfargate.Spec.Access); Plan and Validate take
// a Target, which eksfargate.Spec.AccessTarget builds. Reads go through
// package observe and writes through internal/ops. Out of scope: the
// authentication mode itself (a cluster setting, planned by eksfargate),
// tokens and kubeconfigs (package kubeauth), and judging who is
// cluster-admin (audit's access map).
package access
