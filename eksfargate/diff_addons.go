package eksfargate

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/fargatekit/fargatekit/internal/ops"
	"github.com/fargatekit/fargatekit/irsa"
	"github.com/fargatekit/fargatekit/plan"
)

// addonView is an addon in plans.
type addonView struct {
	Name                  string `json:"name"`
	Status                string `json:"status,omitempty"`
	Version               string `json:"version,omitempty"`
	ConfigurationValues   any    `json:"configurationValues,omitempty"`
	ServiceAccountRoleARN string `json:"serviceAccountRoleArn,omitempty"`
	ResolveConflicts      string `json:"resolveConflicts,omitempty"`
}

// addonSpec is what Run needs to create or update an addon.
type addonSpec struct {
	name, version, config, roleARN, resolve string
	tags                                    map[string]string
}

// jsonValue parses configuration values for comparison and display; empty
// means an empty object.
func jsonValue(s string) any {
	if strings.TrimSpace(s) == "" {
		return map[string]any{}
	}
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return s
	}
	return v
}

func emptyJSON(v any) bool {
	m, ok := v.(map[string]any)
	return ok && len(m) == 0
}

// addonRoleARN resolves an addon's service-account role: its ARN, or the
// ARN of the IRSA role of spec.irsa.serviceAccounts it names.
func (d *differ) addonRoleARN(a AddonSpec) string {
	if a.ServiceAccountRoleARN != "" || a.ServiceAccountRole == "" {
		return a.ServiceAccountRoleARN
	}
	for _, r := range d.s.IRSA.ServiceAccounts {
		for _, sa := range r.ServiceAccounts() {
			if sa.String() == a.ServiceAccountRole {
				return r.RoleARN(irsa.Cluster{Name: d.s.Name, Region: d.s.Region, AccountID: d.account, Partition: d.partition})
			}
		}
	}
	return ""
}

func liveAddonView(a *ekstypes.Addon) addonView {
	v := addonView{Name: aws.ToString(a.AddonName), Status: string(a.Status), Version: aws.ToString(a.AddonVersion),
		ServiceAccountRoleARN: aws.ToString(a.ServiceAccountRoleArn)}
	if c := jsonValue(aws.ToString(a.ConfigurationValues)); !emptyJSON(c) {
		v.ConfigurationValues = c
	}
	return v
}

