package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/fargatekit/fargatekit/eksfargate/access"
	"github.com/fargatekit/fargatekit/eksfargate/kubeauth"
	"github.com/fargatekit/fargatekit/eksfargate/observe"
)

// Kubernetes names the audit reads.
const (
	// AnnotationRoleARN is the IRSA annotation on a ServiceAccount.
	AnnotationRoleARN = "eks.amazonaws.com/role-arn"
	// AnnotationAudience overrides the token audience of an IRSA
	// ServiceAccount.
	AnnotationAudience = "eks.amazonaws.com/audience"
	// AnnotationComputeType pins a pod template to a compute type; CoreDNS
	// carries eks.amazonaws.com/compute-type: ec2 on new clusters.
	AnnotationComputeType = "eks.amazonaws.com/compute-type"
)

// kubeConfig returns the client configuration of a cluster's Kubernetes API:
// Options.Kube's, or by default kubeauth.RESTConfigForCluster with the
// observed endpoint and CA (no second DescribeCluster) and a cached EKS
// token signed with Options.AWS for the cluster's region.
func kubeConfig(ctx context.Context, o *Options, c *Cluster) (*rest.Config, error) {
	var cfg *rest.Config
	var err error
	if o.Kube != nil {
		cfg, err = o.Kube(ctx, c)
	} else {
		cfg, err = defaultKubeConfig(ctx, o.AWS, c)
	}
	if err != nil {
		return nil, err
	}
	cfg = rest.CopyConfig(cfg)
	if cfg.Timeout == 0 {
		cfg.Timeout = o.KubeTimeout
	}
	if cfg.QPS == 0 {
		cfg.QPS, cfg.Burst = 50, 100
	}
	cfg.UserAgent = "fargatekit-audit"
	return cfg, nil
}

func defaultKubeConfig(ctx context.Context, base aws.Config, c *Cluster) (*rest.Config, error) {
	if c.Endpoint == "" {
		return nil, fmt.Errorf("cluster %s has no API endpoint (status %s)", c.Name, c.Status)
	}
	cfg := base.Copy()
	cfg.Region = c.Region
	return kubeauth.RESTConfigForCluster(ctx, cfg, c.Name, func(ro *kubeauth.RESTConfigOptions) {
		ro.Cluster = &ekstypes.Cluster{Name: aws.String(c.Name), Endpoint: aws.String(c.Endpoint), Status: ekstypes.ClusterStatus(c.Status),
			CertificateAuthority: &ekstypes.Certificate{Data: aws.String(c.CertificateAuthority)}}
	})
}

// kubeCall runs one Kubernetes request under the Kubernetes concurrency bound.
func (ob *observer) kubeCall(ctx context.Context, f func() error) error {
	select {
	case ob.kubeSem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-ob.kubeSem }()
	return f()
}

