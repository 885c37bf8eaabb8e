package awsproxy

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
	"sync"
	"time"
)

// state is everything the proxy emulates. It is guarded by Proxy.smu.
type state struct {
	clusters map[string]*cluster  // by cluster ARN
	profiles map[string]*profile  // by Fargate profile ARN
	roles    map[string]time.Time // IAM role ARN → when CreateRole answered
	timers   map[*pending]struct{}
}

func newState() *state {
	return &state{
		clusters: map[string]*cluster{},
		profiles: map[string]*profile{},
		roles:    map[string]time.Time{},
		timers:   map[*pending]struct{}{},
	}
}

func (s *state) stopTimers() {
	for t := range s.timers {
		t.timer.Stop()
	}
	s.timers = map[*pending]struct{}{}
}

// pending is a delayed forward of a delete to moto. It runs once, when its
// timer fires or when a request finds it overdue, whichever comes first.
type pending struct {
	due   time.Time
	once  sync.Once
	timer *time.Timer
	run   func()
}

func (d *pending) fire() { d.once.Do(d.run) }

func (d *pending) overdue(now time.Time) bool { return !now.Before(d.due) }

// schedule runs fn after delay unless the proxy is reset or closed first.
// The caller holds p.smu.
func (p *Proxy) scheduleLocked(delay time.Duration, fn func()) *pending {
	gen := p.gen
	d := &pending{due: time.Now().Add(delay)}
	d.run = func() {
		p.smu.Lock()
		stale := p.gen != gen || p.closed
		delete(p.st.timers, d)
		p.smu.Unlock()
		if !stale {
			fn()
		}
	}
	d.timer = time.AfterFunc(delay, d.fire)
	p.st.timers[d] = struct{}{}
	return d
}

// cluster is the proxy's overlay of one moto cluster.
type cluster struct {
	arn, name, region, account, partition string

	created   time.Time
	createFor time.Duration
	deleting  *pending

	authMode           string
	bootstrap          bool
	deletionProtection bool
	encryption         []any // set by AssociateEncryptionConfig
	version            string
	platformVersion    string
	vpcID              string         // looked up from the subnets at create
	issuer             string         // identity.oidc.issuer, see issuerURL
	vpcConfig          map[string]any // resourcesVpcConfig after updates; nil = moto's
	logging            map[string]any // logging after updates; nil = moto's
	k8sNetwork         map[string]any // kubernetesNetworkConfig after updates; nil = moto's
	fields             map[string]any // other configuration moto does not keep

	updates   []*update
	addons    map[string]*addon
	entries   map[string]*accessEntry
	pods      map[string]*podIdentity
	profileOp string // Fargate profile whose create is in flight
}

func newCluster(arn string) *cluster {
	partition, region, account, name := splitARN(arn)
	return &cluster{
		arn: arn, name: strings.TrimPrefix(name, "cluster/"), region: region, account: account, partition: partition,
		authMode:  "CONFIG_MAP",
		bootstrap: true,
		fields:    map[string]any{},
		addons:    map[string]*addon{},
		entries:   map[string]*accessEntry{},
		pods:      map[string]*podIdentity{},
	}
}

// splitARN returns partition, region, account and resource of an ARN.
func splitARN(arn string) (partition, region, account, resource string) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return "aws", "", "", ""
	}
	return parts[1], parts[3], parts[4], parts[5]
}

// status is the cluster status at now.
func (c *cluster) status(now time.Time) string {
	switch {
	case c.deleting != nil:
		return "DELETING"
	case now.Before(c.created.Add(c.createFor)):
		return "CREATING"
	case c.updateInProgress(now) != nil:
		return "UPDATING"
	}
	return "ACTIVE"
}

// updateInProgress returns the cluster-level update in progress, if any.
func (c *cluster) updateInProgress(now time.Time) *update {
	for _, u := range c.updates {
		if u.addon == "" && u.status(now) == "InProgress" {
			return u
		}
	}
	return nil
}

// sweep drops add-ons whose delete has completed.
func (c *cluster) sweep(now time.Time) {
	for name, a := range c.addons {
		if a.gone(now) {
			delete(c.addons, name)
		}
	}
}

func (c *cluster) arnFor(resource string) string {
	return "arn:" + c.partition + ":eks:" + c.region + ":" + c.account + ":" + resource
}

// profile is the proxy's overlay of one moto Fargate profile.
type profile struct {
	arn, name, clusterARN string
	tags                  map[string]string // overlay: moto cannot tag profiles
	created               time.Time
	createFor             time.Duration
	deleting              *pending
}

func (f *profile) status(now time.Time) string {
	switch {
	case f.deleting != nil:
		return "DELETING"
	case now.Before(f.created.Add(f.createFor)):
		return "CREATING"
	}
	return "ACTIVE"
}

// busyProfile returns the name and status of a profile of the cluster that
// is CREATING or DELETING, or whose create is in flight.
func (s *state) busyProfile(c *cluster, now time.Time) (name, status string) {
	if c.profileOp != "" {
		return c.profileOp, "CREATING"
	}
	var names []string
	byName := map[string]*profile{}
	for _, f := range s.profiles {
		if f.clusterARN == c.arn {
			names = append(names, f.name)
			byName[f.name] = f
		}
	}
	sort.Strings(names)
	for _, n := range names {
		if st := byName[n].status(now); st != "ACTIVE" {
			return n, st
		}
	}
	return "", ""
}

// forgetCluster drops the overlay of a cluster and its profiles.
func (s *state) forgetCluster(arn string) {
	delete(s.clusters, arn)
	for k, f := range s.profiles {
		if f.clusterARN == arn {
			delete(s.profiles, k)
		}
	}
}

// update is an asynchronous EKS update (UpdateClusterConfig, UpdateAddon,
// ...), as DescribeUpdate reports it.
type update struct {
	id      string
	typ     string
	params  []updateParam
	created time.Time
	dur     time.Duration
	addon   string
}

type updateParam struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

func (u *update) status(now time.Time) string {
	if now.Before(u.created.Add(u.dur)) {
		return "InProgress"
	}
	return "Successful"
}

func (u *update) render(now time.Time) map[string]any {
	params := u.params
	if params == nil {
		params = []updateParam{}
	}
	return map[string]any{
		"id":        u.id,
		"status":    u.status(now),
		"type":      u.typ,
		"params":    params,
		"createdAt": epoch(u.created),
		"errors":    []any{},
	}
}

func (c *cluster) addUpdate(typ string, dur time.Duration, addon string, params ...updateParam) *update {
	u := &update{id: newUUID(), typ: typ, params: params, created: time.Now(), dur: dur, addon: addon}
	c.updates = append(c.updates, u)
	return u
}

// epoch is the REST-JSON timestamp format: seconds since the epoch.
func epoch(t time.Time) float64 {
	return float64(t.UnixMilli()) / 1000
}

// issuerURL is the OpenID Connect issuer of the cluster with the given ARN
// created at the time created (in any fixed format): moto gives every
// cluster the same issuer, EKS one per cluster. The ID is, as EKS's, 32
// upper-case hexadecimal characters, derived from the ARN and the creation
// time, so that it stays the same for the cluster's life and changes when a
// cluster of the same name is created again.
func issuerURL(arn, region, created string) string {
	sum := sha256.Sum256([]byte(arn + created))
	return "https://oidc.eks." + region + ".amazonaws.com/id/" + strings.ToUpper(hex.EncodeToString(sum[:16]))
}
