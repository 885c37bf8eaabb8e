package eksfargate

import (
	"context"
	"fmt"
	"maps"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/fargatekit/fargatekit/plan"
)

// profileView is a Fargate profile in plans.
type profileView struct {
	Name                string            `json:"name"`
	Status              string            `json:"status,omitempty"`
	PodExecutionRoleARN string            `json:"podExecutionRoleArn"`
	Subnets             []string          `json:"subnets"`
	Selectors           []selectorView    `json:"selectors"`
	Tags                map[string]string `json:"tags,omitempty"`
}

type selectorView struct {
	Namespace string            `json:"namespace"`
	Labels    map[string]string `json:"labels,omitempty"`
}

func (s selectorView) key() string { return s.Namespace + "|" + labelText(s.Labels) }

func sortSelectors(s []selectorView) []selectorView {
	sort.Slice(s, func(i, j int) bool { return s[i].key() < s[j].key() })
	return s
}

// replacementSuffixLen is the length of the hex suffix of a replacement
// profile's name.
const replacementSuffixLen = 8

// replacementBase is the part of a spec profile name kept in the names of
// its replacements, so that NAME-xxxxxxxx fits EKS's 100 characters.
func replacementBase(name string) string {
	if max := maxProfileNameLen - replacementSuffixLen - 1; len(name) > max {
		return name[:max]
	}
	return name
}

// ReplacementProfileName is the name of the profile that replaces the spec
// profile name when its selectors, subnets or role change (a profile is
// immutable): the name, cut to 91 characters, then '-' and 8 hex digits of
// a hash of the new role, subnets and selectors. The name is deterministic,
// so a replacement interrupted half-way is found and finished by the next
// apply; and it differs from the old profile's name, so the new profile is
// created (and ACTIVE) before the old one is deleted and pods are never
// without a profile.
func ReplacementProfileName(name, podExecutionRoleARN string, subnets []string, selectors []Selector) string {
	parts := []string{podExecutionRoleARN}
	parts = append(parts, sortedCopy(subnets)...)
	var sels []selectorView
	for _, s := range selectors {
		sels = append(sels, selectorView{s.Namespace, s.Labels})
	}
	for _, s := range sortSelectors(sels) {
		parts = append(parts, s.key())
	}
	return replacementBase(name) + "-" + shortHash(replacementSuffixLen, parts...)
}

