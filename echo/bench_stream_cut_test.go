package echo

import (
	"strings"
	"testing"
)

// TestStreamIOCut cuts replies out of what a stream read returns: after a
// prefix, across reads (a header split in two), and around a damaged
// reply, which must not take the next one with it.
func TestStreamIOCut(t *testing.T) {
	const size = 40
	msg := func(seq uint64) string {
		b := []byte(BenchMagic + strings.Repeat("0", 32) + "abcd")
		fillHeader(b, seq, 7)
		return string(b)
	}
	s := &streamIO{size: size, rbuf: make([]byte, 4*size+64)}
	feed := func(data string) []string {
		if s.start > 0 {
			s.end = copy(s.rbuf, s.rbuf[s.start:s.end])
			s.start = 0
		}
		s.end += copy(s.rbuf[s.end:], data)
		s.cut()
		var got []string
		for _, f := range s.frames {
			got = append(got, string(f))
		}
		return got
	}
	m1, m2, m3 := msg(1), msg(2), msg(3)
	if got := feed("[Wed Nov 25 07:10:20 2026] " + m1 + m2[:10]); len(got) != 1 || got[0] != m1 {
		t.Fatalf("prefix, one reply and a part: cut %q, want the reply", got)
	}
	if got := feed(m2[10:] + m3[:2]); len(got) != 1 || got[0] != m2 {
		t.Fatalf("the rest of a reply: cut %q, want it whole", got)
	}
	if got := feed(m3[2:]); len(got) != 1 || got[0] != m3 {
		t.Fatalf("a reply whose header was split between reads: cut %q", got)
	}
	// A damaged reply, 10 bytes short, then a good one: the first is cut
	// at the second's header.
	m4, m5 := msg(4), msg(5)
	got := feed(m4[:30] + m5)
	if len(got) != 2 || got[0] != m4[:30] || got[1] != m5 {
		t.Fatalf("a short reply then a good one: cut %q", got)
	}
	if _, _, ok := ParseBenchReply([]byte(got[0]), size); ok {
		t.Error("the short reply parses as a reply of the size sent: it must count bad")
	}
}
