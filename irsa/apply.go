package irsa

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"go.uber.org/zap"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"

	"github.com/fargatekit/fargatekit/eksfargate/observe"
	"github.com/fargatekit/fargatekit/iamtrust"
	"github.com/fargatekit/fargatekit/internal/ops"
	"github.com/fargatekit/fargatekit/plan"
)

// executor builds the Run functions of the changes. It is the only code of
// the package that writes.
type executor struct {
	c       Clients
	o       Options
	cluster Cluster
}

type runFunc = func(ctx context.Context, report plan.Reporter) error

func iamTagList(m map[string]string) []iamtypes.Tag {
	var out []iamtypes.Tag
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, iamtypes.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

func isIAM[T error](err error) bool {
	var t T
	return errors.As(err, &t)
}

func (x *executor) createProvider(thumbprints []string, tags map[string]string) runFunc {
	return func(ctx context.Context, _ plan.Reporter) error {
		// One created since the plan was made (a resumed apply) is fine:
		// plan again checks its client IDs.
		return ops.OIDCProviderCreate(ctx, x.c.IAM, ops.NewOIDCProvider{
			URL:         x.cluster.IssuerURL,
			ClientIDs:   []string{iamtrust.STSAudience},
			Thumbprints: thumbprints,
			Tags:        tags,
		})
	}
}

func (x *executor) replaceProvider(thumbprints []string, tags map[string]string) runFunc {
	create := x.createProvider(thumbprints, tags)
	return func(ctx context.Context, report plan.Reporter) error {
		if err := ops.OIDCProviderDelete(ctx, x.c.IAM, x.cluster.ProviderARN()); err != nil {
			return err
		}
		return create(ctx, report)
	}
}

func (x *executor) updateProvider(addClientID bool, thumbprints []string, tags map[string]string) runFunc {
	return func(ctx context.Context, _ plan.Reporter) error {
		arn := x.cluster.ProviderARN()
		if addClientID {
			// Idempotent in IAM: adding a client ID the provider has is no error.
			if err := ops.OIDCProviderClientID(ctx, x.c.IAM, arn, iamtrust.STSAudience); err != nil {
				return err
			}
		}
		if len(thumbprints) > 0 {
			if err := ops.OIDCProviderThumbprints(ctx, x.c.IAM, arn, thumbprints); err != nil {
				return err
			}
		}
		// No tags is no call.
		return ops.OIDCProviderTag(ctx, x.c.IAM, arn, tags)
	}
}

func (x *executor) createRole(r *desiredRole) runFunc {
	return func(ctx context.Context, _ plan.Reporter) error {
		// A role created since the plan was made (a resumed apply) is
		// converged when it carries OwnerTag with the cluster's name and
		// the same path; any other role of that name is an
		// *ops.OwnershipError.
		return ops.RoleCreate(ctx, x.c.IAM, ops.NewRole{
			Name:        r.name,
			Path:        r.path,
			Description: truncate("IRSA role for "+refList(r.spec.ServiceAccounts())+" of EKS cluster "+x.cluster.Name+" (fargatekit)", 1000),
			Trust:       r.trust.String(),
			Boundary:    r.spec.PermissionsBoundary,
			Tags:        r.tags,
			Cluster:     x.cluster.Name,
		})
	}
}

func (x *executor) updateRole(name string, trust *iamtrust.Document, tags map[string]string, boundary string) runFunc {
	return func(ctx context.Context, _ plan.Reporter) error {
		if trust != nil {
			if err := ops.RoleTrust(ctx, x.c.IAM, name, trust.String()); err != nil {
				return err
			}
		}
		// No tags is no call.
		if err := ops.RoleTag(ctx, x.c.IAM, name, tags); err != nil {
			return err
		}
		if boundary != "" {
			return ops.RoleBoundary(ctx, x.c.IAM, name, boundary)
		}
		return nil
	}
}

func (x *executor) attach(role, policy string) runFunc {
	return func(ctx context.Context, _ plan.Reporter) error {
		return ops.PolicyAttach(ctx, x.c.IAM, role, policy)
	}
}

func (x *executor) detach(role, policy string) runFunc {
	return func(ctx context.Context, _ plan.Reporter) error {
		// One detached already (a resumed apply) is fine.
		return ops.PolicyDetach(ctx, x.c.IAM, role, policy)
	}
}

func (x *executor) deleteInline(role, name string) runFunc {
	return func(ctx context.Context, _ plan.Reporter) error {
		// One deleted already (a resumed apply) is fine.
		return ops.InlinePolicyDelete(ctx, x.c.IAM, role, name)
	}
}

func (x *executor) putInline(role, name string, doc *iamtrust.Document) runFunc {
	return func(ctx context.Context, _ plan.Reporter) error {
		return ops.InlinePolicyPut(ctx, x.c.IAM, role, name, doc.String())
	}
}

func (x *executor) createPolicy(p *desiredPolicy) runFunc {
	return func(ctx context.Context, report plan.Reporter) error {
		_, err := x.c.IAM.CreatePolicy(ctx, &iam.CreatePolicyInput{
			PolicyName:     aws.String(p.name),
			PolicyDocument: aws.String(p.doc.String()),
			Description:    aws.String("Amazon VPC CNI on IPv6 for EKS cluster " + x.cluster.Name + " (fargatekit)"),
			Tags:           iamTagList(p.tags),
		})
		if isIAM[*iamtypes.EntityAlreadyExistsException](err) {
			return x.updatePolicy(p)(ctx, report)
		}
		if err != nil {
			return fmt.Errorf("create policy %s: %w", p.name, err)
		}
		return nil
	}
}

// maxPolicyVersions is IAM's limit of versions per managed policy.
const maxPolicyVersions = 5

func (x *executor) updatePolicy(p *desiredPolicy) runFunc {
	return func(ctx context.Context, _ plan.Reporter) error {
		versions, err := observe.PolicyVersions(ctx, x.c.IAM, p.arn)
		if err != nil {
			return fmt.Errorf("list versions of policy %s: %w", p.arn, err)
		}
		if len(versions) >= maxPolicyVersions {
			// Make room: delete the oldest version that is not the default.
			var oldest *iamtypes.PolicyVersion
			for i, v := range versions {
				if v.IsDefaultVersion || v.CreateDate == nil {
					continue
				}
				if oldest == nil || v.CreateDate.Before(*oldest.CreateDate) {
					oldest = &versions[i]
				}
			}
			if oldest != nil {
				if _, err := x.c.IAM.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(p.arn), VersionId: oldest.VersionId}); err != nil {
					return fmt.Errorf("delete version %s of policy %s: %w", aws.ToString(oldest.VersionId), p.arn, err)
				}
			}
		}
		if _, err := x.c.IAM.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{
			PolicyArn: aws.String(p.arn), PolicyDocument: aws.String(p.doc.String()), SetAsDefault: true,
		}); err != nil {
			return fmt.Errorf("add a version to policy %s: %w", p.arn, err)
		}
		return nil
	}
}

