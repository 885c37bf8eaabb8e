package iamtrust

import "testing"

// BenchmarkCapabilities evaluates the whole catalogue of RiskyActions for a
// role with three policies and a boundary: the per-role cost of PERM-02..04.
func BenchmarkCapabilities(b *testing.B) {
	p := &Permissions{Partition: "aws"}
	for i, d := range []string{polFargate, polLogs, polNotRes} {
		doc, err := Parse([]byte(d))
		if err != nil {
			b.Fatal(err)
		}
		p.Policies = append(p.Policies, PermissionPolicy{Source: string(rune('a' + i)), Doc: doc})
	}
	bd, _ := Parse([]byte(polOneBucket))
	p.Boundary = &PermissionPolicy{Source: "boundary", Doc: bd}
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Capabilities()
	}
}
