package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/fargatekit/fargatekit/audit"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/fargatekit/fargatekit/eksfargate"
	"github.com/fargatekit/fargatekit/envtest"
)

// namespace is the namespace a Fargate profile must select for the jobs.
const namespace = "fargatekit-audit"

// decodeFile decodes every document of a manifest strictly (unknown or
// duplicate fields are errors) into client-go's typed objects.
func decodeFile(t *testing.T, name string) []runtime.Object {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := decode(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return objs
}

func decode(data []byte) ([]runtime.Object, error) {
	dec := serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()
	r := yaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var out []runtime.Object
	for i := 0; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		obj, _, err := dec.Decode(doc, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		out = append(out, obj)
	}
}

// TestStrictDecoding makes sure the decoder of these tests refuses what
// kubectl apply --validate=strict refuses.
func TestStrictDecoding(t *testing.T) {
	for _, tc := range []struct{ name, doc string }{
		{"unknown field", "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: x}\nspec:\n  concurencyPolicy: Forbid\n"},
		{"duplicate field", "apiVersion: batch/v1\nkind: Job\nmetadata: {name: x}\nspec:\n  completions: 1\n  completions: 2\n"},
		{"unknown kind", "apiVersion: batch/v1\nkind: CronJobs\nmetadata: {name: x}\n"},
	} {
		if _, err := decode([]byte(tc.doc)); err == nil {
			t.Errorf("%s: decoded without error", tc.name)
		}
	}
}

// TestCronJobManifest checks cronjob.yaml: a batch/v1 CronJob that never
// overlaps, runs as a non-root ServiceAccount with an IRSA role, sizes its
// Fargate pod by requests, and passes arguments the program accepts.
func TestCronJobManifest(t *testing.T) {
	objs := decodeFile(t, "cronjob.yaml")
	sa := only[*corev1.ServiceAccount](t, objs)
	cj := only[*batchv1.CronJob](t, objs)
	only[*corev1.Namespace](t, objs)
	checkNamespaces(t, objs)

	if cj.APIVersion != "batch/v1" {
		t.Errorf("CronJob apiVersion %q, want batch/v1", cj.APIVersion)
	}
	if cj.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent {
		t.Errorf("concurrencyPolicy %q, want Forbid", cj.Spec.ConcurrencyPolicy)
	}
	job := cj.Spec.JobTemplate.Spec
	if job.BackoffLimit == nil {
		t.Error("no backoffLimit")
	}
	checkIRSAServiceAccount(t, sa)
	pod := job.Template.Spec
	if pod.ServiceAccountName != sa.Name {
		t.Errorf("serviceAccountName %q, want %q", pod.ServiceAccountName, sa.Name)
	}
	checkPod(t, "CronJob", pod)

	// The arguments and environment are ones the program accepts, and fail
	// on high findings.
	c := pod.Containers[0]
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	f, err := parseFlags(c.Args, func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("the program refuses the CronJob's arguments %q: %v", c.Args, err)
	}
	if f.failOn == nil || f.failOn.String() != "high" || f.region == "" {
		t.Errorf("args %q: want a region and -fail-on high", c.Args)
	}
	// A finding (exit 1) fails the Job at once rather than being retried.
	if job.PodFailurePolicy == nil || !slices.ContainsFunc(job.PodFailurePolicy.Rules, func(r batchv1.PodFailurePolicyRule) bool {
		return r.Action == batchv1.PodFailurePolicyActionFailJob && r.OnExitCodes != nil && slices.Contains(r.OnExitCodes.Values, 1)
	}) {
		t.Error("no podFailurePolicy rule that fails the Job on exit code 1")
	}
}

// shardArg is the shard flag of the Indexed Job's pods.
var shardArg = regexp.MustCompile(`--shard \$\(JOB_COMPLETION_INDEX\)/(\d+)\b`)

// TestIndexedJobManifest checks indexed-job.yaml: an Indexed Job with one
// completion per shard of --shard $(JOB_COMPLETION_INDEX)/N, reading the
// accounts file from the ConfigMap and writing one report per index to the
// shared volume, and a merge Job that joins exactly those reports.
func TestIndexedJobManifest(t *testing.T) {
	objs := decodeFile(t, "indexed-job.yaml")
	checkNamespaces(t, objs)
	cm := only[*corev1.ConfigMap](t, objs)
	pvc := only[*corev1.PersistentVolumeClaim](t, objs)
	pv := only[*corev1.PersistentVolume](t, objs)
	var shards, merge *batchv1.Job
	for _, o := range objs {
		if j, ok := o.(*batchv1.Job); ok {
			if j.APIVersion != "batch/v1" {
				t.Errorf("Job %s: apiVersion %q, want batch/v1", j.Name, j.APIVersion)
			}
			if j.Spec.CompletionMode != nil && *j.Spec.CompletionMode == batchv1.IndexedCompletion {
				shards = j
			} else {
				merge = j
			}
		}
	}
	if shards == nil || merge == nil {
		t.Fatal("want an Indexed Job and a merge Job")
	}

	// completions agrees with the shard count in the arguments.
	c := shards.Spec.Template.Spec.Containers[0]
	cmdline := strings.Join(append(append([]string{}, c.Command...), c.Args...), " ")
	m := shardArg.FindStringSubmatch(cmdline)
	if m == nil {
		t.Fatalf("no --shard $(JOB_COMPLETION_INDEX)/N in %q", cmdline)
	}
	n, _ := strconv.Atoi(m[1])
	if shards.Spec.Completions == nil || int(*shards.Spec.Completions) != n {
		t.Errorf("completions %s, want the shard count %d", deref(shards.Spec.Completions), n)
	}
	if shards.Spec.Parallelism == nil || *shards.Spec.Parallelism < 1 || *shards.Spec.Parallelism > int32(n) {
		t.Errorf("parallelism %s, want 1..%d", deref(shards.Spec.Parallelism), n)
	}

	// The accounts file is a key of the ConfigMap mounted in the pod, and
	// every shard gets at least one account.
	accountsFile := flagValue(t, cmdline, "--accounts-file")
	mounts := mountsOf(shards.Spec.Template.Spec, c)
	vol, ok := mounts[path.Dir(accountsFile)]
	if !ok || vol.ConfigMap == nil || vol.ConfigMap.Name != cm.Name {
		t.Fatalf("--accounts-file %s is not in a mounted ConfigMap %s", accountsFile, cm.Name)
	}
	accounts := 0
	for _, l := range strings.Split(cm.Data[path.Base(accountsFile)], "\n") {
		l, _, _ = strings.Cut(l, "#")
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		if a, err := arn.Parse(l); err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") {
			t.Errorf("accounts file: %q is not a role ARN", l)
		}
		accounts++
	}
	if accounts < n {
		t.Errorf("%d account(s) for %d shards: some shards would audit nothing", accounts, n)
	}

	// Each index writes its report on the shared volume; the merge Job
	// reads exactly those N reports from the same volume.
	const shardFile = "/reports/shard-$(JOB_COMPLETION_INDEX).json"
	if !strings.Contains(cmdline, "> "+shardFile+".tmp") || !strings.Contains(cmdline, "mv "+shardFile+".tmp "+shardFile) {
		t.Errorf("the shards do not write %s: %q", shardFile, cmdline)
	}
	if v, ok := mounts["/reports"]; !ok || v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ClaimName != pvc.Name {
		t.Errorf("the shards do not mount the claim %s at /reports", pvc.Name)
	}
	if merge.Spec.Suspend == nil || !*merge.Spec.Suspend {
		t.Error("the merge Job is not suspended: it would run before the shards finish")
	}
	mpod := merge.Spec.Template.Spec
	if len(mpod.InitContainers) != 1 {
		t.Fatalf("merge Job: %d init containers, want the merge", len(mpod.InitContainers))
	}
	mc := mpod.InitContainers[0]
	var wantArgs []string
	for i := range n {
		wantArgs = append(wantArgs, fmt.Sprintf("/reports/shard-%d.json", i))
	}
	var gotArgs []string
	for _, a := range mc.Args {
		if strings.HasPrefix(a, "/reports/shard-") {
			gotArgs = append(gotArgs, a)
		}
	}
	if !slices.Equal(wantArgs, gotArgs) || !slices.Equal(mc.Args[:2], []string{"report", "merge"}) {
		t.Errorf("merge args %q, want report merge %q", mc.Args, wantArgs)
	}
	if v, ok := mountsOf(mpod, mc)["/reports"]; !ok || v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ClaimName != pvc.Name {
		t.Errorf("the merge does not mount the claim %s at /reports", pvc.Name)
	}
	if !slices.Contains(pvc.Spec.AccessModes, corev1.ReadWriteMany) || pvc.Spec.VolumeName != pv.Name {
		t.Errorf("claim %s: want ReadWriteMany bound to %s", pvc.Name, pv.Name)
	}
	// The nightly loop: last night's merged report is the baseline, the
	// suppressions file parses, and the merge stores the next baseline.
	if !strings.Contains(cmdline, "--baseline /reports/baseline.json") || !strings.Contains(cmdline, "--suppressions /etc/fargatekit/suppressions.yaml") {
		t.Errorf("the shards do not audit against the baseline with the suppressions: %q", cmdline)
	}
	if _, err := audit.ParseSuppressions([]byte(cm.Data["suppressions.yaml"])); err != nil {
		t.Errorf("the example's suppressions do not parse: %v", err)
	}
	render := strings.Join(mpod.Containers[0].Args, " ")
	for _, want := range []string{"-o openmetrics", "/reports/metrics/fargatekit.prom", "/reports/baseline.json", "exit $rc"} {
		if !strings.Contains(render, want) {
			t.Errorf("the merge Job's render step lacks %q: %q", want, render)
		}
	}
	checkPod(t, "shard Job", shards.Spec.Template.Spec)
	checkPod(t, "merge Job", mpod)
}

