package echo

import (
	"bytes"
	"testing"
)

// FuzzBenchHeader writes a header with fillHeader and finds it again with
// ParseBenchReply behind any prefix a server may add, as a bench does with
// every reply; a header that is not lowercase hex is not one.
func FuzzBenchHeader(f *testing.F) {
	f.Add([]byte(nil), uint64(0), int64(0), 64)
	f.Add([]byte("[Tue Nov 24 19:08:00 2026] "), uint64(42), int64(1000), 36)
	f.Add([]byte(BenchMagic), ^uint64(0), int64(-1), 1500)
	f.Fuzz(func(t *testing.T, prefix []byte, seq uint64, ns int64, size int) {
		if size < BenchHeaderLen || size > 1<<16 || bytes.Contains(prefix, benchMagic) {
			return // ParseBenchReply takes the first magic: a prefix must not hold one
		}
		buf := make([]byte, size)
		copy(buf, BenchMagic)
		fillHeader(buf, seq, ns)
		reply := append(append([]byte(nil), prefix...), buf...)
		gotSeq, gotNs, ok := ParseBenchReply(reply, size)
		if !ok || gotSeq != seq || gotNs != ns {
			t.Fatalf("header of %d at %d behind %q: parsed %d at %d, %v", seq, ns, prefix, gotSeq, gotNs, ok)
		}
		if _, _, ok := ParseBenchReply(reply, size+1); ok {
			t.Errorf("a reply of %d bytes from the header on parsed as %d", size, size+1)
		}
		h := reply[len(prefix):]
		h[len(BenchMagic)+5] = 'A' // not a digit putHex writes
		if _, _, ok := ParseBenchReply(reply, size); ok {
			t.Errorf("a header with an uppercase digit parsed: %q", h[:BenchHeaderLen])
		}
	})
}
