package rawsock

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

// maxFuzzPacket bounds the input of the fuzz targets that take packets:
// longer inputs return at once. FuzzParseIPv4 was seen to stall at
// "0 execs/s" 3 to 45 s into a run; GODEBUG=fuzzdebug=1 shows why. Go's
// fuzzer keeps an 8-bit counter per edge, which wraps from 255 to 1, and
// counts as new coverage each power of two a counter rounds down to that
// it has not seen on that edge. A loop run n times thus finds "new
// coverage" when n lands in a new bucket, so inputs grew to thousands of
// bytes by lengthening the per-byte loops of Dump, String and fmt alone.
// Each new input is then minimized in a worker, one byte removed at a
// time: O(n²) runs of a target whose cost is O(n), for up to
// -fuzzminimizetime (60 s by default), and the worker reports no
// executions until it is done. With both workers minimizing inputs of
// some 6,000 bytes, the count stood still until the run ended (a known
// weakness of the engine: golang/go#48820, #51484). Every branch of these
// parsers lies within the 60 bytes of an IPv4 header and the 8 of a
// transport header, and the output loops are the same at 256 bytes as at
// 65,535: at 256 a run keeps some 25,000 execs/s and the longest
// minimization takes about a second (at 1,500 bytes, a minute still). The
// CI step (.ci/fuzz) also caps minimization, for every target.
const maxFuzzPacket = 256

// FuzzParseIPProto: what parses is a protocol number, and it reads back
// from its name and its number; what does not gets the one-line error that
// lists the valid names.
func FuzzParseIPProto(f *testing.F) {
	for _, s := range []string{"udp", "ICMP", "Gre", "experimental", "253", "0", "255", "256", "-1", "+17", "", " udp", "ipv6-icmp", "raw"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseIPProto(s)
		if err != nil {
			if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, "out of range") && !strings.Contains(msg, "use a number 0-255 or one of hopopt, icmp") {
				t.Fatalf("ParseIPProto(%q) error %q", s, msg)
			}
			return
		}
		if n < 0 || n > 255 {
			t.Fatalf("ParseIPProto(%q) = %d, not an IP protocol number", s, n)
		}
		for _, again := range []string{IPProtoName(n), strconv.Itoa(n)} {
			if m, err := ParseIPProto(again); err != nil || m != n {
				t.Fatalf("ParseIPProto(%q) = %d, but %q reads back as %d, %v", s, n, again, m, err)
			}
		}
	})
}

// FuzzFields: Fields cuts any bytes into fields that lie inside them, in
// order, without overlap, from offset 0 on; with a header length that fits
// they cover every byte. Dump prints each field's name.
func FuzzFields(f *testing.F) {
	for _, p := range []IPv4Packet{
		{Dst: netip.MustParseAddr("127.0.0.1"), TTL: 64, Proto: ProtoUDP, SrcPort: 4000, DstPort: 53, Payload: []byte("hello")},
		{Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"), TTL: 1, ID: 7, DF: true, Proto: ProtoICMP, EchoID: 1, EchoSeq: 2, Payload: Pattern(40)},
		{Dst: netip.MustParseAddr("127.0.0.1"), TTL: 64, Proto: 253, MF: true, FragOffset: 3, Payload: []byte("frag")},
	} {
		f.Add(mustMarshal(f, p))
	}
	f.Add([]byte{0x46, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0, 2}) // a header with options
	f.Add([]byte{0x4f, 0, 0, 20})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > maxFuzzPacket {
			return
		}
		fs := Fields(b)
		end := 0
		for _, fl := range fs {
			if fl.Offset != end || fl.Len < 0 || fl.Offset+fl.Len > len(b) {
				t.Fatalf("field %+v after byte %d of %d", fl, end, len(b))
			}
			end = fl.Offset + fl.Len
		}
		if ihl := ihlOf(b); len(b) >= 20 && ihl >= 20 && ihl <= len(b) && end != len(b) {
			t.Fatalf("fields of a %d-byte packet with a %d-byte header end at %d", len(b), ihl, end)
		}
		d := Dump(b)
		for _, fl := range fs {
			if !strings.Contains(d, fl.Name) {
				t.Fatalf("dump lacks field %q:\n%s", fl.Name, d)
			}
		}
	})
}

func ihlOf(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	return int(b[0]&0x0f) * 4
}

func mustMarshal(tb testing.TB, p IPv4Packet) []byte {
	tb.Helper()
	b, err := p.Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