// TestManifestsServerDryRun sends every object to a real kube-apiserver with
// dryRun=All and strict field validation: the API server's own validation
// (podFailurePolicy needs restartPolicy Never, backoffLimitPerIndex an
// Indexed Job, …) accepts them.
func TestManifestsServerDryRun(t *testing.T) {
	kube := envtest.NewKube(t)
	ctx := t.Context()
	// Namespaced objects are checked against an existing namespace.
	if _, err := kube.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"cronjob.yaml", "indexed-job.yaml"} {
		for _, obj := range decodeFile(t, file) {
			if err := dryRun(ctx, kube.Client, obj); err != nil {
				t.Errorf("%s: %T: %v", file, obj, err)
			}
		}
	}
}

func dryRun(ctx context.Context, c kubernetes.Interface, obj runtime.Object) error {
	o := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict"}
	var err error
	switch x := obj.(type) {
	case *corev1.Namespace:
		_, err = c.CoreV1().Namespaces().Create(ctx, x, o)
		if err == nil || strings.Contains(err.Error(), "already exists") {
			return nil
		}
	case *corev1.ServiceAccount:
		_, err = c.CoreV1().ServiceAccounts(x.Namespace).Create(ctx, x, o)
	case *corev1.ConfigMap:
		_, err = c.CoreV1().ConfigMaps(x.Namespace).Create(ctx, x, o)
	case *corev1.PersistentVolume:
		_, err = c.CoreV1().PersistentVolumes().Create(ctx, x, o)
	case *corev1.PersistentVolumeClaim:
		_, err = c.CoreV1().PersistentVolumeClaims(x.Namespace).Create(ctx, x, o)
	case *batchv1.Job:
		_, err = c.BatchV1().Jobs(x.Namespace).Create(ctx, x, o)
	case *batchv1.CronJob:
		_, err = c.BatchV1().CronJobs(x.Namespace).Create(ctx, x, o)
	default:
		return fmt.Errorf("no dry run for %T", obj)
	}
	return err
}

