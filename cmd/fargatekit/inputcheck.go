package main

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/fargatekit/fargatekit/internal/suggest"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// checkInputFlags checks the values of the flags that name AWS things
// (--role-arn and --region, single or repeatable) on every command that has
// them, before the command runs, so that a typo is exit 2 with the fix
// instead of a late AWS error.
func checkInputFlags(cmd *cobra.Command) error {
	for name, check := range map[string]func(string) error{"role-arn": checkRoleARN, "region": checkRegion} {
		f := cmd.Flags().Lookup(name)
		if f == nil || !f.Changed {
			continue
		}
		for _, v := range flagValues(f) {
			if v = strings.TrimSpace(v); v == "" {
				continue
			}
			if err := check(v); err != nil {
				return &exitError{code: 2, err: fmt.Errorf("--%s %q: %w", name, v, err)}
			}
		}
	}
	return nil
}

// flagValues are the values of a single or repeatable flag.
func flagValues(f *pflag.Flag) []string {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return sv.GetSlice()
	}
	return []string{f.Value.String()}
}

// rolePartitions are the partitions an IAM ARN may name.
var rolePartitions = map[string]bool{
	"aws": true, "aws-cn": true, "aws-us-gov": true, "aws-iso": true, "aws-iso-b": true,
	"aws-iso-e": true, "aws-iso-f": true, "aws-eusc": true,
}

var (
	accountRE  = regexp.MustCompile(`^\d{12}$`)
	roleNameRE = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	rolePathRE = regexp.MustCompile(`^/([\x21-\x7e]*/)?$`)
)

const roleARNForm = "want arn:<partition>:iam::<12-digit account>:role/<name>, such as arn:aws:iam::123456789012:role/deploy"

// checkRoleARN checks that s is an IAM role ARN:
// arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME.
func checkRoleARN(s string) error {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return fmt.Errorf("not an ARN; %s", roleARNForm)
	}
	partition, service, region, account, resource := parts[1], parts[2], parts[3], parts[4], parts[5]
	if service == "sts" && strings.HasPrefix(resource, "assumed-role/") {
		role, _, _ := strings.Cut(strings.TrimPrefix(resource, "assumed-role/"), "/")
		return fmt.Errorf("an assumed-role session, not a role; did you mean arn:%s:iam::%s:role/%s?", partition, account, role)
	}
	switch {
	case !rolePartitions[partition]:
		return fmt.Errorf("unknown partition %q (aws, aws-cn, aws-us-gov, …); %s", partition, roleARNForm)
	case service != "iam":
		return fmt.Errorf("a %s ARN, not an IAM role; %s", service, roleARNForm)
	case region != "":
		return fmt.Errorf("IAM ARNs have no region (arn:%s:iam::…); %s", partition, roleARNForm)
	case !accountRE.MatchString(account):
		return fmt.Errorf("the account %q is not 12 digits; %s", account, roleARNForm)
	}
	kind, rest, ok := strings.Cut(resource, "/")
	switch {
	case kind != "role":
		return fmt.Errorf("a %s, not a role; %s", kind, roleARNForm)
	case !ok:
		return fmt.Errorf("no role name after role/; %s", roleARNForm)
	}
	path, name := "/", rest
	if i := strings.LastIndexByte(rest, '/'); i >= 0 {
		path, name = "/"+rest[:i+1], rest[i+1:]
	}
	if !roleNameRE.MatchString(name) {
		return fmt.Errorf("the role name %q is not 1 to 64 of letters, digits and +=,.@_-; %s", name, roleARNForm)
	}
	if len(path) > 512 || !rolePathRE.MatchString(path) {
		return fmt.Errorf("the role path %q is not an IAM path; %s", path, roleARNForm)
	}
	return nil
}

// regionDirections are the middle words of region names.
var regionDirections = map[string]bool{
	"east": true, "west": true, "north": true, "south": true, "central": true,
	"northeast": true, "northwest": true, "southeast": true, "southwest": true,
}

