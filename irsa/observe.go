package irsa

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"go.uber.org/zap"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fargatekit/fargatekit/eksfargate/observe"
	"github.com/fargatekit/fargatekit/iamtrust"
)

// Snapshot is what Observe read: the live state that Diff compares with the
// spec. It holds only what the spec is about.
type Snapshot struct {
	// Provider is the IAM OIDC provider at the cluster's provider ARN; nil
	// when there is none.
	Provider *Provider
	// IssuerThumbprint is the issuer's thumbprint, when
	// Options.ComputeThumbprint asked for it.
	IssuerThumbprint string
	// Roles are the spec's roles that exist, by the spec's name for them
	// (IAM matches role names without regard to case; Role.Name is IAM's
	// spelling).
	Roles map[string]*Role
	// OtherRoles are the roles the spec does not name whose trust policy
	// names the cluster's OIDC provider, by IAM's name, with their tags
	// and policies: candidates for pruning (only those that carry
	// OwnerTag with the cluster's name are deleted).
	OtherRoles map[string]*Role
	// OtherServiceAccounts are the ServiceAccounts that the trust policies
	// of OtherRoles name and that exist (read only when Clients.Kube is
	// set), for removing their role annotation before the role goes.
	OtherServiceAccounts map[ServiceAccountRef]*ServiceAccount
	// Policies are the customer managed policies fargatekit owns (the IPv6
	// CNI policy) that exist, by ARN.
	Policies map[string]*Policy
	// ServiceAccounts are the spec's ServiceAccounts that exist.
	ServiceAccounts map[ServiceAccountRef]*ServiceAccount
	// Namespaces tells, for the namespaces of missing ServiceAccounts,
	// whether they exist.
	Namespaces map[string]bool
	// Workloads are the Deployments, StatefulSets and DaemonSets that run as
	// a ServiceAccount of a role with RestartWorkloads.
	Workloads []Workload
	// Addon is the vpc-cni add-on with Options.VPCCNI; nil when it is not
	// installed (or not asked about).
	Addon *Addon
	// AWSNode reports whether the kube-system/aws-node DaemonSet exists
	// (read with Options.VPCCNI).
	AWSNode bool
	// Quotas are the account's IAM quotas, read only when a role needs
	// more than IAM's defaults; nil means the defaults apply.
	Quotas *Quotas
}

// Provider is an IAM OIDC provider as IAM reports it.
type Provider struct {
	// ARN of the provider.
	ARN string `json:"arn"`
	// URL is the issuer without "https://", as IAM stores it.
	URL string `json:"url"`
	// ClientIDs are the audiences the provider accepts.
	ClientIDs []string `json:"clientIDs"`
	// Thumbprints are the server certificate thumbprints.
	Thumbprints []string `json:"thumbprints,omitempty"`
	// Tags on the provider.
	Tags map[string]string `json:"tags,omitempty"`
}

// Role is an IAM role as IAM reports it.
type Role struct {
	// Name, ARN, Path and ID of the role.
	Name, ARN, Path, ID string
	// TrustSource is the trust policy as IAM returned it, URL-decoded.
	TrustSource string
	// Trust is the parsed trust policy; nil when it did not parse (TrustErr).
	Trust *iamtrust.Document
	// TrustErr is why the trust policy did not parse.
	TrustErr error
	// ManagedPolicyARNs are the attached managed policies, sorted.
	ManagedPolicyARNs []string
	// InlinePolicyNames are the names of the inline policies, sorted.
	InlinePolicyNames []string
	// InlinePolicies are the inline policies the spec declares that exist,
	// by name, as IAM returned them (URL-decoded).
	InlinePolicies map[string]string
	// PermissionsBoundary is the ARN of the boundary; empty when none.
	PermissionsBoundary string
	// Tags on the role.
	Tags map[string]string
}