// only returns the one object of type T.
func only[T runtime.Object](t *testing.T, objs []runtime.Object) T {
	t.Helper()
	var found []T
	for _, o := range objs {
		if x, ok := o.(T); ok {
			found = append(found, x)
		}
	}
	if len(found) != 1 {
		var zero T
		t.Fatalf("%d objects of type %T, want 1", len(found), zero)
	}
	return found[0]
}

// checkNamespaces checks that every namespaced object is in namespace.
func checkNamespaces(t *testing.T, objs []runtime.Object) {
	t.Helper()
	for _, o := range objs {
		m, err := metaOf(o)
		if err != nil {
			t.Fatal(err)
		}
		switch o.(type) {
		case *corev1.Namespace, *corev1.PersistentVolume:
			continue
		}
		if m.GetNamespace() != namespace {
			t.Errorf("%T %s: namespace %q, want %q (the one the Fargate profile selects)", o, m.GetName(), m.GetNamespace(), namespace)
		}
	}
}

func metaOf(o runtime.Object) (metav1.Object, error) {
	m, ok := o.(metav1.Object)
	if !ok {
		return nil, fmt.Errorf("%T has no object metadata", o)
	}
	return m, nil
}

// checkIRSAServiceAccount checks the role annotation of a ServiceAccount.
func checkIRSAServiceAccount(t *testing.T, sa *corev1.ServiceAccount) {
	t.Helper()
	a, err := arn.Parse(sa.Annotations["eks.amazonaws.com/role-arn"])
	if err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") {
		t.Errorf("ServiceAccount %s: eks.amazonaws.com/role-arn %q is not an IAM role ARN", sa.Name, sa.Annotations["eks.amazonaws.com/role-arn"])
	}
}

