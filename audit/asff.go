package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/fargatekit/fargatekit/iamtrust"
)

// ASFF constants: the format's version and fargatekit's finding type.
const (
	// ASFFSchemaVersion is the AWS Security Finding Format version.
	ASFFSchemaVersion = "2018-10-08"
	// ASFFType is the type fargatekit's findings carry (namespace /
	// category / classifier).
	ASFFType = "Software and Configuration Checks/AWS Security Best Practices/fargatekit"
	// MaxImportBatch is BatchImportFindings' limit per call.
	MaxImportBatch = 100
)

// ASFFOptions say where the findings go.
type ASFFOptions struct {
	// Region is the Security Hub region, used in ProductArn and for
	// account-wide findings. Default: the report's first region.
	Region string
	// Partition of the product ARN. Default "aws", or the one the region
	// belongs to.
	Partition string
}

// asffID is the finding's stable ASFF Id.
func asffID(f Finding) string { return "fargatekit/" + f.Check + "/" + f.Fingerprint }

// ToASFF converts the report's findings to the AWS Security Finding Format,
// as BatchImportFindings takes them: the findings in force (RecordState
// ACTIVE) and, with archived, the resolved ones (RecordState ARCHIVED, so
// that Security Hub shows what the job sees).
func ToASFF(r *Report, o ASFFOptions, archived bool) []shtypes.AwsSecurityFinding {
	r.Finalize()
	region := o.Region
	if region == "" && len(r.Regions) > 0 {
		region = r.Regions[0]
	}
	partition := o.Partition
	if partition == "" {
		partition = iamtrust.PartitionForRegion(region)
	}
	now := r.GeneratedAt.UTC().Format(time.RFC3339Nano)
	titles := map[string]string{}
	for _, c := range r.Checks {
		titles[c.ID] = c.Title
	}
	conv := func(f Finding, state shtypes.RecordState) shtypes.AwsSecurityFinding {
		acct := f.Account
		if acct == "" {
			acct = r.Account
		}
		fr := f.Region
		if fr == "" {
			fr = region
		}
		created := now
		if f.FirstSeen != nil {
			created = f.FirstSeen.UTC().Format(time.RFC3339Nano)
		}
		title := titles[f.Check]
		if title == "" {
			title = f.Check
		}
		title = f.Check + ": " + title
		desc := f.Message
		if len(desc) > 1024 {
			desc = desc[:1021] + "..."
		}
		res := []shtypes.Resource{{Type: aws.String(asffResourceType(f.Resource)), Id: aws.String(f.Resource), Region: aws.String(fr), Partition: shtypes.Partition(partition)}}
		if f.Cluster != "" && f.Cluster != f.Resource {
			res = append(res, shtypes.Resource{Type: aws.String("AwsEksCluster"), Id: aws.String(f.Cluster), Region: aws.String(fr), Partition: shtypes.Partition(partition)})
		}
		return shtypes.AwsSecurityFinding{
			SchemaVersion: aws.String(ASFFSchemaVersion),
			Id:            aws.String(asffID(f)),
			ProductArn:    aws.String(fmt.Sprintf("arn:%s:securityhub:%s:%s:product/%s/default", partition, region, acct, acct)),
			GeneratorId:   aws.String("fargatekit/" + f.Check),
			AwsAccountId:  aws.String(acct),
			Types:         []string{ASFFType},
			CreatedAt:     aws.String(created),
			UpdatedAt:     aws.String(now),
			Severity:      &shtypes.Severity{Label: asffSeverity(f.Severity)},
			Title:         aws.String(title),
			Description:   aws.String(desc),
			Resources:     res,
			RecordState:   state,
			ProductFields: map[string]string{"fargatekit/check": f.Check, "fargatekit/status": f.Status, "fargatekit/fingerprint": f.Fingerprint},
		}
	}
	var out []shtypes.AwsSecurityFinding
	for _, f := range r.Findings {
		out = append(out, conv(f, shtypes.RecordStateActive))
	}
	if archived {
		for _, f := range r.Resolved {
			out = append(out, conv(f, shtypes.RecordStateArchived))
		}
	}
	return out
}

