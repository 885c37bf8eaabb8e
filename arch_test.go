package fargatekit_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// sdkOp matches the names of AWS API operations that read or write.
var sdkOp = regexp.MustCompile(`^(List|Describe|Get|Create|Update|Delete|Attach|Detach|Put|Associate|Disassociate|Tag|Untag|Add|Remove|Set|Modify|Allocate|Release|Replace)[A-Z][A-Za-z]+$`)

// paginator matches the SDK's paginator constructors (iam.NewListRolesPaginator).
var paginator = regexp.MustCompile(`^New((List|Describe|Get)[A-Za-z]+?)Paginator$`)

// kubeGroups are the client-go group accessors whose resources fargatekit
// reads.
var kubeGroups = []string{"CoreV1", "AppsV1", "RbacV1"}

// call is an AWS or Kubernetes API call found in the source.
type call struct{ op, pkg, pos string }

// apiCalls parses the module's non-test Go files (outside envtest, tools,
// testdata and examples) and returns their AWS API calls (a method call
// with an operation's name whose first argument is ctx, or a paginator of
// an SDK service package) and their Kubernetes reads (Get or List on a
// client-go resource).
func apiCalls(t *testing.T) (aws, kubeReads []call) {
	t.Helper()
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "envtest", "tools", "testdata", "examples":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		imports := map[string]string{} // local name → import path
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			name := p[strings.LastIndexByte(p, '/')+1:]
			if im.Name != nil {
				name = im.Name.Name
			}
			imports[name] = p
		}
		pkg := filepath.ToSlash(filepath.Dir(path))
		ast.Inspect(f, func(n ast.Node) bool {
			ce, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := ce.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			name := sel.Sel.Name
			pos := fset.Position(ce.Pos()).String()
			if id, ok := sel.X.(*ast.Ident); ok && imports[id.Name] != "" {
				// A package-level function: only SDK paginators count.
				if m := paginator.FindStringSubmatch(name); m != nil && strings.HasPrefix(imports[id.Name], "github.com/aws/aws-sdk-go-v2/service/") {
					aws = append(aws, call{m[1], pkg, pos})
				}
				return true
			}
			if sdkOp.MatchString(name) && len(ce.Args) > 0 {
				if id, ok := ce.Args[0].(*ast.Ident); ok && id.Name == "ctx" {
					aws = append(aws, call{name, pkg, pos})
				}
			}
			if name == "Get" || name == "List" {
				if kind := kubeKind(sel.X); kind != "" {
					kubeReads = append(kubeReads, call{kind, pkg, pos})
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws, kubeReads
}

// kubeKind returns the resource of a client-go chain such as
// kube.CoreV1().ConfigMaps(ns), or "".
func kubeKind(x ast.Expr) string {
	ce, ok := x.(*ast.CallExpr)
	if !ok {
		return ""
	}
	sel, ok := ce.Fun.(*ast.SelectorExpr)
	if !ok {
		return ""
	}
	inner, ok := sel.X.(*ast.CallExpr)
	if !ok {
		return ""
	}
	group, ok := inner.Fun.(*ast.SelectorExpr)
	if !ok || !slices.Contains(kubeGroups, group.Sel.Name) {
		return ""
	}
	return group.Sel.Name + "." + sel.Sel.Name
}

// byOp groups calls by operation: operation → packages.
func byOp(calls []call) map[string][]string {
	m := map[string][]string{}
	for _, c := range calls {
		if !slices.Contains(m[c.op], c.pkg) {
			m[c.op] = append(m[c.op], c.pkg)
		}
	}
	for _, p := range m {
		sort.Strings(p)
	}
	return m
}

// TestOneObserverOneWritePath holds the architecture: every AWS read is
// made by eksfargate/observe, every AWS operation is called from one
// package only, and every Kubernetes object kind is read by
// eksfargate/observe only.
func TestOneObserverOneWritePath(t *testing.T) {
	aws, kube := apiCalls(t)
	if len(aws) < 50 {
		t.Fatalf("found only %d AWS API calls: the scan is broken", len(aws))
	}
	for op, pkgs := range byOp(aws) {
		if len(pkgs) > 1 {
			t.Errorf("AWS operation %s is called from %d packages: %v", op, len(pkgs), pkgs)
		}
	}
	for _, c := range aws {
		if (strings.HasPrefix(c.op, "List") || strings.HasPrefix(c.op, "Describe") || strings.HasPrefix(c.op, "Get")) && c.pkg != "eksfargate/observe" {
			t.Errorf("%s: AWS read %s outside eksfargate/observe", c.pos, c.op)
		}
	}
	if len(kube) < 10 {
		t.Fatalf("found only %d Kubernetes reads: the scan is broken", len(kube))
	}
	for _, c := range kube {
		if c.pkg != "eksfargate/observe" {
			t.Errorf("%s: Kubernetes read of %s outside eksfargate/observe", c.pos, c.op)
		}
	}
}