// readKube reads a cluster's ServiceAccounts, Pods, Namespaces, aws-auth and
// coredns, each with one LIST or GET (lists are chunked). If the API does
// not answer, every Kubernetes part is recorded as unavailable.
func (ob *observer) readKube(ctx context.Context, c *Cluster) {
	allUnavailable := func(why string) {
		for _, p := range kubeParts {
			ob.unavailable(Unavailable{What: p, Region: c.Region, Cluster: c.ARN, Resource: c.Endpoint, Reason: why})
		}
	}
	cfg, err := kubeConfig(ctx, ob.o, c)
	if err != nil {
		allUnavailable("Kubernetes API: " + err.Error())
		return
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		allUnavailable("Kubernetes API: " + err.Error())
		return
	}
	k := &KubeState{}
	// Namespaces first: a cheap request that tells whether the API answers.
	err = ob.kubeCall(ctx, func() error {
		return observe.Namespaces(ctx, cs, func(n *corev1.Namespace) error {
			k.Namespaces = append(k.Namespaces, n.Name)
			return nil
		})
	})
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		var st apierrors.APIStatus
		if !errors.As(err, &st) {
			allUnavailable("Kubernetes API unreachable: " + err.Error())
			return
		}
		ob.unavailable(Unavailable{What: PartNamespaces, Region: c.Region, Cluster: c.ARN, Resource: "Namespaces", Reason: kubeReason(err)})
		k.Namespaces = nil
	}
	fail := func(part, res string, err error) {
		if ctx.Err() == nil {
			ob.unavailable(Unavailable{What: part, Region: c.Region, Cluster: c.ARN, Resource: res, Reason: kubeReason(err)})
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		var sas []ServiceAccount
		err := ob.kubeCall(ctx, func() error {
			return observe.ServiceAccounts(ctx, cs, "", func(sa *corev1.ServiceAccount) error {
				sas = append(sas, ServiceAccount{Namespace: sa.Namespace, Name: sa.Name,
					RoleARN: strings.TrimSpace(sa.Annotations[AnnotationRoleARN]), Audience: sa.Annotations[AnnotationAudience]})
				return nil
			})
		})
		if err != nil {
			fail(PartServiceAccounts, "ServiceAccounts", err)
			return
		}
		k.ServiceAccounts = sas
	})
	wg.Go(func() {
		var pods []Pod
		err := ob.kubeCall(ctx, func() error {
			return observe.Pods(ctx, cs, "", "", func(p *corev1.Pod) error {
				pods = append(pods, podFromAPI(p))
				return nil
			})
		})
		if err != nil {
			fail(PartPods, "Pods", err)
			return
		}
		k.Pods = pods
	})
	wg.Go(func() {
		err := ob.kubeCall(ctx, func() error {
			cm, err := observe.ConfigMap(ctx, cs, access.AWSAuthNamespace, access.AWSAuthName)
			if apierrors.IsNotFound(err) {
				return nil
			}
			if err != nil {
				return err
			}
			a, perr := access.ParseAWSAuth(cm.Data)
			if perr != nil {
				return perr
			}
			k.AWSAuth = awsAuthFromParsed(a)
			return nil
		})
		if err != nil {
			fail(PartAWSAuth, "kube-system/ConfigMap/aws-auth", err)
		}
	})
	wg.Go(func() {
		err := ob.kubeCall(ctx, func() error {
			d, err := observe.Deployment(ctx, cs, "kube-system", "coredns")
			if apierrors.IsNotFound(err) {
				return nil
			}
			if err != nil {
				return err
			}
			dep := &Deployment{Namespace: d.Namespace, Name: d.Name, TemplateLabels: d.Spec.Template.Labels,
				TemplateAnnotations: d.Spec.Template.Annotations, ReadyReplicas: d.Status.ReadyReplicas, Replicas: 1}
			if d.Spec.Replicas != nil {
				dep.Replicas = *d.Spec.Replicas
			}
			k.CoreDNS = dep
			return nil
		})
		if err != nil {
			fail(PartCoreDNS, "kube-system/Deployment/coredns", err)
		}
	})
	wg.Go(func() {
		r, err := ob.readRBAC(ctx, cs)
		if err != nil {
			fail(PartRBAC, "ClusterRoles, ClusterRoleBindings, Roles, RoleBindings", err)
			return
		}
		k.RBAC = r
	})
	wg.Wait()
	c.Kube = k
}

// kubeReason describes a failed Kubernetes read.
func kubeReason(err error) string {
	var st apierrors.APIStatus
	if errors.As(err, &st) {
		s := st.Status()
		return fmt.Sprintf("Kubernetes %s: %s", s.Reason, s.Message)
	}
	return err.Error()
}

func podFromAPI(p *corev1.Pod) Pod {
	out := Pod{Namespace: p.Namespace, Name: p.Name, Labels: p.Labels, Phase: string(p.Status.Phase),
		SchedulerName: p.Spec.SchedulerName, NodeName: p.Spec.NodeName}
	if ref := metav1.GetControllerOf(p); ref != nil {
		out.OwnerKind = ref.Kind
	}
	return out
}