// checkPod checks what every pod of these jobs needs on Fargate: Never
// restarted in place, not root, no privilege escalation, and CPU and
// memory requests (Fargate sizes the pod from them) equal to the limits.
func checkPod(t *testing.T, what string, pod corev1.PodSpec) {
	t.Helper()
	if pod.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("%s: restartPolicy %q, want Never", what, pod.RestartPolicy)
	}
	if sc := pod.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 {
		t.Errorf("%s: the pod does not run as a non-root user", what)
	}
	if pod.ServiceAccountName == "" {
		t.Errorf("%s: no serviceAccountName (the IRSA role)", what)
	}
	for _, c := range append(append([]corev1.Container{}, pod.InitContainers...), pod.Containers...) {
		sc := c.SecurityContext
		if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || (sc.Privileged != nil && *sc.Privileged) {
			t.Errorf("%s: container %s may escalate privileges", what, c.Name)
		}
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			req, ok := c.Resources.Requests[r]
			if !ok || req.IsZero() {
				t.Errorf("%s: container %s requests no %s", what, c.Name, r)
				continue
			}
			if lim, ok := c.Resources.Limits[r]; !ok || lim.Cmp(req) != 0 {
				t.Errorf("%s: container %s %s limit %v differs from its request %v", what, c.Name, r, c.Resources.Limits[r], req)
			}
		}
	}
}

// mountsOf maps the mount paths of container c to their volumes.
func mountsOf(pod corev1.PodSpec, c corev1.Container) map[string]corev1.Volume {
	vols := map[string]corev1.Volume{}
	for _, v := range pod.Volumes {
		vols[v.Name] = v
	}
	out := map[string]corev1.Volume{}
	for _, m := range c.VolumeMounts {
		out[m.MountPath] = vols[m.Name]
	}
	return out
}

// flagValue returns the value after name in a command line.
func flagValue(t *testing.T, cmdline, name string) string {
	t.Helper()
	f := strings.Fields(cmdline)
	i := slices.Index(f, name)
	if i < 0 || i+1 >= len(f) {
		t.Fatalf("no %s in %q", name, cmdline)
	}
	return f[i+1]
}

func deref(p *int32) string {
	if p == nil {
		return "unset"
	}
	return strconv.Itoa(int(*p))
}

// TestREADMESpecFragment checks that the spec fragment of README.md is a
// valid part of a fargatekit spec.
func TestREADMESpecFragment(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "```yaml\n")
	fragment, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("no yaml block in README.md")
	}
	header := "apiVersion: fargatekit.io/v1alpha1\nkind: FargateCluster\nname: eks-test\nregion: ap-northeast-1\n" +
		"network: {vpc: {cidr: 192.168.0.0/16}}\nclusterRole: {name: eksClusterRole}\npodExecutionRole: {name: AmazonEKSFargatePodExecutionRole}\n"
	s, err := eksfargate.LoadSpec([]byte(header + fragment))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Defaults().Validate(); err != nil {
		t.Fatal(err)
	}
	if len(s.IRSA.ServiceAccounts) != 1 || s.IRSA.ServiceAccounts[0].Namespace != namespace || s.FargateProfiles[0].Selectors[0].Namespace != namespace {
		t.Errorf("the fragment does not select and wire the namespace %s: %+v", namespace, s)
	}
}