// Policy is a customer managed policy with its default version's document.
type Policy struct {
	// ARN of the policy.
	ARN string
	// DefaultVersion is the ID of the default version, such as "v2".
	DefaultVersion string
	// Document is the default version's document, URL-decoded.
	Document string
	// Tags on the policy.
	Tags map[string]string
}

// ServiceAccount is a Kubernetes ServiceAccount's metadata.
type ServiceAccount struct {
	// Ref names the ServiceAccount.
	Ref ServiceAccountRef
	// Annotations and Labels of the ServiceAccount.
	Annotations, Labels map[string]string
	// ResourceVersion at the time it was read.
	ResourceVersion string
}

// Workload is a Deployment, StatefulSet or DaemonSet and the ServiceAccount
// its pods run as.
type Workload struct {
	// Kind is "Deployment", "StatefulSet" or "DaemonSet".
	Kind string `json:"kind"`
	// Namespace and Name of the workload.
	Namespace string `json:"namespace"`
	// Name of the workload.
	Name string `json:"name"`
	// ServiceAccount is the pod template's serviceAccountName ("default"
	// when empty).
	ServiceAccount string `json:"serviceAccount"`
}

// Addon is an EKS add-on as DescribeAddon reports it.
type Addon struct {
	// Name, Version and Status of the add-on.
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	Status  string `json:"status,omitempty"`
	// ServiceAccountRoleARN is the IRSA role of the add-on's ServiceAccount.
	ServiceAccountRoleARN string `json:"serviceAccountRoleARN,omitempty"`
	// ConfigurationValues of the add-on, kept when it is re-created.
	ConfigurationValues string `json:"configurationValues,omitempty"`
}

// Observe reads the live state of what the roles and options describe,
// read-only and in bulk:
//
//   - the OIDC provider: one GetOpenIDConnectProvider on the derived ARN;
//   - roles: ListRoles, paginated, for existence, path and trust of all
//     of them at once; then, per existing role of the spec, one GetRole
//     (tags and permissions boundary, which ListRoles leaves out), one
//     ListAttachedRolePolicies, one ListRolePolicies, and one
//     GetRolePolicy per declared inline policy that exists;
//   - the IPv6 CNI policy (VPCCNI.IPv6 only): GetPolicy and
//     GetPolicyVersion;
//   - ServiceAccounts: one paginated LIST across all namespaces; the
//     namespaces are listed only when a ServiceAccount is missing;
//   - workloads: one LIST per kind, only when a role has RestartWorkloads;
//   - the vpc-cni add-on and the aws-node DaemonSet (VPCCNI only).
//
// Reads run with at most Options.Concurrency in flight.
func Observe(ctx context.Context, c Clients, cluster Cluster, roles []ServiceAccountRole, opts ...func(*Options)) (*Snapshot, error) {
	o := newOptions(opts)
	d, err := resolve(cluster, roles, o)
	if err != nil {
		return nil, err
	}
	return observeAll(ctx, c, d)
}