// regionQualifiers are the second words of regions of the partitions other
// than aws and aws-cn: us-gov-west-1 (aws-us-gov), us-iso-east-1,
// us-isob-east-1, us-isof-south-1, eu-isoe-west-1, eusc-de-east-1.
var regionQualifiers = map[string]string{
	"us-gov": "aws-us-gov", "us-iso": "aws-iso", "us-isob": "aws-iso-b", "us-isof": "aws-iso-f",
	"eu-isoe": "aws-iso-e", "eusc-de": "aws-eusc",
}

// knownRegions are the regions that "did you mean" suggests.
var knownRegions = []string{
	"af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
	"ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
	"ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-central-1", "ca-west-1", "eu-central-1",
	"eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3",
	"il-central-1", "me-central-1", "me-south-1", "mx-central-1", "sa-east-1", "us-east-1", "us-east-2",
	"us-west-1", "us-west-2",
	"cn-north-1", "cn-northwest-1",
	"us-gov-east-1", "us-gov-west-1",
	"us-iso-east-1", "us-iso-west-1", "us-isob-east-1", "us-isof-east-1", "us-isof-south-1",
	"eu-isoe-west-1", "eusc-de-east-1",
}

var regionNumberRE = regexp.MustCompile(`^[1-9][0-9]?$`)

// checkRegion checks that s follows the region naming of its partition:
// AREA-DIRECTION-N (us-east-1, cn-north-1, ap-southeast-4), or
// AREA-QUALIFIER-DIRECTION-N for the partitions that have one
// (us-gov-west-1, us-isob-east-1, eusc-de-east-1). AREA is two lowercase
// letters, so a region opened after this release is accepted. A name off
// the pattern is refused, with the closest known region when one is near.
func checkRegion(s string) error {
	if regionNamed(s) {
		return nil
	}
	msg := "not a region name: want AREA-DIRECTION-NUMBER such as us-east-1, eu-west-2, ap-southeast-4, cn-north-1 or us-gov-west-1"
	if near := nearestRegion(s); near != "" {
		return fmt.Errorf("%s; did you mean %s?", msg, near)
	}
	return fmt.Errorf("%s", msg)
}

// regionNamed says whether s follows a partition's region naming.
func regionNamed(s string) bool {
	parts := strings.Split(s, "-")
	switch len(parts) {
	case 3:
		if len(parts[0]) != 2 {
			return false
		}
		for _, c := range parts[0] {
			if c < 'a' || c > 'z' {
				return false
			}
		}
	case 4:
		if _, ok := regionQualifiers[parts[0]+"-"+parts[1]]; !ok {
			return false
		}
	default:
		return false
	}
	dir, num := parts[len(parts)-2], parts[len(parts)-1]
	return regionDirections[dir] && regionNumberRE.MatchString(num)
}

// nearestRegion names the known regions closest to s: the one equal to it
// ignoring case and separators, else those within two edits of it (at most
// three, "a, b or c"); "" when none is that close.
func nearestRegion(s string) string {
	squash := func(r string) string {
		return strings.Map(func(c rune) rune {
			if c == '-' || c == '_' || c == ' ' || c == '.' {
				return -1
			}
			return c
		}, strings.ToLower(r))
	}
	regions := append([]string(nil), knownRegions...)
	sort.Strings(regions)
	var best []string
	bestD := 3
	for _, r := range regions {
		if squash(r) == squash(s) {
			return r
		}
		switch d := levenshtein(strings.ToLower(s), r); {
		case d < bestD:
			best, bestD = []string{r}, d
		case d == bestD && len(best) < 3:
			best = append(best, r)
		}
	}
	switch len(best) {
	case 0:
		return ""
	case 1:
		return best[0]
	}
	return strings.Join(best[:len(best)-1], ", ") + " or " + best[len(best)-1]
}

// levenshtein is the edit distance of a and b.
func levenshtein(a, b string) int { return suggest.Distance(a, b, 0) }
