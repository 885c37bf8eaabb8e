package observe

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/pager"
)

// kubePageSize is the page size of every Kubernetes list.
const kubePageSize = 500

// each lists with client-go's pager (chunks of kubePageSize, falling back to
// a full list when the continue token expires) and calls f for every item.
func each[T any](ctx context.Context, sel metav1.ListOptions, list func(context.Context, metav1.ListOptions) (runtime.Object, error), f func(*T) error) error {
	p := pager.New(pager.SimplePageFunc(func(o metav1.ListOptions) (runtime.Object, error) { return list(ctx, o) }))
	p.PageSize = kubePageSize
	return p.EachListItem(ctx, sel, func(obj runtime.Object) error {
		if v, ok := any(obj).(*T); ok {
			return f(v)
		}
		return nil
	})
}

// Namespaces lists every namespace.
func Namespaces(ctx context.Context, kube kubernetes.Interface, f func(*corev1.Namespace) error) error {
	return each(ctx, metav1.ListOptions{}, func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
		return kube.CoreV1().Namespaces().List(ctx, o)
	}, f)
}

// ServiceAccounts lists the ServiceAccounts of a namespace ("" for every
// namespace).
func ServiceAccounts(ctx context.Context, kube kubernetes.Interface, namespace string, f func(*corev1.ServiceAccount) error) error {
	return each(ctx, metav1.ListOptions{}, func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
		return kube.CoreV1().ServiceAccounts(namespace).List(ctx, o)
	}, f)
}

// ServiceAccount reads one ServiceAccount.
func ServiceAccount(ctx context.Context, kube kubernetes.Interface, namespace, name string) (*corev1.ServiceAccount, error) {
	return kube.CoreV1().ServiceAccounts(namespace).Get(ctx, name, metav1.GetOptions{})
}

// Pods lists the pods of a namespace ("" for every namespace) that match
// the label selector ("" for all).
func Pods(ctx context.Context, kube kubernetes.Interface, namespace, selector string, f func(*corev1.Pod) error) error {
	return each(ctx, metav1.ListOptions{LabelSelector: selector}, func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
		return kube.CoreV1().Pods(namespace).List(ctx, o)
	}, f)
}

// Events lists the events of a namespace that match the field selector.
func Events(ctx context.Context, kube kubernetes.Interface, namespace, fieldSelector string, f func(*corev1.Event) error) error {
	return each(ctx, metav1.ListOptions{FieldSelector: fieldSelector}, func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
		return kube.CoreV1().Events(namespace).List(ctx, o)
	}, f)
}

// ConfigMap reads one ConfigMap (aws-auth, for the cluster's access).
func ConfigMap(ctx context.Context, kube kubernetes.Interface, namespace, name string) (*corev1.ConfigMap, error) {
	return kube.CoreV1().ConfigMaps(namespace).Get(ctx, name, metav1.GetOptions{})
}

// Deployment reads one Deployment (coredns).
func Deployment(ctx context.Context, kube kubernetes.Interface, namespace, name string) (*appsv1.Deployment, error) {
	return kube.AppsV1().Deployments(namespace).Get(ctx, name, metav1.GetOptions{})
}

// Deployments lists the Deployments of every namespace.
func Deployments(ctx context.Context, kube kubernetes.Interface, f func(*appsv1.Deployment) error) error {
	return each(ctx, metav1.ListOptions{}, func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
		return kube.AppsV1().Deployments("").List(ctx, o)
	}, f)
}

// StatefulSets lists the StatefulSets of every namespace.
func StatefulSets(ctx context.Context, kube kubernetes.Interface, f func(*appsv1.StatefulSet) error) error {
	return each(ctx, metav1.ListOptions{}, func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
		return kube.AppsV1().StatefulSets("").List(ctx, o)
	}, f)
}

// DaemonSets lists the DaemonSets of every namespace.
func DaemonSets(ctx context.Context, kube kubernetes.Interface, f func(*appsv1.DaemonSet) error) error {
	return each(ctx, metav1.ListOptions{}, func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
		return kube.AppsV1().DaemonSets("").List(ctx, o)
	}, f)
}

// DaemonSet reads one DaemonSet (aws-node).
func DaemonSet(ctx context.Context, kube kubernetes.Interface, namespace, name string) (*appsv1.DaemonSet, error) {
	return kube.AppsV1().DaemonSets(namespace).Get(ctx, name, metav1.GetOptions{})
}

// RBACClusterRoles lists every ClusterRole.
func RBACClusterRoles(ctx context.Context, kube kubernetes.Interface, f func(*rbacv1.ClusterRole) error) error {
	return each(ctx, metav1.ListOptions{}, func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
		return kube.RbacV1().ClusterRoles().List(ctx, o)
	}, f)
}

// RBACRoles lists the Roles of every namespace.
func RBACRoles(ctx context.Context, kube kubernetes.Interface, f func(*rbacv1.Role) error) error {
	return each(ctx, metav1.ListOptions{}, func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
		return kube.RbacV1().Roles("").List(ctx, o)
	}, f)
}

// RBACClusterRoleBindings lists every ClusterRoleBinding.
func RBACClusterRoleBindings(ctx context.Context, kube kubernetes.Interface, f func(*rbacv1.ClusterRoleBinding) error) error {
	return each(ctx, metav1.ListOptions{}, func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
		return kube.RbacV1().ClusterRoleBindings().List(ctx, o)
	}, f)
}

// RBACRoleBindings lists the RoleBindings of every namespace.
func RBACRoleBindings(ctx context.Context, kube kubernetes.Interface, f func(*rbacv1.RoleBinding) error) error {
	return each(ctx, metav1.ListOptions{}, func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
		return kube.RbacV1().RoleBindings("").List(ctx, o)
	}, f)
}
