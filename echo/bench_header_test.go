package echo

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
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

// TestHexDigits: putHex writes what %016x does, and getHex reads it back,
// for the edges of every nibble; anything but a lowercase digit is refused.
func TestHexDigits(t *testing.T) {
	for _, v := range []uint64{0, 1, 9, 10, 15, 16, 0x99, 0xaa, 0xff, 0x0123456789abcdef, 0xfedcba9876543210, 0x9a9a9a9a9a9a9a9a, ^uint64(0)} {
		var b [16]byte
		putHex(b[:], v)
		if want := fmt.Sprintf("%016x", v); string(b[:]) != want {
			t.Errorf("putHex(%#x) = %q, want %q", v, b[:], want)
		}
		if got, ok := getHex(b[:]); !ok || got != v {
			t.Errorf("getHex(%q) = %#x, %v", b[:], got, ok)
		}
	}
	for c := range 256 {
		b := []byte("0123456789abcdef")
		b[7] = byte(c)
		_, ok := getHex(b)
		if want := strings.IndexByte(hexDigits, byte(c)) >= 0; ok != want {
			t.Errorf("getHex with byte %#x: ok %v, want %v", c, ok, want)
		}
	}
}

// BenchmarkBenchHeader writes and reads back the headers of 1024 datagrams
// with random sequence numbers and times, as a bench does for each one:
// fixed numbers would let the branch predictor learn them.
func BenchmarkBenchHeader(b *testing.B) {
	const n = 1024
	bufs := make([][]byte, n)
	vals := make([]uint64, 2*n)
	for i := range bufs {
		bufs[i] = make([]byte, 64)
		copy(bufs[i], BenchMagic)
		vals[2*i], vals[2*i+1] = rand.Uint64(), rand.Uint64()>>1
	}
	i := 0
	for b.Loop() {
		buf := bufs[i%n]
		fillHeader(buf, vals[2*(i%n)], int64(vals[2*(i%n)+1]))
		if _, _, ok := ParseBenchReply(buf, 64); !ok {
			b.Fatal("header not parsed")
		}
		i++
	}
}