// ErrChangedSincePlan is returned (wrapped) by a change whose resource
// another writer changed between Plan and Apply in a way the plan did not
// allow for. Plan again.
var ErrChangedSincePlan = errors.New("changed since the plan was made; plan again")

// applyServiceAccount creates the ServiceAccount, or merge-patches its
// annotations and labels. The annotation is checked again against what the
// plan saw, and the patch carries the resourceVersion read, so that a
// concurrent writer is never overwritten silently: on a conflict the
// ServiceAccount is read and checked again (retry.RetryOnConflict).
//
// full holds every annotation the spec wants (for a create), ann those to
// set on an existing ServiceAccount.
func (x *executor) applyServiceAccount(ref ServiceAccountRef, full, ann, labels map[string]string, planned string, override bool) runFunc {
	return func(ctx context.Context, _ plan.Reporter) error {
		sas := x.c.Kube.CoreV1().ServiceAccounts(ref.Namespace)
		want := ann[AnnotationRoleARN]
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			sa, err := observe.ServiceAccount(ctx, x.c.Kube, ref.Namespace, ref.Name)
			if apierrors.IsNotFound(err) {
				_, err = sas.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
					Name: ref.Name, Namespace: ref.Namespace, Annotations: full,
					Labels: map[string]string{LabelManagedBy: ManagedBy},
				}}, metav1.CreateOptions{})
				if apierrors.IsAlreadyExists(err) {
					// Created concurrently: read it and check it again.
					return apierrors.NewConflict(schema.GroupResource{Resource: "serviceaccounts"}, ref.Name, err)
				}
				return err
			}
			if err != nil {
				return err
			}
			if cur := sa.Annotations[AnnotationRoleARN]; want != "" && cur != "" && cur != want && cur != planned {
				return fmt.Errorf("annotation %s is now %s (the plan saw %q): %w", AnnotationRoleARN, cur, planned, ErrChangedSincePlan)
			} else if want != "" && cur != "" && cur != want && !override {
				return fmt.Errorf("annotation %s is %s: %w", AnnotationRoleARN, cur, ErrChangedSincePlan)
			}
			setLabels := map[string]string{}
			for k, v := range labels {
				if _, ok := sa.Labels[k]; !ok || k != LabelManagedBy {
					setLabels[k] = v
				}
			}
			meta := map[string]any{"resourceVersion": sa.ResourceVersion}
			if len(ann) > 0 {
				meta["annotations"] = ann
			}
			if len(setLabels) > 0 {
				meta["labels"] = setLabels
			}
			patch, err := json.Marshal(map[string]any{"metadata": meta})
			if err != nil {
				return err
			}
			_, err = sas.Patch(ctx, ref.Name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: ManagedBy})
			return err
		})
		if err != nil {
			return fmt.Errorf("ServiceAccount %s: %w", ref, err)
		}
		return nil
	}
}