func observeAll(ctx context.Context, c Clients, d *desired) (*Snapshot, error) {
	if c.IAM == nil {
		return nil, errors.New("irsa: Clients.IAM is nil")
	}
	if c.Kube == nil && len(d.roles) > 0 {
		return nil, errors.New("irsa: Clients.Kube is nil; the ServiceAccounts cannot be read or annotated")
	}
	if d.vpccni != nil && c.EKS == nil {
		return nil, errors.New("irsa: Clients.EKS is nil; the vpc-cni add-on cannot be read")
	}
	s := &Snapshot{
		Roles:           map[string]*Role{},
		OtherRoles:      map[string]*Role{},
		Policies:        map[string]*Policy{},
		ServiceAccounts: map[ServiceAccountRef]*ServiceAccount{},
		Namespaces:      map[string]bool{},

		OtherServiceAccounts: map[ServiceAccountRef]*ServiceAccount{},
	}
	var mu sync.Mutex // guards s during the parallel phases
	// Phase 1: independent bulk reads.
	tasks := []func(context.Context) error{
		func(ctx context.Context) error { return observeProvider(ctx, c.IAM, d, s) },
		func(ctx context.Context) error { return observeRoles(ctx, c.IAM, d, s, &mu) },
	}
	for _, p := range d.policies {
		tasks = append(tasks, func(ctx context.Context) error { return observePolicy(ctx, c.IAM, p, s, &mu) })
	}
	tasks = append(tasks, func(ctx context.Context) error { return observeQuotas(ctx, c.IAM, d, s) })
	if d.o.ComputeThumbprint {
		tasks = append(tasks, func(ctx context.Context) error {
			tp, err := Thumbprint(ctx, d.cluster.IssuerURL, func(t *ThumbprintOptions) { *t = d.o.Thumbprint })
			if err != nil {
				return err
			}
			s.IssuerThumbprint = tp
			return nil
		})
	}
	if len(d.roles) > 0 {
		tasks = append(tasks, func(ctx context.Context) error { return observeServiceAccounts(ctx, c, d, s, &mu) })
	}
	if d.vpccni != nil {
		tasks = append(tasks, func(ctx context.Context) error { return observeAddon(ctx, c, d, s) })
	}
	if anyRestart(d) {
		tasks = append(tasks, func(ctx context.Context) error { return observeWorkloads(ctx, c, d, s) })
	}
	if err := parallel(ctx, d.o.Concurrency, tasks); err != nil {
		return nil, err
	}
	// Phase 2: per existing role, and the namespaces of missing
	// ServiceAccounts.
	tasks = tasks[:0]
	for _, r := range d.roles {
		if role := s.Roles[r.name]; role != nil {
			tasks = append(tasks, func(ctx context.Context) error { return observeRoleDetails(ctx, c.IAM, r, role) })
		}
	}
	for _, role := range s.OtherRoles {
		tasks = append(tasks, func(ctx context.Context) error { return observeRoleDetails(ctx, c.IAM, &desiredRole{}, role) })
		if c.Kube != nil {
			for _, ref := range trustedServiceAccounts(role.TrustSource) {
				tasks = append(tasks, func(ctx context.Context) error { return observeOtherServiceAccount(ctx, c, ref, s, &mu) })
			}
		}
	}
	if missingServiceAccount(d, s) {
		tasks = append(tasks, func(ctx context.Context) error { return observeNamespaces(ctx, c, d, s) })
	}
	if err := parallel(ctx, d.o.Concurrency, tasks); err != nil {
		return nil, err
	}
	d.o.Logger.Debug("irsa: observed",
		zap.String("cluster", d.cluster.Name), zap.Bool("provider", s.Provider != nil),
		zap.Int("roles", len(s.Roles)), zap.Int("serviceAccounts", len(s.ServiceAccounts)),
		zap.Int("workloads", len(s.Workloads)))
	return s, nil
}

// parallel runs tasks with at most n at once and returns every error,
// joined. The first error cancels the tasks that have not started.
func parallel(parent context.Context, n int, tasks []func(context.Context) error) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		sem  = make(chan struct{}, n)
	)
	for _, t := range tasks {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := t(ctx); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				cancel()
			}
		}()
	}
	wg.Wait()
	if len(errs) == 0 && parent.Err() != nil {
		return fmt.Errorf("irsa: observe: %w", parent.Err())
	}
	return errors.Join(errs...)
}

func observeProvider(ctx context.Context, api observe.OIDCProviderAPI, d *desired, s *Snapshot) error {
	out, err := observe.OIDCProvider(ctx, api, d.providerARN)
	var nse *iamtypes.NoSuchEntityException
	switch {
	case errors.As(err, &nse):
		return nil
	case err != nil:
		return fmt.Errorf("irsa: read OIDC provider %s: %w", d.providerARN, err)
	}
	s.Provider = &Provider{
		ARN:         d.providerARN,
		URL:         aws.ToString(out.Url),
		ClientIDs:   slices.Clone(out.ClientIDList),
		Thumbprints: slices.Clone(out.ThumbprintList),
		Tags:        iamTags(out.Tags),
	}
	return nil
}

