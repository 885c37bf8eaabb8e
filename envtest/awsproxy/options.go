package awsproxy

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"go.uber.org/zap"
)

// Options configure a Proxy. The zero value works: no delays, no latency,
// seed 0, the built-in Kubernetes version and add-on catalogues, no logging.
type Options struct {
	// Delays are how long emulated resources stay in their transitional
	// states (CREATING, DELETING, UPDATING) and how long a new IAM role is
	// invisible to EKS. Zero delays keep moto's behaviour: everything is
	// ACTIVE at once. Change them at run time with Proxy.SetDelays.
	Delays Delays

	// Latency is added to every request before it is handled, to make
	// benchmarks and timeouts realistic. Zero (or negative) adds nothing.
	Latency time.Duration

	// Seed seeds the random source that decides which requests a Fault with
	// a Rate below 1 hits. Equal seeds give equal decisions for equal
	// request sequences. Reset re-seeds.
	Seed int64

	// ClusterVersions is the Kubernetes version catalogue served by
	// DescribeClusterVersions and used to validate CreateCluster and
	// UpdateClusterVersion. Nil means DefaultClusterVersions(); an empty,
	// non-nil slice means no catalogue (any version is accepted and
	// DescribeClusterVersions returns nothing). At most one entry may be
	// the default.
	ClusterVersions []ClusterVersion

	// Addons is the add-on catalogue served by DescribeAddonVersions and
	// DescribeAddonConfiguration and used to validate CreateAddon and
	// UpdateAddon. Nil means DefaultAddons(). Every add-on may have at most
	// one default version per Kubernetes version.
	Addons []Addon

	// Credentials sign the requests the proxy itself sends to the upstream
	// (lookups such as DescribeCluster and DescribeRouteTables made while
	// checking a request). Nil means the caller's access key ID with a
	// dummy secret, which moto accepts unless its IAM enforcement is on.
	Credentials aws.CredentialsProvider

	// HTTPClient sends requests to the upstream. Nil means a client with its
	// own transport and no timeout beyond the incoming request's context.
	HTTPClient *http.Client

	// MaxCalls bounds how many recent calls Calls returns. Zero means 10000;
	// a negative value turns the call log off (counters still work).
	MaxCalls int

	// Logger receives debug logs of every request and of every emulation
	// decision. Nil means zap.NewNop().
	Logger *zap.Logger
}

// Delays are the durations of emulated state transitions. The zero value
// means no transitions: resources are ACTIVE (or gone) at once, as in moto.
// Negative durations count as zero.
type Delays struct {
	// ClusterCreate is how long a new cluster stays CREATING.
	ClusterCreate time.Duration
	// ClusterDelete is how long a deleted cluster stays DELETING before the
	// delete reaches moto and DescribeCluster returns ResourceNotFound.
	ClusterDelete time.Duration
	// ClusterUpdate is how long a cluster stays UPDATING after
	// UpdateClusterConfig, UpdateClusterVersion or AssociateEncryptionConfig,
	// with its update InProgress.
	ClusterUpdate time.Duration
	// ProfileCreate is how long a new Fargate profile stays CREATING. While
	// it does, other profile creates and deletes on the cluster fail with
	// ResourceInUseException.
	ProfileCreate time.Duration
	// ProfileDelete is how long a deleted Fargate profile stays DELETING.
	ProfileDelete time.Duration
	// AddonCreate is how long a new add-on stays CREATING.
	AddonCreate time.Duration
	// AddonUpdate is how long an updated add-on stays UPDATING, with its
	// update InProgress.
	AddonUpdate time.Duration
	// AddonDelete is how long a deleted add-on stays DELETING.
	AddonDelete time.Duration
	// RolePropagation is how long after CreateRole EKS refuses the role in
	// CreateCluster (roleArn) and CreateFargateProfile (podExecutionRoleArn)
	// with InvalidParameterException, as IAM's eventual consistency does.
	RolePropagation time.Duration
}

// ClusterVersion is one entry of the Kubernetes version catalogue.
type ClusterVersion struct {
	// Version is the minor version, such as "1.35".
	Version string
	// Status is STANDARD_SUPPORT, EXTENDED_SUPPORT or UNSUPPORTED.
	// UNSUPPORTED versions are hidden from DescribeClusterVersions unless
	// asked for, and refused by CreateCluster.
	Status ekstypes.VersionStatus
	// Default marks the version CreateCluster uses when none is given.
	Default bool
	// PlatformVersion is the default EKS platform version, such as "eks.5".
	// Empty means "eks.1".
	PlatformVersion string
	// PatchVersion is the Kubernetes patch version, such as "1.35.1".
	// Empty means Version + ".0".
	PatchVersion string
	// ReleaseDate, EndOfStandardSupport and EndOfExtendedSupport are
	// reported as they are; zero times are left out.
	ReleaseDate, EndOfStandardSupport, EndOfExtendedSupport time.Time
}

