package awsproxy_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
)

const oidcThumbprint = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"

// newOIDCProvider creates a provider in moto through the proxy and returns
// its ARN.
func newOIDCProvider(t *testing.T, c clients, host string, clientIDs ...string) string {
	t.Helper()
	out, err := c.iam.CreateOpenIDConnectProvider(context.Background(), &iam.CreateOpenIDConnectProviderInput{
		Url:            aws.String("https://" + host + "/id/EXAMPLED539D4633E53DE1B71EXAMPLE"),
		ClientIDList:   clientIDs,
		ThumbprintList: []string{oidcThumbprint},
		Tags:           []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("platform")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.OpenIDConnectProviderArn)
}

// oidcProvider reads a provider back, sorting its client IDs.
func oidcProvider(t *testing.T, c clients, arn string) *iam.GetOpenIDConnectProviderOutput {
	t.Helper()
	out, err := c.iam.GetOpenIDConnectProvider(context.Background(), &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn})
	if err != nil {
		t.Fatalf("GetOpenIDConnectProvider: %v", err)
	}
	slices.Sort(out.ClientIDList)
	return out
}

func TestOIDCProviderClientIDs(t *testing.T) {
	a := setup(t)
	c := newClients(a, 1)
	ctx := context.Background()
	arn := newOIDCProvider(t, c, "oidc.eks.eu-west-1.amazonaws.com", "other-audience")

	steps := []struct {
		name   string
		add    bool
		id     string
		want   []string
		reason string
	}{
		{"add", true, "sts.amazonaws.com", []string{"other-audience", "sts.amazonaws.com"}, "a new client ID is appended"},
		{"add again", true, "sts.amazonaws.com", []string{"other-audience", "sts.amazonaws.com"}, "adding a present ID succeeds and changes nothing, as IAM does"},
		{"remove", false, "other-audience", []string{"sts.amazonaws.com"}, "a present client ID is removed"},
		{"remove absent", false, "never-added", []string{"sts.amazonaws.com"}, "removing an absent ID succeeds and changes nothing, as IAM does"},
		{"remove last", false, "sts.amazonaws.com", []string{}, "a provider may have no client IDs"},
	}
	for _, s := range steps {
		a.Proxy.ResetCounts()
		var err error
		op := "AddClientIDToOpenIDConnectProvider"
		if s.add {
			_, err = c.iam.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn, ClientID: aws.String(s.id)})
		} else {
			op = "RemoveClientIDFromOpenIDConnectProvider"
			_, err = c.iam.RemoveClientIDFromOpenIDConnectProvider(ctx, &iam.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn, ClientID: aws.String(s.id)})
		}
		if err != nil {
			t.Fatalf("%s (%s): %v", s.name, s.reason, err)
		}
		if n := a.Proxy.Count("iam", op); n != 1 {
			t.Errorf("%s: Count(iam, %s) = %d, want 1", s.name, op, n)
		}
		got := oidcProvider(t, c, arn)
		if d := cmp.Diff(s.want, got.ClientIDList); d != "" {
			t.Errorf("%s (%s): client IDs (-want +got):\n%s", s.name, s.reason, d)
		}
		// What the re-creation must keep.
		if d := cmp.Diff([]string{oidcThumbprint}, got.ThumbprintList); d != "" {
			t.Errorf("%s: thumbprints (-want +got):\n%s", s.name, d)
		}
		if u := aws.ToString(got.Url); u != "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE" {
			t.Errorf("%s: url = %q", s.name, u)
		}
		tags, err := c.iam.ListOpenIDConnectProviderTags(ctx, &iam.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: &arn})
		if err != nil {
			t.Fatal(err)
		}
		if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "team" || aws.ToString(tags.Tags[0].Value) != "platform" {
			t.Errorf("%s: tags = %v, want team=platform", s.name, tags.Tags)
		}
	}
}

