package audit

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/google/go-cmp/cmp"
)

func TestDefaultKubeConfig(t *testing.T) {
	ca := "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	o := Options{AWS: aws.Config{Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")}}
	o.defaults()
	c := &Cluster{Name: "demo", Region: "eu-west-1", Endpoint: "https://EXAMPLE.eu-west-1.eks.amazonaws.com", Status: "ACTIVE",
		CertificateAuthority: base64.StdEncoding.EncodeToString([]byte(ca))}
	cfg, err := kubeConfig(t.Context(), &o, c)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != c.Endpoint || string(cfg.CAData) != ca || cfg.WrapTransport == nil || cfg.Timeout != 30*time.Second {
		t.Errorf("config: host %q, CA %q, token transport %v, timeout %s", cfg.Host, cfg.CAData, cfg.WrapTransport != nil, cfg.Timeout)
	}
	c.Endpoint = ""
	if _, err := kubeConfig(t.Context(), &o, c); err == nil || !strings.Contains(err.Error(), "no API endpoint") {
		t.Errorf("a cluster without endpoint: %v", err)
	}
}

func TestClusterFromAPI(t *testing.T) {
	yes := true
	in := &ekstypes.Cluster{
		Arn: aws.String("arn:aws:eks:eu-west-1:1:cluster/demo"), Version: aws.String("1.34"), Status: ekstypes.ClusterStatusActive,
		ResourcesVpcConfig: &ekstypes.VpcConfigResponse{EndpointPublicAccess: true, SubnetIds: []string{"s-1"}, VpcId: aws.String("vpc-1")},
		Logging: &ekstypes.Logging{ClusterLogging: []ekstypes.LogSetup{
			{Enabled: aws.Bool(true), Types: []ekstypes.LogType{"audit", "api"}},
			{Enabled: aws.Bool(false), Types: []ekstypes.LogType{"scheduler"}},
		}},
		EncryptionConfig:   []ekstypes.EncryptionConfig{{Resources: []string{"secrets"}, Provider: &ekstypes.Provider{KeyArn: aws.String("arn:aws:kms:eu-west-1:1:key/k")}}},
		Identity:           &ekstypes.Identity{Oidc: &ekstypes.OIDC{Issuer: aws.String("https://oidc.eks.eu-west-1.amazonaws.com/id/X")}},
		DeletionProtection: &yes,
	}
	c := clusterFromAPI(ClusterRef{Region: "eu-west-1", Name: "demo"}, in)
	want := &Cluster{Region: "eu-west-1", Name: "demo", ARN: "arn:aws:eks:eu-west-1:1:cluster/demo", Status: "ACTIVE", Version: "1.34",
		VPCID: "vpc-1", SubnetIDs: []string{"s-1"}, EndpointPublicAccess: true, PublicAccessCIDRs: []string{"0.0.0.0/0"},
		Logging: []string{"api", "audit"}, SecretsKMSKeyARN: "arn:aws:kms:eu-west-1:1:key/k", AuthenticationMode: "CONFIG_MAP",
		OIDCIssuer: "https://oidc.eks.eu-west-1.amazonaws.com/id/X", DeletionProtection: &yes}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("clusterFromAPI (-want +got):\n%s", diff)
	}
}
