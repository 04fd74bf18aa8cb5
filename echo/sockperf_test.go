package echo_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/socklab/socklab/echo"
)

func sockperfMsg(seq uint64, flags uint16, length uint32, payload string) []byte {
	b := echo.AppendSockperfHeader(nil, echo.SockperfHeader{Seq: seq, Flags: flags, Length: length})
	return append(b, payload...)
}

// TestSockperfHeader pins the wire format against a datagram sockperf 3.7
// sent (ping-pong, seq 1, CLIENT|PONG_REQUEST, 20 bytes).
func TestSockperfHeader(t *testing.T) {
	wire := []byte{0, 0, 0, 0, 0, 0, 0, 1, 0, 3, 0, 0, 0, 0x14, 0xb7, 0x31, 0x58, 0xa3, 0x5a, 0x25}
	h, ok := echo.ParseSockperfHeader(wire)
	if !ok || h != (echo.SockperfHeader{Seq: 1, Flags: echo.SockperfClient | echo.SockperfPongRequest, Length: 20}) {
		t.Fatalf("ParseSockperfHeader = %+v, %v", h, ok)
	}
	if got := echo.AppendSockperfHeader(nil, h); !bytes.Equal(got, wire[:echo.SockperfHeaderLen]) {
		t.Errorf("AppendSockperfHeader = % x, want % x", got, wire[:14])
	}
	if _, ok := echo.ParseSockperfHeader(wire[:13]); ok {
		t.Error("a 13-byte datagram parsed as a header")
	}
}

// TestSockperfPong follows what sockperf 3.7's server was seen to do with
// each kind of message (see sockperf.go).
func TestSockperfPong(t *testing.T) {
	const c, p, w = echo.SockperfClient, echo.SockperfPongRequest, echo.SockperfWarmup
	cases := []struct {
		name string
		in   []byte
		want []byte // nil: no reply
	}{
		{"ping", sockperfMsg(5, c|p, 20, "abcdef"), sockperfMsg(5, p, 20, "abcdef")},
		{"header only", sockperfMsg(5, c|p, 14, ""), sockperfMsg(5, p, 14, "")},
		{"other flags kept", sockperfMsg(5, c|p|0x10, 16, "hi"), sockperfMsg(5, p|0x10, 16, "hi")},
		{"length shorter: reply that much", sockperfMsg(9, c|p, 14, "zz"), sockperfMsg(9, p, 14, "")},
		{"no pong request (under-load)", sockperfMsg(5, c, 16, "xx"), nil},
		{"not a client", sockperfMsg(5, p, 16, "yy"), nil},
		{"warm-up", sockperfMsg(5, c|p|w, 15, "w"), nil},
		{"length past the datagram", sockperfMsg(9, c|p, 100, "zz"), nil},
		{"length below the header", sockperfMsg(9, c|p, 13, ""), nil},
		{"too short", []byte("short"), nil},
	}
	for _, tc := range cases {
		got, ok := echo.SockperfPong(append([]byte(nil), tc.in...))
		if ok != (tc.want != nil) || !bytes.Equal(got, tc.want) {
			t.Errorf("%s: SockperfPong = % x, %v; want % x", tc.name, got, ok, tc.want)
		}
		// Reply.Answer agrees, without touching its input.
		in := append([]byte(nil), tc.in...)
		out, ok := echo.ReplySockperf.Answer(nil, in, time.Time{})
		if ok != (tc.want != nil) || !bytes.Equal(out, tc.want) || !bytes.Equal(in, tc.in) {
			t.Errorf("%s: Answer = % x, %v; want % x and the input unchanged", tc.name, out, ok, tc.want)
		}
	}
}
