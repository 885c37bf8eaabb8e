package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// maxPolicyBytes bounds a policy document read by the policy commands,
// before it is parsed. IAM's largest documents are far smaller: a managed
// policy holds at most 6,144 characters, a role's inline policies 10,240
// together, a trust policy 2,048 by default (AssumeRolePolicySizeQuota,
// adjustable to a few thousand). 128 KiB leaves room for white space and
// URL encoding and refuses what cannot be a policy at once.
const maxPolicyBytes = 128 << 10

// maxReportBytes bounds an audit report read by the report commands.
const maxReportBytes = 256 << 20

// errTooLarge is the error of an input above its bound.
var errTooLarge = errors.New("input too large")

// readBounded reads r, refusing more than limit bytes.
func readBounded(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, tooLarge(limit, -1)
	}
	return b, nil
}

// readFileBounded reads a file, refusing one of more than limit bytes
// before reading it.
func readFileBounded(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > limit {
		return nil, tooLarge(limit, st.Size())
	}
	return readBounded(f, limit)
}

// tooLarge says that an input of size bytes (-1: more than limit) is
// refused, and names the limit.
func tooLarge(limit, size int64) error {
	got := fmt.Sprintf("more than %d bytes", limit)
	if size >= 0 {
		got = fmt.Sprintf("%d bytes", size)
	}
	if limit == maxPolicyBytes {
		return fmt.Errorf("%w (%s): a policy document is refused above %d KiB, far above IAM's largest (managed policy 6,144 characters, a role's inline policies 10,240, a trust policy 2,048 by default per AssumeRolePolicySizeQuota)", errTooLarge, got, limit>>10)
	}
	return fmt.Errorf("%w (%s): the limit is %d MiB", errTooLarge, got, limit>>20)
}
