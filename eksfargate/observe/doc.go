// Package observe is the only code in fargatekit that reads AWS and
// Kubernetes: every read API operation that eksfargate, irsa, the
// cluster-side steps (access, CoreDNS), audit and the write path's waits
// make goes through one function here, paginated with the SDK's paginators
// or client-go's pager, so that one resource is read the same way wherever
// it is read: the same pagination, the same page sizes, the same rules (an
// access entry's policies are listed only for STANDARD entries, which is
// all EKS allows), the same decoding of IAM's URL-encoded documents.
//
// Each function takes the smallest interface it needs, built from the SDK's
// own per-operation interfaces (eks.DescribeClusterAPIClient, …) or the
// exact signature of the one method, so *eks.Client, *iam.Client and the
// rest satisfy them, and so does a test double. Functions return the SDK's
// types and the SDK's errors unwrapped: callers classify them (not found,
// access denied, unsupported) with errors.As. A resource that does not
// exist is the SDK's not-found error, which IsNotFound recognises for every
// service.
//
// Out of scope: deciding what to read (the snapshot builders of eksfargate,
// irsa and audit decide, from a spec or a target), concurrency (callers
// bound it) and writing (package internal/ops).
package observe