func awsAuthFromParsed(a *access.AWSAuth) *AWSAuth {
	out := &AWSAuth{}
	for _, m := range a.MapRoles {
		if m.RoleARN == "" && m.SSO != nil { // an IAM Identity Center permission set
			out.MapRoles = append(out.MapRoles, AWSAuthMapping{ARN: "sso:" + m.SSO.AccountID + ":" + m.SSO.PermissionSetName, Username: m.Username, Groups: m.Groups})
			continue
		}
		out.MapRoles = append(out.MapRoles, AWSAuthMapping{ARN: m.RoleARN, Username: m.Username, Groups: m.Groups})
	}
	for _, m := range a.MapUsers {
		out.MapUsers = append(out.MapUsers, AWSAuthMapping{ARN: m.UserARN, Username: m.Username, Groups: m.Groups})
	}
	out.MapAccounts = append(out.MapAccounts, a.MapAccounts...)
	return out
}

// readRBAC lists the cluster's ClusterRoles, ClusterRoleBindings, Roles and
// RoleBindings: one paged LIST per kind.
func (ob *observer) readRBAC(ctx context.Context, cs kubernetes.Interface) (*RBAC, error) {
	r := &RBAC{}
	rules := func(in []rbacv1.PolicyRule) []RBACRule {
		out := make([]RBACRule, 0, len(in))
		for _, p := range in {
			out = append(out, RBACRule{Verbs: p.Verbs, APIGroups: p.APIGroups, Resources: p.Resources, ResourceNames: p.ResourceNames, NonResourceURLs: p.NonResourceURLs})
		}
		return out
	}
	subjects := func(in []rbacv1.Subject) []RBACSubject {
		out := make([]RBACSubject, 0, len(in))
		for _, s := range in {
			out = append(out, RBACSubject{Kind: s.Kind, Name: s.Name, Namespace: s.Namespace})
		}
		return out
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var errs []error
	do := func(f func() error) {
		wg.Go(func() {
			if err := ob.kubeCall(ctx, f); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	do(func() error {
		return observe.RBACClusterRoles(ctx, cs, func(cr *rbacv1.ClusterRole) error {
			role := RBACRole{Name: cr.Name, Labels: cr.Labels, Rules: rules(cr.Rules)}
			if ar := cr.AggregationRule; ar != nil {
				role.Aggregation = []string{}
				for _, sel := range ar.ClusterRoleSelectors {
					ls, err := metav1.LabelSelectorAsSelector(&sel)
					if err != nil {
						return fmt.Errorf("ClusterRole %s: aggregation selector: %w", cr.Name, err)
					}
					role.Aggregation = append(role.Aggregation, ls.String())
				}
			}
			r.ClusterRoles = append(r.ClusterRoles, role)
			return nil
		})
	})
	do(func() error {
		return observe.RBACRoles(ctx, cs, func(ro *rbacv1.Role) error {
			r.Roles = append(r.Roles, RBACRole{Namespace: ro.Namespace, Name: ro.Name, Labels: ro.Labels, Rules: rules(ro.Rules)})
			return nil
		})
	})
	do(func() error {
		return observe.RBACClusterRoleBindings(ctx, cs, func(b *rbacv1.ClusterRoleBinding) error {
			r.ClusterRoleBindings = append(r.ClusterRoleBindings, RBACBinding{Name: b.Name, RoleKind: b.RoleRef.Kind, RoleName: b.RoleRef.Name, Subjects: subjects(b.Subjects)})
			return nil
		})
	})
	do(func() error {
		return observe.RBACRoleBindings(ctx, cs, func(b *rbacv1.RoleBinding) error {
			r.RoleBindings = append(r.RoleBindings, RBACBinding{Namespace: b.Namespace, Name: b.Name, RoleKind: b.RoleRef.Kind, RoleName: b.RoleRef.Name, Subjects: subjects(b.Subjects)})
			return nil
		})
	})
	wg.Wait()
	if len(errs) > 0 {
		return nil, errs[0]
	}
	mu.Lock()
	defer mu.Unlock()
	return r, nil
}
