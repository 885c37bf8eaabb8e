package eksfargate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/fargatekit/fargatekit/internal/suggest"

	"sigs.k8s.io/yaml"
)

// LoadOptions configure LoadSpec. The zero value decodes the document as it
// is, without expansion.
type LoadOptions struct {
	// Env looks up the environment variables that ${NAME} references in the
	// document name (see ExpandEnv for the rules). nil means no expansion:
	// ${NAME} and $$ stay as they are. Pass os.LookupEnv to expand from the
	// process environment.
	Env func(name string) (string, bool)
}

// LoadSpec decodes a versioned YAML (or JSON) spec:
//
//	apiVersion: fargatekit.io/v1alpha1
//	kind: FargateCluster
//	name: eks-test
//	region: ap-northeast-1
//	...
//
// Decoding is strict: a field the spec does not have, a key given twice, a
// value of the wrong type or a wrong apiVersion or kind is an error. Unknown
// fields and type errors are reported together as a *ValidationError whose
// problems carry the field path (spec.cluster.logginng). Field names match
// exactly, unlike encoding/json's case-insensitive matching. A file holds
// one document: a second one (after a "---" line) is a *ValidationError
// naming its line. With LoadOptions.Env, ${NAME} references are expanded
// first (ExpandEnv); one that cannot be is an *ExpandError naming the
// variable and its line. LoadSpec does not apply defaults or validate the
// content: Plan does both (or call Defaults and Validate).
func LoadSpec(data []byte, opts ...func(*LoadOptions)) (*Spec, error) {
	var o LoadOptions
	for _, f := range opts {
		f(&o)
	}
	if line := secondDocument(data); line != 0 {
		return nil, &ValidationError{Problems: []Problem{{Path: "spec",
			Rule: fmt.Sprintf("line %d starts a second YAML document; a spec file holds one", line),
			Fix:  "remove the second document, or move it to a file of its own"}}}
	}
	data, err := ExpandEnv(data, o.Env)
	if err != nil {
		return nil, err
	}
	generic, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return nil, fmt.Errorf("eksfargate: spec: %w", err)
	}
	var doc any
	if err := decodeGeneric(generic, &doc); err != nil {
		return nil, fmt.Errorf("eksfargate: spec: %w", err)
	}
	if doc == nil {
		return nil, &ValidationError{Problems: []Problem{{Path: "spec", Rule: "the document is empty",
			Fix: "start with apiVersion: " + APIVersion + " and kind: " + Kind}}}
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return nil, &ValidationError{Problems: []Problem{{Path: "spec", Rule: "the document is not a mapping",
			Fix: "start with apiVersion: " + APIVersion + " and kind: " + Kind}}}
	}
	var problems []Problem
	unknownFields(doc, reflect.TypeFor[Spec](), "spec", &problems)
	problems = append(problems, headerProblems(m)...)
	if len(problems) > 0 {
		return nil, &ValidationError{Problems: problems}
	}
	var s Spec
	if err := yaml.Unmarshal(data, &s); err != nil {
		return nil, decodeError("spec", err)
	}
	return &s, nil
}

// headerProblems checks apiVersion and kind.
func headerProblems(m map[string]any) []Problem {
	var out []Problem
	for _, h := range []struct{ key, want string }{{"apiVersion", APIVersion}, {"kind", Kind}} {
		got, present := m[h.key]
		s, _ := got.(string)
		switch {
		case !present:
			out = append(out, Problem{Path: "spec." + h.key, Rule: h.key + " is missing",
				Fix: fmt.Sprintf("add %s: %s", h.key, h.want)})
		case s != h.want:
			out = append(out, Problem{Path: "spec." + h.key, Rule: fmt.Sprintf("%s is %v; this version of fargatekit reads %s", h.key, got, h.want),
				Fix: fmt.Sprintf("set %s: %s", h.key, h.want)})
		}
	}
	return out
}

// decodeGeneric decodes JSON into generic values, keeping numbers as
// json.Number, and refuses trailing data.
func decodeGeneric(data []byte, v *any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return err
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return errors.New("unexpected data after the document")
	}
	return nil
}

// decodeError turns a type error of encoding/json into a problem with the
// field path; other errors are wrapped.
func decodeError(root string, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		path := root
		if te.Field != "" {
			path += "." + te.Field
		}
		return &ValidationError{Problems: []Problem{{Path: path,
			Rule: fmt.Sprintf("a %s value where %s is expected", te.Value, jsonTypeName(te.Type)),
			Fix:  "write a " + jsonTypeName(te.Type) + " (quote version numbers such as \"1.30\")"}}}
	}
	return fmt.Errorf("eksfargate: %s: %w", root, err)
}

func jsonTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "list"
	case reflect.Map, reflect.Struct:
		return "mapping"
	}
	return t.String()
}

