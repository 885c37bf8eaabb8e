// Package coredns moves CoreDNS onto Fargate on an EKS cluster and waits
// until it is Ready there.
//
// EKS creates CoreDNS to run on EC2: the coredns Deployment's pod template
// carries the annotation eks.amazonaws.com/compute-type: ec2, which Fargate
// can't schedule, and the coredns managed addon has no computeType. To move
// it, Plan returns one change (ChangeID, "coredns/compute-type") that
//
//   - with the coredns addon (ModeAddon): sets the addon's configuration
//     value computeType to Fargate, keeping every other value
//     (FargateConfig), through UpdateAddon, and waits for the update and
//     for the addon to be ACTIVE; the addon then rolls CoreDNS itself;
//   - with the Deployment EKS created (ModeSelfManaged): removes the
//     annotation and restarts the rollout in one JSON patch (Restart),
//     also when the annotation is already gone, once: pods created before
//     a Fargate profile selected them stay Pending until recreated;
//   - optionally (Spec.WaitReady) waits until as many pods as the
//     Deployment's replicas are Ready on Fargate (WaitReady), and on
//     timeout returns a *NotReadyError with the pods and their events.
//
// CoreDNS already on Fargate gives a NoOp change. Without a Fargate profile
// that selects the CoreDNS pods (namespace kube-system, label
// k8s-app=kube-dns; SelectingProfile) Plan fails with ErrNoProfile, as
// CoreDNS would stay Pending forever. The change runs from a fresh
// observation (Observe), so a plan that has aged still does the right
// thing.
//
// The input is a Target: the cluster name, the CoreDNS section of the
// cluster spec (Spec, which eksfargate.Spec embeds as CoreDNS), the
// spec's Fargate profiles and whether the spec manages the coredns addon.
// eksfargate.Spec.CoreDNSTarget builds it, and eksfargate.Plan merges the
// change into the cluster's plan after the profiles and addons it depends
// on. Reads go through package eksfargate/observe, the addon update
// through internal/ops.
//
// # Out of scope
//
// Installing, upgrading or removing CoreDNS or its addon (eksfargate plans
// the addon itself), its Corefile, replica count and resources, creating
// the Fargate profile that selects it, and running CoreDNS on EC2 nodes
// (OnFargate false leaves CoreDNS as it is; nothing is moved back).
package coredns
