// Package envtest runs a local AWS and a real Kubernetes API server for tests,
// as net/http/httptest runs an HTTP server: fargatekit's own tests use it, and
// so can the tests of tools that embed fargatekit.
//
// AWS: StartAWS (or NewAWS in a test) starts moto_server on a free loopback
// port with AWS managed policies loaded, and puts the proxy of package
// envtest/awsproxy in front of it. The proxy serves the EKS operations moto
// lacks (addons, access entries, cluster versions, …), adds the rules moto
// skips (states that pass through CREATING and DELETING, one Fargate profile
// CREATING or DELETING per cluster, private subnets only, malformed policy
// documents refused, IAM propagation delay), injects faults on request, and
// counts calls per service and operation. AWS.Config returns an aws.Config
// that sends every call through the proxy.
//
// Kubernetes: StartKube (or NewKube) starts etcd and kube-apiserver
// v1.37.2 on loopback with certificates made for the instance and returns an
// admin rest.Config and clientset. Seed creates what EKS puts into a new
// cluster (coredns, aws-node, kube-proxy, aws-auth). The binaries are built
// once by `make tools` in the fargatekit repository, from a separate Go
// module (tools/envtools) so that Kubernetes' server dependencies never reach
// fargatekit's users, and are cached in BinDir.
//
// Isolation: start one AWS per test package (in TestMain) and call Reset
// between tests, or one per test. Both the AWS and the Kubernetes side need
// external processes, so NewAWS and NewKube skip the test in -short mode.
//
// Out of scope: anything beyond loopback; real IAM authorization (moto's
// optional enforcement is available through AWSOptions.Env); controllers and
// kubelets (no pods are scheduled: tests create pods and set their status).
package envtest