func asffSeverity(s iamtrust.Severity) shtypes.SeverityLabel {
	switch s {
	case iamtrust.SeverityCritical:
		return shtypes.SeverityLabelCritical
	case iamtrust.SeverityHigh:
		return shtypes.SeverityLabelHigh
	case iamtrust.SeverityMedium:
		return shtypes.SeverityLabelMedium
	case iamtrust.SeverityLow:
		return shtypes.SeverityLabelLow
	}
	return shtypes.SeverityLabelInformational
}

func asffResourceType(res string) string {
	switch {
	case strings.Contains(res, ":iam::") && strings.Contains(res, ":role/"):
		return "AwsIamRole"
	case strings.Contains(res, ":iam::") && strings.Contains(res, ":policy/"):
		return "AwsIamPolicy"
	case strings.Contains(res, ":eks:") && strings.Contains(res, ":cluster/"):
		return "AwsEksCluster"
	case strings.HasPrefix(res, "arn:") && strings.Contains(res, ":ec2:"):
		return "AwsEc2Subnet"
	}
	return "Other"
}

// WriteASFF writes the findings (active and, from a baseline, archived) as
// a JSON array of ASFF findings: `fargatekit audit -o asff`.
func WriteASFF(w io.Writer, r *Report, o ASFFOptions) error {
	fs := ToASFF(r, o, true)
	if fs == nil {
		fs = []shtypes.AwsSecurityFinding{}
	}
	b, err := json.MarshalIndent(fs, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// SecurityHubAPI is what SendToSecurityHub calls; *securityhub.Client
// implements it.
type SecurityHubAPI interface {
	BatchImportFindings(ctx context.Context, in *securityhub.BatchImportFindingsInput, opts ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error)
}

var _ SecurityHubAPI = (*securityhub.Client)(nil)

// SecurityHubResult counts what SendToSecurityHub sent.
type SecurityHubResult struct {
	// Imported is the number of new or changed findings imported.
	Imported int
	// Archived is the number of resolved findings archived.
	Archived int
	// Calls is the number of BatchImportFindings calls.
	Calls int
}

// SendToSecurityHub imports the report's new findings (a changed finding
// has a new fingerprint, so it is new) and archives the resolved ones by
// re-importing them with RecordState ARCHIVED, as a finding provider
// does, at most MaxImportBatch per call. Persisting findings were sent by
// an earlier run. A finding Security Hub refuses is an error that names it.
func SendToSecurityHub(ctx context.Context, api SecurityHubAPI, r *Report, o ASFFOptions) (SecurityHubResult, error) {
	var res SecurityHubResult
	var send []shtypes.AwsSecurityFinding
	for _, f := range ToASFF(r, o, true) {
		switch {
		case f.RecordState == shtypes.RecordStateArchived:
			res.Archived++
		case f.ProductFields["fargatekit/status"] == StatusPersisting:
			continue
		default:
			res.Imported++
		}
		send = append(send, f)
	}
	for len(send) > 0 {
		n := min(len(send), MaxImportBatch)
		out, err := api.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: send[:n]})
		res.Calls++
		if err != nil {
			return res, fmt.Errorf("audit: securityhub:BatchImportFindings: %w", err)
		}
		if out.FailedCount != nil && *out.FailedCount > 0 {
			var why []string
			for _, ff := range out.FailedFindings {
				why = append(why, aws.ToString(ff.Id)+": "+aws.ToString(ff.ErrorCode)+" "+aws.ToString(ff.ErrorMessage))
			}
			return res, fmt.Errorf("audit: Security Hub refused %d finding(s): %s", *out.FailedCount, strings.Join(why, "; "))
		}
		send = send[n:]
	}
	return res, nil
}
