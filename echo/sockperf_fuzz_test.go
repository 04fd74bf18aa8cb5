package echo_test

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/socklab/socklab/echo"
)

// FuzzSockperfPong holds SockperfPong to what sockperf's server does, for
// any datagram: a reply is a prefix of the request, as long as its length
// field says, with only the CLIENT flag changed; no reply leaves the request
// untouched; a reply is never answered again; ReplySockperf agrees without
// touching its input, after anything already in dst.
func FuzzSockperfPong(f *testing.F) {
	const c, p, w = echo.SockperfClient, echo.SockperfPongRequest, echo.SockperfWarmup
	msg := func(flags uint16, length uint32, payload string) []byte {
		b := echo.AppendSockperfHeader(nil, echo.SockperfHeader{Seq: 7, Flags: flags, Length: length})
		return append(b, payload...)
	}
	f.Add(msg(c|p, 20, "abcdef"))
	f.Add(msg(c|p, 14, ""))
	f.Add(msg(c|p|w, 16, "wu"))
	f.Add(msg(c|p, 13, "x"))
	f.Add(msg(c|p, 1<<32-1, "big"))
	f.Add([]byte("short"))
	f.Fuzz(func(t *testing.T, in []byte) {
		b := append([]byte(nil), in...)
		reply, ok := echo.SockperfPong(b)
		checkPong(t, in, b, reply, ok)

		out, aok := echo.ReplySockperf.Answer([]byte("dst"), in, time.Time{})
		if aok != ok || !bytes.Equal(out[3:], reply) || string(out[:3]) != "dst" {
			t.Errorf("Answer(%x) = %x, %v; SockperfPong said %x, %v", in, out, aok, reply, ok)
		}
		if ok {
			if _, again := echo.SockperfPong(append([]byte(nil), reply...)); again {
				t.Errorf("the reply %x asks for a reply itself", reply)
			}
		}
	})
}

// checkPong checks SockperfPong's answer to in, made in place in b.
func checkPong(t *testing.T, in, b, reply []byte, ok bool) {
	t.Helper()
	if !ok {
		if reply != nil || !bytes.Equal(b, in) {
			t.Fatalf("no reply to %x, yet reply %x and the buffer became %x", in, reply, b)
		}
		return
	}
	h, _ := echo.ParseSockperfHeader(in)
	if h.Flags&echo.SockperfClient == 0 || h.Flags&echo.SockperfPongRequest == 0 || h.Flags&echo.SockperfWarmup != 0 {
		t.Fatalf("answered %x, whose flags %#x ask for no reply", in, h.Flags)
	}
	if len(reply) != int(h.Length) || len(reply) < echo.SockperfHeaderLen || &reply[0] != &b[0] {
		t.Fatalf("reply to %x is %d bytes at another place, want the first %d of the request", in, len(reply), h.Length)
	}
	want := append([]byte(nil), in[:h.Length]...)
	binary.BigEndian.PutUint16(want[8:10], h.Flags&^echo.SockperfClient)
	if !bytes.Equal(reply, want) {
		t.Fatalf("reply to %x is %x, want %x: only CLIENT cleared", in, reply, want)
	}
}
