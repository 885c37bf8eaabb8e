package irsa

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"

	"github.com/fargatekit/fargatekit/eksfargate/observe"
	"github.com/fargatekit/fargatekit/internal/ops"
	"github.com/fargatekit/fargatekit/plan"
)

// BlockedDestructive is the Blocked text of the changes that prune what
// the roles given to Plan no longer name, without Options.AllowDestructive.
const BlockedDestructive = "pass --allow-destructive (Options.AllowDestructive) to delete it"

const reqPrune = "IRSA: the spec is complete: a role or OIDC provider tagged " + OwnerTag + " with the cluster's name that the spec no longer names is deleted (its ServiceAccounts' role annotation first; the provider last, once no role trusts it); remove the tag to keep it"

// pruneRoleID is the ID of the delete of a role the spec no longer names.
func pruneRoleID(name string) string { return roleID(name) + "#prune" }

func (f *differ) blocked() string {
	if f.d.o.AllowDestructive {
		return ""
	}
	return BlockedDestructive
}

// prune plans deleting the roles that trust the cluster's OIDC provider,
// carry OwnerTag with the cluster's name and are not in the spec: first
// the role annotation of their ServiceAccounts is removed (other metadata
// is kept), then the role's policies and the role. The provider itself is
// deleted last, with PruneOIDCProvider, when the plan does not manage it
// (OIDCProvider false), no spec role needs it and no role that stays
// trusts it.
func (f *differ) prune() {
	d, s := f.d, f.s
	inSpec := map[ServiceAccountRef]bool{}
	for _, r := range d.roles {
		for _, sa := range r.serviceAccounts {
			inSpec[sa] = true
		}
	}
	var roleIDs []string
	staying := 0
	for _, name := range slices.Sorted(maps.Keys(s.OtherRoles)) {
		role := s.OtherRoles[name]
		if role.Tags[OwnerTag] != d.cluster.Name {
			staying++
			continue
		}
		var saIDs []string
		for _, ref := range trustedServiceAccounts(role.TrustSource) {
			sa := s.OtherServiceAccounts[ref]
			if sa == nil || inSpec[ref] || sa.Annotations[AnnotationRoleARN] != role.ARN {
				continue
			}
			id := serviceAccountID(ref) + "#unannotate"
			f.add(&f.prunes, plan.Change{ID: id, Kind: KindServiceAccount, Resource: ref.Namespace + "/ServiceAccount/" + ref.Name,
				Action: plan.Update, Summary: "remove annotation " + AnnotationRoleARN + " (its role " + role.Name + " is pruned)",
				Before:      serviceAccountView{Namespace: ref.Namespace, Name: ref.Name, Annotations: map[string]string{AnnotationRoleARN: role.ARN}},
				After:       serviceAccountView{Namespace: ref.Namespace, Name: ref.Name, Annotations: map[string]string{}},
				Requirement: reqPrune, Destructive: true, Blocked: strings.Replace(f.blocked(), "delete it", "remove the annotation", 1),
				Run: f.x.removeRoleAnnotation(ref, role.ARN)})
			saIDs = append(saIDs, id)
		}
		summary := "not in the spec (tagged " + OwnerTag + "=" + d.cluster.Name + ")"
		if refs := trustedServiceAccounts(role.TrustSource); len(refs) > 0 {
			summary += "; trusted by " + refList(refs)
		}
		id := pruneRoleID(role.Name)
		f.add(&f.prunes, plan.Change{ID: id, Kind: KindRole, Resource: role.ARN, Action: plan.Delete, Summary: summary,
			Before:      roleView{Name: role.Name, Path: role.Path, Trust: docViewOrSource(role.Trust, role.TrustSource), PermissionsBoundary: role.PermissionsBoundary, Tags: role.Tags},
			Requirement: reqPrune, Destructive: true, DependsOn: saIDs, Blocked: f.blocked(),
			Run: f.x.deleteRole(role.Name, role.ManagedPolicyARNs, role.InlinePolicyNames)})
		roleIDs = append(roleIDs, id)
	}
	p := s.Provider
	if !d.o.PruneOIDCProvider || d.o.OIDCProvider || p == nil || len(d.roles) > 0 || staying > 0 || p.Tags[OwnerTag] != d.cluster.Name {
		return
	}
	f.add(&f.prunes, plan.Change{ID: providerID(d.hostPath) + "#prune", Kind: KindOIDCProvider, Resource: p.ARN, Action: plan.Delete,
		Summary: "not in the spec (tagged " + OwnerTag + "=" + d.cluster.Name + ") and no role trusts it any more",
		Before:  providerView{URL: p.URL, ClientIDs: p.ClientIDs, Thumbprints: p.Thumbprints, Tags: p.Tags}, Requirement: reqPrune,
		Destructive: true, DependsOn: roleIDs, Blocked: f.blocked(), Run: f.x.deleteProvider(p.ARN)})
}

// removeRoleAnnotation removes the role annotation of a ServiceAccount if
// it still names roleARN, keeping its other annotations and labels.
func (x *executor) removeRoleAnnotation(ref ServiceAccountRef, roleARN string) runFunc {
	return func(ctx context.Context, _ plan.Reporter) error {
		sas := x.c.Kube.CoreV1().ServiceAccounts(ref.Namespace)
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			sa, err := observe.ServiceAccount(ctx, x.c.Kube, ref.Namespace, ref.Name)
			if apierrors.IsNotFound(err) {
				return nil
			}
			if err != nil {
				return err
			}
			if sa.Annotations[AnnotationRoleARN] != roleARN {
				return nil // removed already, or now another role's
			}
			patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
				"resourceVersion": sa.ResourceVersion,
				"annotations":     map[string]any{AnnotationRoleARN: nil},
			}})
			if err != nil {
				return err
			}
			_, err = sas.Patch(ctx, ref.Name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: ManagedBy})
			return err
		})
		if err != nil {
			return fmt.Errorf("ServiceAccount %s: remove annotation %s: %w", ref, AnnotationRoleARN, err)
		}
		return nil
	}
}

// deleteRole detaches the managed policies, deletes the inline policies and
// deletes the role. What is gone already (a resumed apply) is passed over.
func (x *executor) deleteRole(name string, managed, inline []string) runFunc {
	return func(ctx context.Context, _ plan.Reporter) error {
		return ops.RoleDelete(ctx, x.c.IAM, name, managed, inline)
	}
}

// deleteProvider deletes the OIDC provider.
func (x *executor) deleteProvider(arn string) runFunc {
	return func(ctx context.Context, _ plan.Reporter) error {
		// One deleted already (a resumed apply) is fine.
		return ops.OIDCProviderDelete(ctx, x.c.IAM, arn)
	}
}
