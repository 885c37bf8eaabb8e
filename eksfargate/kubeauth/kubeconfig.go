package kubeauth

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// ExecCredentialAPIVersion is the client authentication API version of the
// exec credentials fargatekit writes and prints.
const ExecCredentialAPIVersion = "client.authentication.k8s.io/v1beta1"

// KubeconfigExec chooses the command a kubeconfig runs to get a token.
type KubeconfigExec string

// The token commands a kubeconfig can run.
const (
	// ExecAWSCLI runs `aws eks get-token` (the default).
	ExecAWSCLI KubeconfigExec = "aws"
	// ExecFargatekit runs `fargatekit token`, which needs no aws CLI.
	ExecFargatekit KubeconfigExec = "fargatekit"
)

// KubeconfigCluster is what a kubeconfig needs of an EKS cluster
// (DescribeCluster has it all).
type KubeconfigCluster struct {
	// Name of the EKS cluster.
	Name string
	// Region of the cluster.
	Region string
	// Endpoint is the API server URL.
	Endpoint string
	// CAData is the cluster CA certificate, PEM (decoded from
	// DescribeCluster's base64 certificateAuthority.data).
	CAData []byte
	// ARN of the cluster; it names the kubeconfig's cluster, user and
	// context entries, as `aws eks update-kubeconfig` does. Default: Name.
	ARN string
}

// KubeconfigOptions say how WriteKubeconfig authenticates and names things.
type KubeconfigOptions struct {
	// Exec is ExecAWSCLI (default) or ExecFargatekit.
	Exec KubeconfigExec
	// Command overrides the executable (default "aws" or "fargatekit"),
	// for example an absolute path.
	Command string
	// RoleARN, when set, is assumed to sign the token (--role-arn).
	RoleARN string
	// Profile, when set, is passed to the command as AWS_PROFILE.
	Profile string
	// ContextName names the context. Default: the cluster's ARN (or name).
	ContextName string
	// SetCurrent makes the context the current one.
	SetCurrent bool
}

// KubeconfigExecConfig returns the exec credential plugin configuration
// that runs `aws eks get-token` or `fargatekit token` for the cluster. It is
// pure.
func KubeconfigExecConfig(c KubeconfigCluster, o KubeconfigOptions) (*clientcmdapi.ExecConfig, error) {
	if c.Name == "" || c.Region == "" {
		return nil, errors.New("kubeconfig: cluster name and region are required")
	}
	e := &clientcmdapi.ExecConfig{
		APIVersion:      ExecCredentialAPIVersion,
		InteractiveMode: clientcmdapi.NeverExecInteractiveMode,
	}
	switch o.Exec {
	case ExecAWSCLI, "":
		e.Command = "aws"
		e.Args = []string{"--region", c.Region, "eks", "get-token", "--cluster-name", c.Name, "--output", "json"}
		if o.RoleARN != "" {
			e.Args = append(e.Args, "--role-arn", o.RoleARN)
		}
	case ExecFargatekit:
		e.Command = "fargatekit"
		e.Args = []string{"token", "--cluster", c.Name, "--region", c.Region}
		if o.RoleARN != "" {
			e.Args = append(e.Args, "--role-arn", o.RoleARN)
		}
	default:
		return nil, fmt.Errorf("kubeconfig: exec %q: want %q or %q", o.Exec, ExecAWSCLI, ExecFargatekit)
	}
	if o.Command != "" {
		e.Command = o.Command
	}
	if o.Profile != "" {
		e.Env = []clientcmdapi.ExecEnvVar{{Name: "AWS_PROFILE", Value: o.Profile}}
	}
	return e, nil
}

// MergeKubeconfig adds (or replaces) the cluster's cluster, user and context
// entries in cfg, leaving every other entry as it is, and returns the
// context name. It is pure apart from changing cfg.
func MergeKubeconfig(cfg *clientcmdapi.Config, c KubeconfigCluster, o KubeconfigOptions) (string, error) {
	if c.Endpoint == "" {
		return "", fmt.Errorf("kubeconfig: cluster %s has no endpoint (is it ACTIVE?)", c.Name)
	}
	if len(c.CAData) == 0 {
		return "", fmt.Errorf("kubeconfig: cluster %s has no certificate authority data", c.Name)
	}
	exec, err := KubeconfigExecConfig(c, o)
	if err != nil {
		return "", err
	}
	key := c.ARN
	if key == "" {
		key = c.Name
	}
	ctxName := o.ContextName
	if ctxName == "" {
		ctxName = key
	}
	cl := clientcmdapi.NewCluster()
	cl.Server = c.Endpoint
	cl.CertificateAuthorityData = append([]byte(nil), c.CAData...)
	ai := clientcmdapi.NewAuthInfo()
	ai.Exec = exec
	kc := clientcmdapi.NewContext()
	kc.Cluster = key
	kc.AuthInfo = key
	cfg.Clusters[key] = cl
	cfg.AuthInfos[key] = ai
	cfg.Contexts[ctxName] = kc
	if o.SetCurrent || cfg.CurrentContext == "" {
		cfg.CurrentContext = ctxName
	}
	return ctxName, nil
}

// WriteKubeconfig writes the cluster's entries into the kubeconfig at path,
// merging with what the file holds (other clusters, users and contexts are
// kept). It writes atomically, through a temporary file in the same
// directory renamed over path, with mode 0600; a symlink at path is
// followed. A malformed existing file is an error and nothing is written.
// With SetCurrent, or when the file had no current context, the context
// becomes current.
func WriteKubeconfig(path string, c KubeconfigCluster, o KubeconfigOptions) error {
	if path == "" {
		return errors.New("kubeconfig: empty path")
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	cfg := clientcmdapi.NewConfig()
	if b, err := os.ReadFile(path); err == nil {
		if len(b) > 0 {
			loaded, err := clientcmd.Load(b)
			if err != nil {
				return fmt.Errorf("kubeconfig: %s is not a valid kubeconfig, not touching it: %w", path, err)
			}
			cfg = loaded
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("kubeconfig: read %s: %w", path, err)
	}
	if _, err := MergeKubeconfig(cfg, c, o); err != nil {
		return err
	}
	out, err := clientcmd.Write(*cfg)
	if err != nil {
		return fmt.Errorf("kubeconfig: render: %w", err)
	}
	return kcfgWriteAtomic(path, out)
}

// kcfgWriteAtomic writes data to path with mode 0600 through a temporary
// file in the same directory, synced and renamed over path.
func kcfgWriteAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("kubeconfig: write: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("kubeconfig: sync: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	return nil
}