// unknownFields walks a generic document along the Go type t and reports
// every key that t has no field for, with its path. Keys match the json tag
// exactly.
func unknownFields(v any, t reflect.Type, path string, out *[]Problem) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return // a type error, reported by the decoder
		}
		fields := jsonFields(t)
		for _, k := range specSortedKeys(m) {
			ft, ok := fields[k]
			if !ok {
				p := Problem{Path: path + "." + k, Rule: fmt.Sprintf("unknown field %q", k),
					Fix: "remove it"}
				if near := nearestField(k, fields); near != "" {
					p.Fix = fmt.Sprintf("did you mean %q?", near)
				}
				*out = append(*out, p)
				continue
			}
			unknownFields(m[k], ft, path+"."+k, out)
		}
	case reflect.Slice, reflect.Array:
		l, ok := v.([]any)
		if !ok {
			return
		}
		for i, e := range l {
			unknownFields(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i), out)
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		for _, k := range specSortedKeys(m) {
			unknownFields(m[k], t.Elem(), path+"["+strconv.Quote(k)+"]", out)
		}
	}
}

// jsonFields maps the JSON names of t's fields to their types, following
// embedded structs as encoding/json does.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				for k, v := range jsonFields(et) {
					if _, ok := out[k]; !ok {
						out[k] = v
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// nearestField suggests a known field for a misspelt key: one that equals it
// ignoring case, or is within two edits.
func nearestField(key string, fields map[string]reflect.Type) string {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	best, bestD := "", 3
	for _, n := range names {
		if strings.EqualFold(n, key) {
			return n
		}
		if d := editDistance(strings.ToLower(n), strings.ToLower(key), bestD); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b, or max when it is at
// least max.
func editDistance(a, b string, max int) int { return suggest.Distance(a, b, max) }

// fargateProfileCLIInput is the document of `aws eks create-fargate-profile
// --cli-input-json`.
type fargateProfileCLIInput struct {
	FargateProfileName  string            `json:"fargateProfileName"`
	ClusterName         string            `json:"clusterName"`
	PodExecutionRoleArn string            `json:"podExecutionRoleArn"`
	Subnets             []string          `json:"subnets"`
	Selectors           []cliSelector     `json:"selectors"`
	ClientRequestToken  string            `json:"clientRequestToken"`
	Tags                map[string]string `json:"tags"`
}

type cliSelector struct {
	Namespace string            `json:"namespace"`
	Labels    map[string]string `json:"labels"`
}

// ParseFargateProfileCLIInput reads the JSON document that
// `aws eks create-fargate-profile --cli-input-json file://init-fargate.json`
// takes (fargateProfileName, clusterName, podExecutionRoleArn, subnets,
// selectors with namespace and labels, clientRequestToken, tags) and returns
// it as a FargateProfileSpec plus the cluster it names. Unknown fields,
// values of the wrong type and missing required fields (fargateProfileName,
// clusterName, selectors) are reported as a *ValidationError with paths into
// the document. The profile's content is checked when it becomes part of a
// spec (Spec.Validate). clientRequestToken is accepted and ignored:
// fargatekit makes its own.
func ParseFargateProfileCLIInput(data []byte) (FargateProfileSpec, string, error) {
	var doc any
	if err := decodeGeneric(data, &doc); err != nil {
		return FargateProfileSpec{}, "", fmt.Errorf("eksfargate: create-fargate-profile input: %w", err)
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return FargateProfileSpec{}, "", &ValidationError{Problems: []Problem{{Path: "(document)",
			Rule: "the document is not a JSON object", Fix: `write {"fargateProfileName": …, "clusterName": …, "selectors": […]}`}}}
	}
	var problems []Problem
	unknownFields(doc, reflect.TypeFor[fargateProfileCLIInput](), "", &problems)
	for i := range problems {
		problems[i].Path = strings.TrimPrefix(problems[i].Path, ".")
	}
	for _, req := range []string{"fargateProfileName", "clusterName", "selectors"} {
		if _, ok := m[req]; !ok {
			problems = append(problems, Problem{Path: req, Rule: req + " is required", Fix: "add it"})
		}
	}
	if len(problems) > 0 {
		return FargateProfileSpec{}, "", &ValidationError{Problems: problems}
	}
	var in fargateProfileCLIInput
	if err := json.Unmarshal(data, &in); err != nil {
		var ve *ValidationError
		if errors.As(decodeError("", err), &ve) {
			for i := range ve.Problems {
				ve.Problems[i].Path = strings.TrimPrefix(ve.Problems[i].Path, ".")
			}
			return FargateProfileSpec{}, "", ve
		}
		return FargateProfileSpec{}, "", fmt.Errorf("eksfargate: create-fargate-profile input: %w", err)
	}
	p := FargateProfileSpec{
		Name:                in.FargateProfileName,
		PodExecutionRoleARN: in.PodExecutionRoleArn,
		Subnets:             in.Subnets,
		Tags:                in.Tags,
	}
	for _, s := range in.Selectors {
		p.Selectors = append(p.Selectors, Selector{Namespace: s.Namespace, Labels: s.Labels})
	}
	if p.Selectors == nil {
		p.Selectors = []Selector{}
	}
	return p, in.ClusterName, nil
}