// Addon is one add-on of the catalogue.
type Addon struct {
	// Name is the add-on name, such as "coredns".
	Name string
	// Type is the add-on type, such as "networking". Empty means "networking".
	Type string
	// Publisher and Owner default to "eks" and "aws".
	Publisher, Owner string
	// DefaultNamespace defaults to "kube-system".
	DefaultNamespace string
	// ConfigurationSchema is the JSON schema DescribeAddonConfiguration
	// returns. If it is an object schema with "additionalProperties": false,
	// CreateAddon and UpdateAddon refuse configurationValues with other
	// top-level keys, and top-level values of the wrong JSON type. Empty
	// means an open object schema.
	ConfigurationSchema string
	// ServiceAccounts are reported by DescribeAddonConfiguration as pod
	// identity configuration: service account name → recommended managed
	// policy ARNs.
	ServiceAccounts map[string][]string
	// RequiresIAMPermissions is reported by DescribeAddonVersions.
	RequiresIAMPermissions bool
	// ComputeTypes are reported by DescribeAddonVersions, such as "ec2",
	// "fargate".
	ComputeTypes []string
	// Versions are the add-on's versions.
	Versions []AddonVersion
}

// AddonVersion is one version of an add-on.
type AddonVersion struct {
	// Version is the add-on version, such as "v1.12.4-eksbuild.1".
	Version string
	// ClusterVersions are the Kubernetes versions it is compatible with.
	ClusterVersions []string
	// DefaultFor are the Kubernetes versions for which it is the default;
	// each must also be in ClusterVersions.
	DefaultFor []string
}

// WithDelays sets Options.Delays.
func WithDelays(d Delays) func(*Options) { return func(o *Options) { o.Delays = d } }

// WithLatency sets Options.Latency.
func WithLatency(d time.Duration) func(*Options) { return func(o *Options) { o.Latency = d } }

// WithSeed sets Options.Seed.
func WithSeed(seed int64) func(*Options) { return func(o *Options) { o.Seed = seed } }

// WithLogger sets Options.Logger.
func WithLogger(l *zap.Logger) func(*Options) { return func(o *Options) { o.Logger = l } }

// WithClusterVersions sets Options.ClusterVersions.
func WithClusterVersions(v ...ClusterVersion) func(*Options) {
	return func(o *Options) { o.ClusterVersions = append([]ClusterVersion{}, v...) }
}

// WithAddons sets Options.Addons.
func WithAddons(a ...Addon) func(*Options) {
	return func(o *Options) { o.Addons = append([]Addon{}, a...) }
}

// ErrInvalidOptions is returned (wrapped) by New when the options are
// inconsistent, for example two default versions.
var ErrInvalidOptions = errors.New("awsproxy: invalid options")

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidOptions, fmt.Sprintf(format, args...))
}

// resolve fills defaults in one place and validates.
func (o Options) resolve() (Options, error) {
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.MaxCalls == 0 {
		o.MaxCalls = 10000
	}
	if o.ClusterVersions == nil {
		o.ClusterVersions = DefaultClusterVersions()
	}
	if o.Addons == nil {
		o.Addons = DefaultAddons()
	}
	if o.Latency < 0 {
		o.Latency = 0
	}
	o.Delays = o.Delays.clamp()
	seen := map[string]bool{}
	defaults := 0
	for i, v := range o.ClusterVersions {
		if v.Version == "" {
			return o, invalidf("ClusterVersions[%d]: empty Version", i)
		}
		if seen[v.Version] {
			return o, invalidf("ClusterVersions[%d]: duplicate version %s", i, v.Version)
		}
		seen[v.Version] = true
		switch v.Status {
		case ekstypes.VersionStatusStandardSupport, ekstypes.VersionStatusExtendedSupport, ekstypes.VersionStatusUnsupported:
		default:
			return o, invalidf("ClusterVersions[%d]: version %s has status %q; want one of %v", i, v.Version, v.Status, ekstypes.VersionStatus("").Values())
		}
		if v.Default {
			defaults++
			if v.Status == ekstypes.VersionStatusUnsupported {
				return o, invalidf("ClusterVersions[%d]: default version %s is UNSUPPORTED", i, v.Version)
			}
		}
	}
	if defaults > 1 {
		return o, invalidf("ClusterVersions: %d default versions; want at most one", defaults)
	}
	names := map[string]bool{}
	for i, a := range o.Addons {
		if a.Name == "" {
			return o, invalidf("Addons[%d]: empty Name", i)
		}
		if names[a.Name] {
			return o, invalidf("Addons[%d]: duplicate add-on %s", i, a.Name)
		}
		names[a.Name] = true
		defaultOf := map[string]string{}
		versions := map[string]bool{}
		for j, v := range a.Versions {
			if v.Version == "" || versions[v.Version] {
				return o, invalidf("Addons[%d] (%s).Versions[%d]: empty or duplicate version %q", i, a.Name, j, v.Version)
			}
			versions[v.Version] = true
			for _, k := range v.DefaultFor {
				if !contains(v.ClusterVersions, k) {
					return o, invalidf("Addons[%d] (%s).Versions[%d]: %s is default for Kubernetes %s but not compatible with it", i, a.Name, j, v.Version, k)
				}
				if prev, ok := defaultOf[k]; ok {
					return o, invalidf("Addons[%d] (%s): both %s and %s are default for Kubernetes %s", i, a.Name, prev, v.Version, k)
				}
				defaultOf[k] = v.Version
			}
		}
	}
	return o, nil
}

// clamp makes negative delays zero.
func (d Delays) clamp() Delays {
	for _, p := range []*time.Duration{
		&d.ClusterCreate, &d.ClusterDelete, &d.ClusterUpdate, &d.ProfileCreate, &d.ProfileDelete,
		&d.AddonCreate, &d.AddonUpdate, &d.AddonDelete, &d.RolePropagation,
	} {
		if *p < 0 {
			*p = 0
		}
	}
	return d
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
