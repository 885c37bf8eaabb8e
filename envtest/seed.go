package envtest

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
)

// SeedOptions describe the new EKS cluster whose kube-system objects Seed
// creates. The zero value seeds a CONFIG_MAP-mode cluster with an empty
// aws-auth ConfigMap.
type SeedOptions struct {
	// AuthenticationMode is the cluster's mode: CONFIG_MAP (default),
	// API_AND_CONFIG_MAP or API. aws-auth is created unless it is API.
	AuthenticationMode string
	// MapRoles is the initial mapRoles YAML of aws-auth (empty by default).
	MapRoles string
	// MapUsers is the initial mapUsers YAML of aws-auth (empty by default).
	MapUsers string
	// CoreDNSWithoutComputeType leaves out the pod-template annotation
	// eks.amazonaws.com/compute-type: ec2, as newer CoreDNS deployments do.
	CoreDNSWithoutComputeType bool
}

// Seed creates in kube-system what EKS puts into a new cluster: the coredns
// Deployment (whose pod template carries eks.amazonaws.com/compute-type: ec2)
// with its ServiceAccount and kube-dns Service, the aws-node DaemonSet and
// ServiceAccount, the kube-proxy DaemonSet and ServiceAccount, and the
// aws-auth ConfigMap where the authentication mode uses it. Objects that
// exist already are left alone.
func Seed(ctx context.Context, c kubernetes.Interface, o SeedOptions) error {
	const ns = "kube-system"
	create := func(kind, name string, err error) error {
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("envtest: seed %s %s/%s: %w", kind, ns, name, err)
		}
		return nil
	}
	for _, sa := range []string{"coredns", "aws-node", "kube-proxy"} {
		_, err := c.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{
			ObjectMeta: metav1.ObjectMeta{Name: sa, Namespace: ns, Labels: map[string]string{"eks.amazonaws.com/component": sa}},
		}, metav1.CreateOptions{})
		if err := create("ServiceAccount", sa, err); err != nil {
			return err
		}
	}
	dnsLabels := map[string]string{"k8s-app": "kube-dns", "eks.amazonaws.com/component": "coredns"}
	podAnn := map[string]string{"eks.amazonaws.com/compute-type": "ec2"}
	if o.CoreDNSWithoutComputeType {
		podAnn = nil
	}
	replicas := int32(2)
	_, err := c.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "coredns", Namespace: ns, Labels: dnsLabels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-dns", "eks.amazonaws.com/component": "coredns"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: dnsLabels, Annotations: podAnn},
				Spec: corev1.PodSpec{
					ServiceAccountName: "coredns",
					Containers: []corev1.Container{{
						Name:  "coredns",
						Image: "602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/coredns:v1.11.4-eksbuild.2",
						Args:  []string{"-conf", "/etc/coredns/Corefile"},
						Ports: []corev1.ContainerPort{{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP}},
					}},
				},
			},
		},
	}, metav1.CreateOptions{})
	if err := create("Deployment", "coredns", err); err != nil {
		return err
	}
	_, err = c.CoreV1().Services(ns).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "kube-dns", Namespace: ns, Labels: map[string]string{"k8s-app": "kube-dns"}},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"k8s-app": "kube-dns"},
			Ports:    []corev1.ServicePort{{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromInt32(53)}},
		},
	}, metav1.CreateOptions{})
	if err := create("Service", "kube-dns", err); err != nil {
		return err
	}
	for _, ds := range []struct{ name, image string }{
		{"aws-node", "602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.19.2-eksbuild.1"},
		{"kube-proxy", "602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/kube-proxy:v1.31.3-eksbuild.2"},
	} {
		labels := map[string]string{"k8s-app": ds.name}
		_, err := c.AppsV1().DaemonSets(ns).Create(ctx, &appsv1.DaemonSet{
			ObjectMeta: metav1.ObjectMeta{Name: ds.name, Namespace: ns, Labels: labels},
			Spec: appsv1.DaemonSetSpec{
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec: corev1.PodSpec{
						ServiceAccountName: ds.name,
						HostNetwork:        true,
						Containers:         []corev1.Container{{Name: ds.name, Image: ds.image}},
					},
				},
			},
		}, metav1.CreateOptions{})
		if err := create("DaemonSet", ds.name, err); err != nil {
			return err
		}
	}
	if o.AuthenticationMode != "API" {
		_, err := c.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: "aws-auth", Namespace: ns},
			Data:       map[string]string{"mapRoles": o.MapRoles, "mapUsers": o.MapUsers},
		}, metav1.CreateOptions{})
		if err := create("ConfigMap", "aws-auth", err); err != nil {
			return err
		}
	}
	return nil
}