// addons plans the managed addons: create them (version: the spec's, else
// the default for the cluster's Kubernetes version), wait for those in
// transition, and update version, configuration values and service-account
// role in place. An addon without a version in the spec keeps the version
// it has.
func (d *differ) addons() {
	for i, a := range d.s.Addons {
		path := fmt.Sprintf("spec.addons[%d]", i)
		id := "eks.addon/" + d.s.Name + "/" + a.Name
		as := addonSpec{name: a.Name, version: a.Version, config: a.ConfigurationValues, roleARN: d.addonRoleARN(a),
			resolve: a.ResolveConflicts, tags: d.ownerTags()}
		deps := append([]string{}, d.clusterIDs...)
		if a.Name == "coredns" {
			deps = append(deps, d.profileIDs...) // CoreDNS pods need a profile to run
		}
		req := reqAddon
		if a.Name == "coredns" {
			req = reqCoreDNSAddon
		}
		live := d.snap.Addons[a.Name]
		if live == nil || live.Status == ekstypes.AddonStatusDeleting {
			if as.version == "" {
				as.version = d.snap.AddonDefaultVersions[a.Name]
			}
			want := addonView{Name: a.Name, Version: as.version, ServiceAccountRoleARN: as.roleARN, ResolveConflicts: as.resolve}
			if c := jsonValue(as.config); !emptyJSON(c) {
				want.ConfigurationValues = c
			}
			if want.Version == "" {
				want.Version = "(EKS default)"
			}
			ch := plan.Change{ID: id, Kind: KindAddon, Resource: d.s.Name + "/" + a.Name, Action: plan.Create, After: want,
				DependsOn: deps, Requirement: req, Summary: "version " + want.Version}
			waitGone := live != nil
			d.addonIDs[a.Name] = d.add(step{Change: ch, run: func(ctx context.Context, x *executor, r plan.Reporter) error {
				if waitGone {
					if err := x.waitAddonGone(ctx, as.name, r); err != nil {
						return err
					}
				}
				return x.createAddon(ctx, as, r)
			}})
			continue
		}
		before := liveAddonView(live)
		if live.Status == ekstypes.AddonStatusCreateFailed {
			if !d.owned(live.Tags) && !d.mayChangeUnowned(path, "the addon "+a.Name, "be deleted and created again (it is CREATE_FAILED)") {
				continue
			}
			if as.version == "" {
				as.version = before.Version
			}
			want := addonView{Name: a.Name, Version: as.version, ServiceAccountRoleARN: as.roleARN, ResolveConflicts: as.resolve, ConfigurationValues: jsonValue(as.config)}
			d.addonIDs[a.Name] = d.add(step{Change: plan.Change{ID: id, Kind: KindAddon, Resource: d.s.Name + "/" + a.Name, Action: plan.Replace,
				Summary: "CREATE_FAILED (" + ops.AddonHealth(live.Health) + "): delete and create again", Before: before, After: want,
				DependsOn: deps, Requirement: req,
			}, run: func(ctx context.Context, x *executor, r plan.Reporter) error {
				if err := x.deleteAddon(ctx, as.name, r); err != nil {
					return err
				}
				return x.createAddon(ctx, as, r)
			}})
			continue
		}
		var waitID string
		if live.Status == ekstypes.AddonStatusCreating || live.Status == ekstypes.AddonStatusUpdating {
			waitID = d.add(step{Change: plan.Change{ID: id + "#wait", Kind: KindAddon, Resource: d.s.Name + "/" + a.Name, Action: plan.Update,
				Summary: "wait until ACTIVE (now " + string(live.Status) + ")", Before: addonView{Name: a.Name, Status: string(live.Status)},
				After: addonView{Name: a.Name, Status: "ACTIVE"}, DependsOn: d.clusterIDs, Requirement: req,
			}, run: func(ctx context.Context, x *executor, r plan.Reporter) error {
				return x.waitAddon(ctx, as.name, r)
			}})
		}
		want := before
		want.Status = ""
		before.Status = ""
		var what []string
		upd := addonSpec{name: a.Name, resolve: as.resolve}
		if as.version != "" && as.version != before.Version {
			want.Version, upd.version = as.version, as.version
			what = append(what, "version "+before.Version+" → "+as.version)
		}
		if wc := jsonValue(as.config); !reflect.DeepEqual(wc, jsonValue(aws.ToString(live.ConfigurationValues))) {
			want.ConfigurationValues = wc
			if emptyJSON(wc) {
				want.ConfigurationValues = nil
			}
			upd.config = as.config
			if upd.config == "" {
				upd.config = "{}"
			}
			what = append(what, "configuration values")
		}
		if as.roleARN != "" && as.roleARN != before.ServiceAccountRoleARN {
			want.ServiceAccountRoleARN, upd.roleARN = as.roleARN, as.roleARN
			what = append(what, "service account role "+as.roleARN)
		}
		if live.Status == ekstypes.AddonStatusUpdateFailed && len(what) == 0 {
			upd.version = before.Version
			what = append(what, "retry the failed update")
		}
		if set, unset := tagDrift(live.Tags, as.tags); len(set) > 0 || len(unset) > 0 {
			addonARN := aws.ToString(live.AddonArn)
			tb, ta := tagViews(live.Tags, set, unset)
			tch := plan.Change{ID: id + "/tags", Kind: KindAddon, Resource: d.s.Name + "/" + a.Name, Action: plan.Update,
				Summary: tagSummary(set, unset), Before: tb, After: ta, Requirement: req, DependsOn: append([]string{}, d.clusterIDs...)}
			if waitID != "" {
				tch.DependsOn = append(tch.DependsOn, waitID)
			}
			d.add(step{Change: tch, run: func(ctx context.Context, x *executor, r plan.Reporter) error {
				return x.retagEKS(ctx, addonARN, set, unset)
			}})
		}
		ch := plan.Change{ID: id, Kind: KindAddon, Resource: d.s.Name + "/" + a.Name, Before: before, After: want, Requirement: req}
		if len(what) == 0 {
			ch.Action = plan.NoOp
			if waitID != "" {
				d.addonIDs[a.Name] = waitID
			}
			d.add(step{Change: ch})
			continue
		}
		ch.Action, ch.Summary = plan.Update, strings.Join(what, "; ")
		ch.DependsOn = deps
		if waitID != "" {
			ch.DependsOn = append(ch.DependsOn, waitID)
		}
		d.addonIDs[a.Name] = d.add(step{Change: ch, run: func(ctx context.Context, x *executor, r plan.Reporter) error {
			return x.updateAddon(ctx, upd, r)
		}})
	}
}
