//go:build tools

// Package envtools pins the Kubernetes server binaries that envtest builds.
package envtools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
