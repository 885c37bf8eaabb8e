package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// The demo runs from start to end against the local environment: the
// mistakes it makes are found with evidence, fixed, and the kubeconfig
// works with kubectl.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto_server and kube-apiserver")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out bytes.Buffer
	n := &narrator{w: &out}
	if err := run(ctx, n, "../walkthrough/fargate.yaml"); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	text := out.String()
	sections := strings.Split(text, "==> ")
	if len(sections) != 12 {
		t.Fatalf("want the start and 10 numbered steps, got %d sections:\n%s", len(sections)-1, text)
	}
	for i, want := range map[int][]string{
		2:  {"create  eks.cluster", "create  eks.fargate-profile", "eks-test/init-fargate"},
		3:  {"a second plan has 0 pending change(s)"},
		4:  {"clean: "},
		5:  {"AdministratorAccess attached"},
		6:  {"IAM-02", "IRSA-08", "IAM-05", "FG-02", "PERM-02", "AdministratorAccess", "expected:", "actual:"},
		7:  {"new finding(s) at medium or above", "PERM-02", "permissions arn:aws:iam::aws:policy/AdministratorAccess", "trust trust policy", "- Statement[0].Condition.ArnLike"},
		8:  {"iam.role-policy-attachment"},
		9:  {"clean: "},
		10: {"kube-dns", "kubernetes"},
		11: {"fargatekit-demo-access.html", "cluster-admin"},
	} {
		for _, w := range want {
			if !strings.Contains(sections[i], w) {
				t.Errorf("step %d lacks %q:\n%s", i-1, w, sections[i])
			}
		}
	}
	if strings.Contains(text, "\x1b[") {
		t.Error("colour codes written to a non-terminal")
	}
}
