// Package kubeauth gets a client into an EKS cluster's Kubernetes API the
// way EKS authenticates one: a token that is a presigned STS
// GetCallerIdentity URL (k8s-aws-v1.…, with the cluster name signed in the
// x-k8s-aws-id header and X-Amz-Expires=60), the exec credential kubectl
// runs to get one (`aws eks get-token` or `fargatekit token`), a kubeconfig
// written with clientcmd (merged, atomically, mode 0600), and a
// client-go REST config whose cached token is renewed before it expires
// and after a 401.
//
// It reads the cluster's endpoint and CA through package observe when the
// caller does not pass the cluster. Out of scope: who the token maps to in
// the cluster (aws-auth and access entries, package access) and creating
// the cluster (package eksfargate).
package kubeauth
