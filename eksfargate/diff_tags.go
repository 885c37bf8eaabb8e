package eksfargate

import (
	"context"
	"fmt"
	"maps"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
)

// fargatekitTagPrefix is the prefix of the tags fargatekit reserves: those
// the spec does not name are removed from the resources it owns.
const fargatekitTagPrefix = "fargatekit.io/"

// tagDrift compares the live tags of a resource with the tags it should
// carry: set are the wanted tags that are missing or have another value;
// unset are the live fargatekit.io/* keys that are not wanted (keep names
// reserved keys that fargatekit manages otherwise, such as vpcDNSTag).
// Other tags the spec does not name are left alone.
func tagDrift(live, want map[string]string, keep ...string) (set map[string]string, unset []string) {
	set = missingTags(live, want)
	for k := range live {
		if _, ok := want[k]; ok || !strings.HasPrefix(k, fargatekitTagPrefix) {
			continue
		}
		reserved := false
		for _, r := range keep {
			reserved = reserved || r == k
		}
		if !reserved {
			unset = append(unset, k)
		}
	}
	sort.Strings(unset)
	return set, unset
}

// tagSummary says what a tag update does: "tags env=prod; untag fargatekit.io/x".
func tagSummary(set map[string]string, unset []string) string {
	var parts []string
	if len(set) > 0 {
		var kv []string
		for _, k := range specSortedKeys(set) {
			kv = append(kv, k+"="+set[k])
		}
		parts = append(parts, "tags "+strings.Join(kv, ", "))
	}
	if len(unset) > 0 {
		parts = append(parts, "untag "+strings.Join(unset, ", "))
	}
	return strings.Join(parts, "; ")
}

// tagView is the before and after of a tag update.
type tagView struct {
	Tags map[string]string `json:"tags"`
}

// tagViews returns the before and after of a tag update over the keys it
// touches.
func tagViews(live, set map[string]string, unset []string) (tagView, tagView) {
	before, after := tagView{Tags: map[string]string{}}, tagView{Tags: maps.Clone(set)}
	for k := range set {
		if v, ok := live[k]; ok {
			before.Tags[k] = v
		}
	}
	for _, k := range unset {
		before.Tags[k] = live[k]
	}
	return before, after
}

// retagEKS tags and untags an EKS resource (cluster, profile, add-on).
func (x *executor) retagEKS(ctx context.Context, arn string, set map[string]string, unset []string) error {
	if len(set) > 0 {
		if _, err := x.c.EKS.TagResource(ctx, &eks.TagResourceInput{ResourceArn: aws.String(arn), Tags: set}); err != nil {
			return fmt.Errorf("tag %s: %w", arn, err)
		}
	}
	if len(unset) > 0 {
		if _, err := x.c.EKS.UntagResource(ctx, &eks.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: unset}); err != nil {
			return fmt.Errorf("untag %s: %w", arn, err)
		}
	}
	return nil
}

// untagEC2 removes tag keys from an EC2 resource.
func (x *executor) untagEC2(ctx context.Context, id string, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	var tags []ec2types.Tag
	for _, k := range keys {
		tags = append(tags, ec2types.Tag{Key: aws.String(k)})
	}
	if _, err := x.c.EC2.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{id}, Tags: tags}); err != nil {
		return fmt.Errorf("untag %s: %w", id, err)
	}
	return nil
}