// profileBelongsTo reports whether a live profile is the spec profile name
// or one of its replacements.
func profileBelongsTo(name, live string) bool {
	if live == name {
		return true
	}
	base := replacementBase(name) + "-"
	if !strings.HasPrefix(live, base) || len(live) != len(base)+replacementSuffixLen {
		return false
	}
	for _, c := range live[len(base):] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func liveProfileView(p ekstypes.FargateProfile, tagKeys map[string]string) profileView {
	v := profileView{
		Name: aws.ToString(p.FargateProfileName), Status: string(p.Status),
		PodExecutionRoleARN: aws.ToString(p.PodExecutionRoleArn), Subnets: sortedCopy(p.Subnets),
		Tags: subsetTags(p.Tags, tagKeys),
	}
	for _, s := range p.Selectors {
		l := s.Labels
		if len(l) == 0 {
			l = nil
		}
		v.Selectors = append(v.Selectors, selectorView{aws.ToString(s.Namespace), l})
	}
	sortSelectors(v.Selectors)
	if v.Subnets == nil {
		v.Subnets = []string{}
	}
	return v
}

// profileMatches reports whether a live profile has the desired role,
// subnets and selectors (the immutable fields).
func profileMatches(live, want profileView) bool {
	if live.PodExecutionRoleARN != want.PodExecutionRoleARN || !sameSet(live.Subnets, want.Subnets) || len(live.Selectors) != len(want.Selectors) {
		return false
	}
	for i := range live.Selectors {
		if live.Selectors[i].Namespace != want.Selectors[i].Namespace || !maps.Equal(live.Selectors[i].Labels, want.Selectors[i].Labels) {
			return false
		}
	}
	return true
}

// profileSpec is what Run needs to create a profile.
type profileSpec struct {
	name       string
	roleARN    string
	roleName   string
	subnetKeys []string
	selectors  []selectorView
	tags       map[string]string
}

func (d *differ) profiles() {
	serial := "eks.fargate-profile/" + d.s.Name
	deps := append([]string{}, d.clusterIDs...)
	deps = append(deps, d.podRoleIDs...)
	deps = append(deps, d.privateRouteIDs...)
	for _, id := range d.subnetIDs {
		if strings.Contains(id, "/private-") {
			deps = append(deps, id)
		}
	}
	byName := map[string][]ekstypes.FargateProfile{}
	for _, p := range d.snap.FargateProfiles {
		for _, sp := range d.s.FargateProfiles {
			if profileBelongsTo(sp.Name, aws.ToString(p.FargateProfileName)) {
				byName[sp.Name] = append(byName[sp.Name], p)
				break
			}
		}
	}
	for i, sp := range d.s.FargateProfiles {
		path := fmt.Sprintf("spec.fargateProfiles[%d]", i)
		ps := profileSpec{roleARN: sp.PodExecutionRoleARN, roleName: roleName(d.s.PodExecutionRole),
			tags: d.ownerTags(sp.Tags)}
		if ps.roleARN == "" {
			ps.roleARN = d.podRoleARN
		}
		if len(sp.Subnets) > 0 {
			for _, s := range sp.Subnets {
				ps.subnetKeys = append(ps.subnetKeys, "subnet/"+s)
				if d.known["subnet/"+s] == "" {
					d.known["subnet/"+s] = s
				}
			}
		} else {
			ps.subnetKeys = append(ps.subnetKeys, d.privateSubnets...)
		}
		want := profileView{Name: sp.Name, PodExecutionRoleARN: ps.roleARN, Subnets: []string{}, Tags: ps.tags}
		for _, k := range ps.subnetKeys {
			want.Subnets = append(want.Subnets, d.ref(k))
		}
		sort.Strings(want.Subnets)
		for _, s := range sp.Selectors {
			l := maps.Clone(s.Labels)
			if len(l) == 0 {
				l = nil
			}
			want.Selectors = append(want.Selectors, selectorView{s.Namespace, l})
		}
		sortSelectors(want.Selectors)
		ps.selectors = want.Selectors

		id := "eks.fargate-profile/" + d.s.Name + "/" + sp.Name
		var match *ekstypes.FargateProfile
		var olds []ekstypes.FargateProfile
		taken := map[string]bool{}
		for _, lp := range byName[sp.Name] {
			taken[aws.ToString(lp.FargateProfileName)] = true
			lv := liveProfileView(lp, ps.tags)
			usable := lp.Status == ekstypes.FargateProfileStatusActive || lp.Status == ekstypes.FargateProfileStatusCreating
			if match == nil && usable && profileMatches(lv, want) {
				m := lp
				match = &m
				continue
			}
			olds = append(olds, lp)
		}
		ch := plan.Change{ID: id, Kind: KindFargateProfile, DependsOn: deps, Serial: serial, Requirement: reqProfile}
		var mainID string
		switch {
		case match != nil:
			name := aws.ToString(match.FargateProfileName)
			before := liveProfileView(*match, ps.tags)
			want.Name = name
			wantActive := want
			wantActive.Status = string(ekstypes.FargateProfileStatusActive)
			ch.Resource, ch.Before, ch.After = d.s.Name+"/"+name, before, wantActive
			if match.Status == ekstypes.FargateProfileStatusCreating {
				ch.Action, ch.Summary = plan.Update, "wait until ACTIVE (now CREATING)"
				mainID = d.add(step{Change: ch, run: func(ctx context.Context, x *executor, r plan.Reporter) error {
					return x.waitProfile(ctx, name, r)
				}})
				d.profileIDs = append(d.profileIDs, mainID)
			} else {
				ch.Action = plan.NoOp
				ch.DependsOn, ch.Serial = nil, ""
				mainID = d.add(step{Change: ch})
			}
			if set, unset := tagDrift(match.Tags, ps.tags); len(set) > 0 || len(unset) > 0 {
				profileARN := aws.ToString(match.FargateProfileArn)
				tb, ta := tagViews(match.Tags, set, unset)
				tch := plan.Change{ID: id + "/tags", Kind: KindFargateProfile, Resource: d.s.Name + "/" + name, Action: plan.Update,
					Summary: tagSummary(set, unset), Before: tb, After: ta, Requirement: reqProfile}
				if match.Status == ekstypes.FargateProfileStatusCreating {
					tch.DependsOn = []string{mainID}
				}
				d.add(step{Change: tch, run: func(ctx context.Context, x *executor, r plan.Reporter) error {
					return x.retagEKS(ctx, profileARN, set, unset)
				}})
			}
			for _, old := range olds {
				d.deleteOldProfile(path, old, ps.tags, serial, []string{mainID}, "left over from a replacement of "+sp.Name)
			}
		case len(olds) == 0:
			ps.name = sp.Name
			ch.Resource, ch.Action, ch.After = d.s.Name+"/"+sp.Name, plan.Create, want
			ch.Summary = "select " + selectorsText(want.Selectors)
			d.profileIDs = append(d.profileIDs, d.add(step{Change: ch, run: func(ctx context.Context, x *executor, r plan.Reporter) error {
				return x.createProfile(ctx, ps, r)
			}}))
		default:
			subnetsForHash := want.Subnets
			ps.name = sp.Name
			if taken[sp.Name] {
				ps.name = ReplacementProfileName(sp.Name, ps.roleARN, subnetsForHash, sp.Selectors)
			}
			want.Name = ps.name
			want.Status = string(ekstypes.FargateProfileStatusActive)
			primary := olds[0]
			for _, o := range olds {
				if o.Status == ekstypes.FargateProfileStatusActive {
					primary = o
					break
				}
			}
			before := liveProfileView(primary, ps.tags)
			var oldNames []string
			allowed := true
			for _, o := range olds {
				on := aws.ToString(o.FargateProfileName)
				oldNames = append(oldNames, on)
				if !d.owned(o.Tags) && !d.mayChangeUnowned(path, "the Fargate profile "+on, "be deleted and replaced by "+ps.name) {
					allowed = false
				}
			}
			if !allowed {
				continue
			}
			ch.Resource = d.s.Name + "/" + strings.Join(oldNames, ",") + " → " + ps.name
			ch.Action, ch.Before, ch.After = plan.Replace, before, want
			ch.Summary = fmt.Sprintf("%s (a profile is immutable): create %s, then delete %s", profileChangeText(before, want), ps.name, strings.Join(oldNames, ", "))
			d.profileIDs = append(d.profileIDs, d.add(step{Change: ch, run: func(ctx context.Context, x *executor, r plan.Reporter) error {
				if err := x.createProfile(ctx, ps, r); err != nil {
					return err
				}
				for _, on := range oldNames {
					if err := x.deleteProfile(ctx, on, r); err != nil {
						return err
					}
				}
				return nil
			}}))
		}
	}
}

// deleteOldProfile plans deleting a profile left over from an interrupted
// replacement (or waits for one already DELETING).
func (d *differ) deleteOldProfile(path string, p ekstypes.FargateProfile, tagKeys map[string]string, serial string, deps []string, why string) {
	name := aws.ToString(p.FargateProfileName)
	if !d.owned(p.Tags) && !d.mayChangeUnowned(path, "the Fargate profile "+name, "be deleted ("+why+")") {
		return
	}
	ch := plan.Change{ID: "eks.fargate-profile/" + d.s.Name + "/" + name + "#delete", Kind: KindFargateProfile,
		Resource: d.s.Name + "/" + name, Action: plan.Delete, Summary: why, Before: liveProfileView(p, tagKeys),
		Requirement: reqProfile, DependsOn: deps, Serial: serial, Destructive: true}
	d.profileIDs = append(d.profileIDs, d.add(step{Change: ch, run: func(ctx context.Context, x *executor, r plan.Reporter) error {
		return x.deleteProfile(ctx, name, r)
	}}))
}

func selectorsText(s []selectorView) string {
	var parts []string
	for _, sel := range s {
		t := sel.Namespace
		if len(sel.Labels) > 0 {
			t += " {" + strings.TrimPrefix(labelText(sel.Labels), ", labels ") + "}"
		}
		parts = append(parts, t)
	}
	return strings.Join(parts, ", ")
}

// profileChangeText names the immutable fields that differ.
func profileChangeText(before, after profileView) string {
	var what []string
	if len(before.Selectors) != len(after.Selectors) || selectorsText(before.Selectors) != selectorsText(after.Selectors) {
		what = append(what, "selectors")
	}
	if !sameSet(before.Subnets, after.Subnets) {
		what = append(what, "subnets")
	}
	if before.PodExecutionRoleARN != after.PodExecutionRoleARN {
		what = append(what, "pod execution role")
	}
	if before.Status != "" && before.Status != string(ekstypes.FargateProfileStatusActive) {
		what = append(what, "status "+before.Status)
	}
	if len(what) == 0 {
		return "replace"
	}
	return strings.Join(what, ", ") + " changed"
}