// restart restarts a workload's rollout the way kubectl rollout restart
// does: a new pod-template annotation kubectl.kubernetes.io/restartedAt.
func (x *executor) restart(w Workload) runFunc {
	return func(ctx context.Context, _ plan.Reporter) error {
		patch, err := json.Marshal(map[string]any{"spec": map[string]any{"template": map[string]any{"metadata": map[string]any{
			"annotations": map[string]string{AnnotationRestartedAt: x.o.Now().UTC().Format(time.RFC3339)},
		}}}})
		if err != nil {
			return err
		}
		apps := x.c.Kube.AppsV1()
		opts := metav1.PatchOptions{FieldManager: ManagedBy}
		switch w.Kind {
		case "Deployment":
			_, err = apps.Deployments(w.Namespace).Patch(ctx, w.Name, types.StrategicMergePatchType, patch, opts)
		case "StatefulSet":
			_, err = apps.StatefulSets(w.Namespace).Patch(ctx, w.Name, types.StrategicMergePatchType, patch, opts)
		case "DaemonSet":
			_, err = apps.DaemonSets(w.Namespace).Patch(ctx, w.Name, types.StrategicMergePatchType, patch, opts)
		default:
			return fmt.Errorf("restart %s/%s: unknown kind %s", w.Namespace, w.Name, w.Kind)
		}
		if apierrors.IsNotFound(err) {
			x.o.Logger.Info("irsa: workload to restart is gone", zap.String("kind", w.Kind), zap.String("namespace", w.Namespace), zap.String("name", w.Name))
			return nil
		}
		if err != nil {
			return fmt.Errorf("restart %s %s/%s: %w", w.Kind, w.Namespace, w.Name, err)
		}
		return nil
	}
}

// addonRetries bounds the retries of an add-on call that EKS refuses while
// a new role propagates through IAM or while another update runs.
const addonRetries = 12

// setAddonRole sets the add-on's serviceAccountRoleArn with UpdateAddon (or,
// with recreate, by deleting the add-on, keeping its Kubernetes objects, and
// creating it again), then waits for the add-on to be ACTIVE.
func (x *executor) setAddonRole(name, roleARN string, observed Addon, recreate bool) runFunc {
	return func(ctx context.Context, report plan.Reporter) error {
		ctx, cancel := context.WithTimeout(ctx, x.o.AddonTimeout)
		defer cancel()
		if recreate {
			if err := x.recreateAddon(ctx, name, roleARN, observed, report); err != nil {
				return err
			}
		} else {
			var update *ekstypes.Update
			err := x.retryAddon(ctx, func() error {
				var err error
				update, err = ops.AddonUpdate(ctx, x.c.EKS, &eks.UpdateAddonInput{
					ClusterName: aws.String(x.cluster.Name), AddonName: aws.String(name),
					ServiceAccountRoleArn: aws.String(roleARN),
					ResolveConflicts:      ekstypes.ResolveConflictsPreserve,
				})
				return err
			})
			if err != nil {
				return fmt.Errorf("update add-on %s: %w", name, err)
			}
			if update != nil && update.Id != nil {
				if err := x.waitUpdate(ctx, name, aws.ToString(update.Id), report); err != nil {
					return err
				}
			}
		}
		return x.waitAddonActive(ctx, name, report)
	}
}

