package rawsock

import (
	"bytes"
	"testing"

	"golang.org/x/net/icmp"
)

// TestFloodReaderDecodesAsDecodeICMP: what the flood reader decodes in
// place, from a raw IPv4 socket's packet (header with options) or a raw
// IPv6 socket's message, is what ReadICMP's DecodeICMP gives for the
// fields the pinger matches on; anything but an echo reply is left to
// DecodeICMP.
func TestFloodReaderDecodesAsDecodeICMP(t *testing.T) {
	for _, v := range []int{4, 6} {
		req, rep := echoTypes(v)
		for _, typ := range []icmp.Type{rep, req} {
			msg, err := marshalEcho(typ, 0x1234, 0xbeef, Pattern(56))
			if err != nil {
				t.Fatal(err)
			}
			r := &floodReader{ver: v, buf: make([]byte, 65536), oob: make([]byte, 64)}
			r.reply = typeNumber(rep)
			n := copy(r.buf, msg)
			if v == 4 {
				hdr := []byte{0x46, 0, 0, 0, 0, 0, 0, 0, 61, 1, 0, 0, 10, 0, 0, 7, 127, 0, 0, 1, 1, 1, 1, 1} // IHL 6: one option word
				n = copy(r.buf, append(hdr, msg...))
			}
			b, ttl, from, ok := r.strip(n, 0)
			if !ok || !bytes.Equal(b, msg) || v == 4 && (ttl != 61 || from.String() != "10.0.0.7") {
				t.Fatalf("v%d strip: ok %v ttl %d from %v, %x", v, ok, ttl, from, b)
			}
			got := r.decodeReply(b)
			want, err := DecodeICMP(v, b)
			if err != nil {
				t.Fatal(err)
			}
			if typ != rep {
				if got != nil {
					t.Errorf("v%d: decoded a %v in place", v, typ)
				}
				continue
			}
			if got == nil || got.Type != want.Type || got.Code != want.Code || !got.isEchoReply() || !want.isEchoReply() ||
				got.Echo.ID != want.Echo.ID || got.Echo.Seq != want.Echo.Seq || !bytes.Equal(got.Echo.Data, want.Echo.Data) {
				t.Errorf("v%d: in place %+v %+v, DecodeICMP %+v %+v", v, got, got.Echo, want, want.Echo)
			}
		}
	}
}

func TestFloodReaderRefusesBadHeaders(t *testing.T) {
	r := &floodReader{ver: 4, buf: make([]byte, 64), oob: make([]byte, 64)}
	for _, hdr := range [][]byte{{0x45, 0, 0}, {0x65, 0, 0, 0, 0, 0, 0, 0, 64, 1, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2}, {0x4f, 0, 0, 0, 0, 0, 0, 0, 64, 1, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2}} {
		n := copy(r.buf, hdr)
		if _, _, _, ok := r.strip(n, 0); ok {
			t.Errorf("strip took % x", hdr)
		}
	}
}