func TestOIDCProviderClientIDErrors(t *testing.T) {
	a := setup(t)
	c := newClients(a, 1)
	ctx := context.Background()
	arn := newOIDCProvider(t, c, "oidc.errors.example.com", "a")
	unknown := "arn:aws:iam::123456789012:oidc-provider/oidc.unknown.example.com/id/X"

	type call func(arn, id string) error
	add := func(arn, id string) error {
		_, err := c.iam.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn, ClientID: &id})
		return err
	}
	remove := func(arn, id string) error {
		_, err := c.iam.RemoveClientIDFromOpenIDConnectProvider(ctx, &iam.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn, ClientID: &id})
		return err
	}
	tests := []struct {
		name   string
		call   call
		arn    string
		id     string
		code   string
		reason string
	}{
		{"add to unknown", add, unknown, "sts.amazonaws.com", "NoSuchEntity", "the provider does not exist"},
		{"remove from unknown", remove, unknown, "sts.amazonaws.com", "NoSuchEntity", "idempotence does not cover a missing provider"},
		{"empty client ID", add, arn, "", "ValidationError", "client IDs have at least 1 character"},
		{"long client ID", add, arn, strings.Repeat("x", 256), "ValidationError", "client IDs have at most 255 characters"},
		{"empty client ID on remove", remove, arn, "", "ValidationError", "remove validates as add does"},
		{"not an OIDC provider ARN", add, "arn:aws:iam::123456789012:role/not-a-provider", "x", "InvalidInput", "the ARN names a role"},
	}
	for _, tt := range tests {
		err := tt.call(tt.arn, tt.id)
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != tt.code {
			t.Errorf("%s (%s): err = %v, want %s", tt.name, tt.reason, err, tt.code)
		}
	}

	// Typed errors the SDK decodes.
	var nse *iamtypes.NoSuchEntityException
	if err := add(unknown, "x"); !errors.As(err, &nse) {
		t.Errorf("add to unknown: %v, want *types.NoSuchEntityException", err)
	}
	var inv *iamtypes.InvalidInputException
	if err := remove("arn:aws:iam::123456789012:user/someone", "x"); !errors.As(err, &inv) {
		t.Errorf("remove with a user ARN: %v, want *types.InvalidInputException", err)
	}
	if d := cmp.Diff([]string{"a"}, oidcProvider(t, c, arn).ClientIDList); d != "" {
		t.Errorf("failed calls changed the client IDs (-want +got):\n%s", d)
	}
	if _, err := c.iam.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: &unknown}); !errors.As(err, &nse) {
		t.Errorf("failed calls created the unknown provider: %v", err)
	}
}

func TestOIDCProviderClientIDLimit(t *testing.T) {
	a := setup(t)
	c := newClients(a, 1)
	ids := make([]string, 100)
	for i := range ids {
		ids[i] = fmt.Sprintf("client-%03d", i)
	}
	arn := newOIDCProvider(t, c, "oidc.limit.example.com", ids...)
	_, err := c.iam.AddClientIDToOpenIDConnectProvider(context.Background(), &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn, ClientID: aws.String("one-too-many")})
	var le *iamtypes.LimitExceededException
	if !errors.As(err, &le) {
		t.Fatalf("101st client ID: %v, want *types.LimitExceededException", err)
	}
	if d := cmp.Diff(ids, oidcProvider(t, c, arn).ClientIDList); d != "" {
		t.Errorf("the refused add changed the provider (-want +got):\n%s", d)
	}
	// At the limit an ID already there is still fine.
	if _, err := c.iam.AddClientIDToOpenIDConnectProvider(context.Background(), &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn, ClientID: aws.String("client-000")}); err != nil {
		t.Errorf("adding a present ID at the limit: %v", err)
	}
}

func TestOIDCProviderConcurrentClientIDs(t *testing.T) {
	a := setup(t)
	c := newClients(a, 1)
	ctx := context.Background()
	arn := newOIDCProvider(t, c, "oidc.concurrent.example.com", "sts.amazonaws.com")
	want := []string{"sts.amazonaws.com"}
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for i := range 5 {
		id := fmt.Sprintf("audience-%d", i)
		want = append(want, id)
		wg.Go(func() {
			_, err := c.iam.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn, ClientID: &id})
			errs <- err
		})
		// Readers meanwhile must never see the provider missing.
		wg.Go(func() {
			_, err := c.iam.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	slices.Sort(want)
	if d := cmp.Diff(want, oidcProvider(t, c, arn).ClientIDList); d != "" {
		t.Errorf("client IDs after concurrent adds (-want +got):\n%s", d)
	}
	if n := a.Proxy.Count("iam", "AddClientIDToOpenIDConnectProvider"); n != 5 {
		t.Errorf("Count = %d, want 5", n)
	}
}