func iamTags(tags []iamtypes.Tag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// observeRoles lists every role once and keeps the spec's, and the other
// roles that trust the cluster's OIDC provider (candidates for pruning).
func observeRoles(ctx context.Context, api iam.ListRolesAPIClient, d *desired, s *Snapshot, mu *sync.Mutex) error {
	// IAM role names are unique without regard to case: "API" is the role
	// "api". Key the spec's names by their lower-case form.
	want := make(map[string]string, len(d.roles))
	for _, r := range d.roles {
		want[strings.ToLower(r.name)] = r.name
	}
	err := observe.Roles(ctx, api, func(page []iamtypes.Role) error {
		for _, r := range page {
			name := aws.ToString(r.RoleName)
			specName, ok := want[strings.ToLower(name)]
			if !ok && !strings.Contains(aws.ToString(r.AssumeRolePolicyDocument), d.hostPath) && !strings.Contains(aws.ToString(r.AssumeRolePolicyDocument), url.QueryEscape(d.hostPath)) {
				continue
			}
			role := &Role{Name: name, ARN: aws.ToString(r.Arn), Path: aws.ToString(r.Path), ID: aws.ToString(r.RoleId)}
			role.TrustSource, role.TrustErr = iamtrust.DecodeLive(aws.ToString(r.AssumeRolePolicyDocument))
			if role.TrustErr == nil {
				role.Trust, role.TrustErr = iamtrust.Parse([]byte(role.TrustSource))
			}
			if role.TrustSource == "" {
				role.TrustSource = aws.ToString(r.AssumeRolePolicyDocument)
			}
			if !ok && !strings.Contains(role.TrustSource, d.providerARN) {
				continue
			}
			mu.Lock()
			if ok {
				s.Roles[specName] = role
			} else {
				s.OtherRoles[name] = role
			}
			mu.Unlock()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("irsa: list roles: %w", err)
	}
	return nil
}

// observeRoleDetails reads what ListRoles leaves out, for one role.
func observeRoleDetails(ctx context.Context, api observe.RolePoliciesAPI, r *desiredRole, role *Role) error {
	live, err := observe.RolePolicies(ctx, api, role.Name, func(policy string) bool {
		_, declared := r.inline[policy]
		return declared
	})
	if err != nil {
		return fmt.Errorf("irsa: read role %s and its policies: %w", role.Name, err)
	}
	if got := live.Role; got != nil {
		role.Tags = iamTags(got.Tags)
		if b := got.PermissionsBoundary; b != nil {
			role.PermissionsBoundary = aws.ToString(b.PermissionsBoundaryArn)
		}
	}
	role.ManagedPolicyARNs = live.AttachedARNs()
	role.InlinePolicyNames = live.InlineNames
	role.InlinePolicies = map[string]string{}
	for pn, raw := range live.Inline {
		doc, err := iamtrust.DecodeLive(raw)
		if err != nil {
			doc = raw
		}
		role.InlinePolicies[pn] = doc
	}
	return nil
}

// observePolicy reads a customer managed policy and its default
// version's document.
func observePolicy(ctx context.Context, api observe.ManagedPolicyAPI, p *desiredPolicy, s *Snapshot, mu *sync.Mutex) error {
	live, raw, err := observe.ManagedPolicy(ctx, api, p.arn)
	var nse *iamtypes.NoSuchEntityException
	switch {
	case live == nil && errors.As(err, &nse):
		// GetPolicy found no policy.
		return nil
	case live == nil && err != nil:
		return fmt.Errorf("irsa: read policy %s: %w", p.arn, err)
	}
	pol := &Policy{ARN: p.arn}
	if live != nil {
		pol.DefaultVersion = aws.ToString(live.DefaultVersionId)
		pol.Tags = iamTags(live.Tags)
	}
	if err != nil {
		// GetPolicy answered; reading its default version failed.
		return fmt.Errorf("irsa: read policy %s version %s: %w", p.arn, pol.DefaultVersion, err)
	}
	if raw != "" {
		if pol.Document, err = iamtrust.DecodeLive(raw); err != nil {
			pol.Document = raw
		}
	}
	mu.Lock()
	s.Policies[p.arn] = pol
	mu.Unlock()
	return nil
}

// observeServiceAccounts lists the ServiceAccounts of every namespace once
// (paginated) and keeps the spec's.
func observeServiceAccounts(ctx context.Context, c Clients, d *desired, s *Snapshot, mu *sync.Mutex) error {
	want := map[ServiceAccountRef]bool{}
	for _, r := range d.roles {
		for _, sa := range r.serviceAccounts {
			want[sa] = true
		}
	}
	if len(want) == 0 {
		return nil
	}
	err := observe.ServiceAccounts(ctx, c.Kube, "", func(sa *corev1.ServiceAccount) error {
		ref := ServiceAccountRef{Namespace: sa.Namespace, Name: sa.Name}
		if !want[ref] {
			return nil
		}
		mu.Lock()
		s.ServiceAccounts[ref] = &ServiceAccount{Ref: ref, Annotations: sa.Annotations, Labels: sa.Labels, ResourceVersion: sa.ResourceVersion}
		mu.Unlock()
		return nil
	})
	if err != nil {
		return fmt.Errorf("irsa: list ServiceAccounts: %w", err)
	}
	return nil
}

// serviceAccountSub matches the ServiceAccounts a trust policy names in
// its :sub conditions.
var serviceAccountSub = regexp.MustCompile(`system:serviceaccount:([a-z0-9.-]+):([a-z0-9.-]+)`)

// trustedServiceAccounts returns the ServiceAccounts (without wildcards)
// that a trust policy names, sorted.
func trustedServiceAccounts(trust string) []ServiceAccountRef {
	seen := map[ServiceAccountRef]bool{}
	var out []ServiceAccountRef
	for _, m := range serviceAccountSub.FindAllStringSubmatch(trust, -1) {
		ref := ServiceAccountRef{Namespace: m[1], Name: m[2]}
		if !seen[ref] {
			seen[ref] = true
			out = append(out, ref)
		}
	}
	slices.SortFunc(out, func(a, b ServiceAccountRef) int { return cmpStrings(a.String(), b.String()) })
	return out
}

// observeOtherServiceAccount reads one ServiceAccount a pruned role's
// trust names.
func observeOtherServiceAccount(ctx context.Context, c Clients, ref ServiceAccountRef, s *Snapshot, mu *sync.Mutex) error {
	sa, err := observe.ServiceAccount(ctx, c.Kube, ref.Namespace, ref.Name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("irsa: read ServiceAccount %s: %w", ref, err)
	}
	mu.Lock()
	s.OtherServiceAccounts[ref] = &ServiceAccount{Ref: ref, Annotations: sa.Annotations, Labels: sa.Labels, ResourceVersion: sa.ResourceVersion}
	mu.Unlock()
	return nil
}

func missingServiceAccount(d *desired, s *Snapshot) bool {
	for _, r := range d.roles {
		for _, sa := range r.serviceAccounts {
			if s.ServiceAccounts[sa] == nil {
				return true
			}
		}
	}
	return false
}

// observeNamespaces lists the namespaces once, for the missing
// ServiceAccounts.
func observeNamespaces(ctx context.Context, c Clients, d *desired, s *Snapshot) error {
	exists := map[string]bool{}
	err := observe.Namespaces(ctx, c.Kube, func(ns *corev1.Namespace) error {
		if ns.DeletionTimestamp == nil {
			exists[ns.Name] = true
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("irsa: list namespaces: %w", err)
	}
	for _, r := range d.roles {
		for _, sa := range r.serviceAccounts {
			if s.ServiceAccounts[sa] == nil {
				s.Namespaces[sa.Namespace] = exists[sa.Namespace]
			}
		}
	}
	return nil
}

func anyRestart(d *desired) bool {
	for _, r := range d.roles {
		if r.spec.RestartWorkloads && len(r.serviceAccounts) > 0 {
			return true
		}
	}
	return false
}

// observeWorkloads lists Deployments, StatefulSets and DaemonSets once per
// kind and keeps those that run as a ServiceAccount of a role with
// RestartWorkloads.
func observeWorkloads(ctx context.Context, c Clients, d *desired, s *Snapshot) error {
	want := map[ServiceAccountRef]bool{}
	for _, r := range d.roles {
		if r.spec.RestartWorkloads {
			for _, sa := range r.serviceAccounts {
				want[sa] = true
			}
		}
	}
	var (
		mu  sync.Mutex
		out []Workload
	)
	keep := func(kind string, meta metav1.ObjectMeta, spec corev1.PodSpec) {
		sa := spec.ServiceAccountName
		if sa == "" {
			sa = spec.DeprecatedServiceAccount
		}
		if sa == "" {
			sa = "default"
		}
		if want[ServiceAccountRef{Namespace: meta.Namespace, Name: sa}] {
			mu.Lock()
			out = append(out, Workload{Kind: kind, Namespace: meta.Namespace, Name: meta.Name, ServiceAccount: sa})
			mu.Unlock()
		}
	}
	list := func(kind string, read func(context.Context) error) func(context.Context) error {
		return func(ctx context.Context) error {
			if err := read(ctx); err != nil {
				return fmt.Errorf("irsa: list %ss: %w", kind, err)
			}
			return nil
		}
	}
	err := parallel(ctx, 3, []func(context.Context) error{
		list("Deployment", func(ctx context.Context) error {
			return observe.Deployments(ctx, c.Kube, func(w *appsv1.Deployment) error {
				keep("Deployment", w.ObjectMeta, w.Spec.Template.Spec)
				return nil
			})
		}),
		list("StatefulSet", func(ctx context.Context) error {
			return observe.StatefulSets(ctx, c.Kube, func(w *appsv1.StatefulSet) error {
				keep("StatefulSet", w.ObjectMeta, w.Spec.Template.Spec)
				return nil
			})
		}),
		list("DaemonSet", func(ctx context.Context) error {
			return observe.DaemonSets(ctx, c.Kube, func(w *appsv1.DaemonSet) error {
				keep("DaemonSet", w.ObjectMeta, w.Spec.Template.Spec)
				return nil
			})
		}),
	})
	if err != nil {
		return err
	}
	slices.SortFunc(out, func(a, b Workload) int {
		return cmpStrings(a.Namespace+"/"+a.Kind+"/"+a.Name, b.Namespace+"/"+b.Kind+"/"+b.Name)
	})
	s.Workloads = out
	return nil
}

func cmpStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// observeAddon reads the vpc-cni add-on and the aws-node DaemonSet.
func observeAddon(ctx context.Context, c Clients, d *desired, s *Snapshot) error {
	name := d.vpccni.opts.AddonName
	a, err := observe.Addon(ctx, c.EKS, d.cluster.Name, name)
	var nf *ekstypes.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
	case err != nil:
		return fmt.Errorf("irsa: read add-on %s of cluster %s: %w", name, d.cluster.Name, err)
	case a != nil:
		s.Addon = &Addon{
			Name: name, Version: aws.ToString(a.AddonVersion), Status: string(a.Status),
			ServiceAccountRoleARN: aws.ToString(a.ServiceAccountRoleArn), ConfigurationValues: aws.ToString(a.ConfigurationValues),
		}
	}
	if c.Kube == nil || d.vpccni.opts.SkipRestart {
		return nil
	}
	_, err = observe.DaemonSet(ctx, c.Kube, kubeSystem, awsNode)
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return fmt.Errorf("irsa: read DaemonSet %s/%s: %w", kubeSystem, awsNode, err)
	default:
		s.AWSNode = true
	}
	return nil
}