// retryAddon calls f until it succeeds, retrying the errors EKS gives while
// a new role propagates (InvalidParameterException) or another operation
// on the add-on runs (ResourceInUseException), at most addonRetries times.
func (x *executor) retryAddon(ctx context.Context, f func() error) error {
	for attempt := 1; ; attempt++ {
		err := f()
		var inval *ekstypes.InvalidParameterException
		var inUse *ekstypes.ResourceInUseException
		if err == nil || attempt >= addonRetries || !(errors.As(err, &inval) || errors.As(err, &inUse)) {
			return err
		}
		x.o.Logger.Info("irsa: add-on call refused, retrying", zap.Int("attempt", attempt), zap.Error(err))
		if err := ops.Sleep(ctx, x.o.PollInterval); err != nil {
			return err
		}
	}
}

// waitUpdate polls DescribeUpdate until the update is Successful, and stops
// at once when it Failed or was Cancelled.
func (x *executor) waitUpdate(ctx context.Context, name, id string, report plan.Reporter) error {
	err := ops.WaitUpdate(ctx, x.c.EKS, x.cluster.Name, name, id, ops.WaitOptions{
		Poll: x.o.PollInterval, MaxPoll: x.o.PollInterval,
		Report: func(state string) { report("update " + state) },
	})
	if err != nil {
		return fmt.Errorf("add-on %s: %w", name, err)
	}
	return nil
}

// addonWait are the options of the add-on waits: polls from PollInterval
// up to six times it, until the context's deadline (AddonTimeout).
func (x *executor) addonWait(ctx context.Context, report plan.Reporter) ops.WaitOptions {
	remaining := x.o.AddonTimeout
	if dl, ok := ctx.Deadline(); ok {
		remaining = time.Until(dl)
	}
	return ops.WaitOptions{Poll: x.o.PollInterval, MaxPoll: 6 * x.o.PollInterval, Timeout: remaining, Report: report}
}

// waitAddonActive waits for the add-on to be ACTIVE, and stops at once on a
// failed state. A DEGRADED add-on (its pods not ready yet) is waited for;
// when it stays DEGRADED until the timeout, the error gives its health
// issues.
func (x *executor) waitAddonActive(ctx context.Context, name string, report plan.Reporter) error {
	if err := ops.WaitAddonActive(ctx, x.c.EKS, x.cluster.Name, name, x.addonWait(ctx, report)); err != nil {
		return fmt.Errorf("wait for add-on %s to be ACTIVE: %w", name, err)
	}
	return nil
}

// recreateAddon deletes the add-on, keeping its Kubernetes objects
// (preserve), waits until it is gone, and creates it again with the same
// version and configuration and the new role.
func (x *executor) recreateAddon(ctx context.Context, name, roleARN string, observed Addon, report plan.Reporter) error {
	report("DELETING")
	// One deleted already (a resumed apply) is fine.
	if err := ops.AddonDelete(ctx, x.c.EKS, x.cluster.Name, name, true); err != nil {
		return fmt.Errorf("delete add-on %s: %w", name, err)
	}
	// DELETING is reported already; DELETE_FAILED stops the wait at once.
	if err := ops.WaitAddonGone(ctx, x.c.EKS, x.cluster.Name, name, x.addonWait(ctx, nil)); err != nil {
		return fmt.Errorf("wait for add-on %s to be deleted: %w", name, err)
	}
	report("CREATING")
	in := &eks.CreateAddonInput{
		ClusterName: aws.String(x.cluster.Name), AddonName: aws.String(name),
		ServiceAccountRoleArn: aws.String(roleARN),
		ResolveConflicts:      ekstypes.ResolveConflictsOverwrite,
	}
	if observed.Version != "" {
		in.AddonVersion = aws.String(observed.Version)
	}
	if observed.ConfigurationValues != "" {
		in.ConfigurationValues = aws.String(observed.ConfigurationValues)
	}
	var exists bool
	err := x.retryAddon(ctx, func() error {
		var err error
		exists, err = ops.AddonCreate(ctx, x.c.EKS, in)
		return err
	})
	if err != nil {
		return fmt.Errorf("create add-on %s: %w", name, err)
	}
	if exists {
		// Created since it was deleted: by an earlier attempt whose answer
		// was lost (then it has the new role), or by someone else.
		a, err := observe.Addon(ctx, x.c.EKS, x.cluster.Name, name)
		if err != nil {
			return fmt.Errorf("create add-on %s: it exists already, and reading it failed: %w", name, err)
		}
		if a != nil && aws.ToString(a.ServiceAccountRoleArn) != roleARN {
			got := aws.ToString(a.ServiceAccountRoleArn)
			return fmt.Errorf("create add-on %s: it was created again since it was deleted, with service account role %q: %w", name, got, ErrChangedSincePlan)
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
