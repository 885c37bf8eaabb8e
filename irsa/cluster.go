package irsa

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/eks"

	"github.com/fargatekit/fargatekit/eksfargate/observe"
	"github.com/fargatekit/fargatekit/iamtrust"
)

// Cluster is what IRSA needs to know about an EKS cluster.
type Cluster struct {
	// Name of the EKS cluster.
	Name string
	// Region of the cluster, such as "ap-northeast-1".
	Region string
	// AccountID is the 12-digit account that holds the cluster, its OIDC
	// provider and the roles.
	AccountID string
	// Partition is "aws", "aws-cn" or "aws-us-gov". Empty means the partition
	// of Region.
	Partition string
	// IssuerURL is the cluster's OIDC issuer (identity.oidc.issuer), such as
	// "https://oidc.eks.ap-northeast-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE".
	IssuerURL string
}

// partition returns Partition, or the partition of Region when it is empty.
func (c Cluster) partition() string {
	if c.Partition != "" {
		return c.Partition
	}
	return iamtrust.PartitionForRegion(c.Region)
}

// ProviderARN returns the ARN of the IAM OIDC provider for the cluster's
// issuer: "arn:PARTITION:iam::ACCOUNT:oidc-provider/ISSUER-HOST-AND-PATH".
func (c Cluster) ProviderARN() string {
	return iamtrust.OIDCProviderARN(c.partition(), c.AccountID, c.IssuerURL)
}

// validate checks the fields every plan needs.
func (c Cluster) validate() error {
	var errs []error
	add := func(field, msg string) { errs = append(errs, &ValidationError{Field: "cluster." + field, Msg: msg}) }
	if c.Name == "" {
		add("Name", "is empty")
	}
	if c.AccountID == "" {
		add("AccountID", "is empty; want the 12-digit account of the cluster")
	}
	if c.Region == "" && c.Partition == "" {
		add("Region", "is empty; want the cluster's region")
	}
	switch {
	case c.IssuerURL == "":
		add("IssuerURL", "is empty; want the cluster's identity.oidc.issuer (ClusterFromEKS reads it)")
	case !strings.HasPrefix(c.IssuerURL, "https://"):
		add("IssuerURL", fmt.Sprintf("%q does not start with https://", c.IssuerURL))
	}
	return errors.Join(errs...)
}

// ClusterDescriber is the part of the EKS API that ClusterFromEKS uses.
type ClusterDescriber interface {
	DescribeCluster(ctx context.Context, params *eks.DescribeClusterInput, optFns ...func(*eks.Options)) (*eks.DescribeClusterOutput, error)
}

var _ ClusterDescriber = (*eks.Client)(nil)

// ErrNoIssuer is returned (wrapped) by ClusterFromEKS for a cluster that has
// no OIDC issuer yet, as while it is being created.
var ErrNoIssuer = errors.New("cluster has no OIDC issuer yet (identity.oidc.issuer is empty); wait until the cluster is ACTIVE")

// ClusterFromEKS reads a cluster with DescribeCluster and returns its name,
// region, account and partition (from the cluster ARN) and OIDC issuer
// (identity.oidc.issuer).
func ClusterFromEKS(ctx context.Context, c ClusterDescriber, name string) (Cluster, error) {
	ec, err := observe.Cluster(ctx, c, name)
	if err != nil {
		return Cluster{}, fmt.Errorf("irsa: describe cluster %s: %w", name, err)
	}
	if ec == nil {
		return Cluster{}, fmt.Errorf("irsa: describe cluster %s: empty answer", name)
	}
	a, err := arn.Parse(aws.ToString(ec.Arn))
	if err != nil {
		return Cluster{}, fmt.Errorf("irsa: cluster %s: ARN %q: %w", name, aws.ToString(ec.Arn), err)
	}
	cl := Cluster{Name: name, Region: a.Region, AccountID: a.AccountID, Partition: a.Partition}
	if id := ec.Identity; id != nil && id.Oidc != nil {
		cl.IssuerURL = aws.ToString(id.Oidc.Issuer)
	}
	if cl.IssuerURL == "" {
		return cl, fmt.Errorf("irsa: cluster %s (status %s): %w", name, ec.Status, ErrNoIssuer)
	}
	return cl, nil
}
