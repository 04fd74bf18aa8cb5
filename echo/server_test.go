package echo_test

import (
	"bytes"
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/socklab/socklab/echo"
	"github.com/socklab/socklab/echo/echotest"
	"github.com/socklab/socklab/families"
	"golang.org/x/sys/unix"
)

// startServer serves a new socket of d on addr with echotest.Start,
// recording its events, and returns its address, the events it reported
// (read them after stop) and a stop function that returns its Stats.
// fast_linux_test.go uses it too.
func startServer(t *testing.T, d *families.Definition, addr string, cfg echo.ServerConfig) (net.Addr, func() []echo.Event, func() echo.Stats) {
	t.Helper()
	var events echotest.Events
	cfg.OnEvent = events.Record
	s := echotest.Start(t, d, addr, cfg)
	return s.Addr(), events.All, s.Stop
}

func TestServeSeedReply(t *testing.T) {
	fixed := time.Date(2026, 11, 4, 19, 8, 0, 0, time.Local)
	addr, events, stop := startServer(t, families.UDP4(), "127.0.0.1:0", echo.ServerConfig{Now: func() time.Time { return fixed }})
	cl, err := families.UDP4().Open(families.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	client := echo.NewClient(cl, addr, echo.ClientConfig{Timeout: 2 * time.Second})
	for _, msg := range []string{"hello", "", "\x00\xff binary"} {
		r, err := client.Exchange(context.Background(), []byte(msg))
		if err != nil {
			t.Fatalf("Exchange(%q): %v", msg, err)
		}
		if want := "[Wed Nov  4 19:08:00 2026] " + msg; string(r.Data) != want {
			t.Errorf("reply %q, want %q", r.Data, want)
		}
	}
	st := stop()
	if st.Datagrams != 3 || st.Peers != 1 || st.Bytes != uint64(len("hello")+len("\x00\xff binary")) {
		t.Errorf("stats %+v, want 3 datagrams from 1 peer", st)
	}
	if evs := events(); len(evs) != 3 || evs[0].Kind != echo.EventDatagram || string(evs[0].Data) != "hello" {
		t.Errorf("events %+v", evs)
	}
}

func TestServeReportsTruncation(t *testing.T) {
	addr, events, stop := startServer(t, families.UDP4(), "127.0.0.1:0", echo.ServerConfig{Reply: echo.ReplyEcho, Bufsize: 1024})
	cl, err := families.UDP4().Open(families.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	client := echo.NewClient(cl, addr, echo.ClientConfig{})
	msg := bytes.Repeat([]byte("z"), 2000)
	r, err := client.Exchange(context.Background(), msg)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Data) != 1024 {
		t.Errorf("echo of a truncated datagram is %d bytes, want the 1024 read", len(r.Data))
	}
	st := stop()
	if st.Truncated != 1 {
		t.Errorf("Truncated = %d, want 1", st.Truncated)
	}
	var found bool
	for _, ev := range events() {
		if ev.Kind == echo.EventTruncated {
			found = ev.Size == 2000 && len(ev.Data) == 1024
		}
	}
	if !found {
		t.Errorf("no truncated event with size 2000 and 1024 bytes read: %+v", events())
	}
}

// TestServeUnboundUnixSender sends from a unix socket that never bound: the
// server cannot answer it, says so once (naming the sender by PID), counts
// every datagram, and keeps serving others, on the plain path and the batch
// path alike.
func TestServeUnboundUnixSender(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  echo.ServerConfig
		io   string
	}{
		{"plain", echo.ServerConfig{Plain: true}, echo.IOPlain},
		{"batch", echo.ServerConfig{Quiet: true}, echo.IOBatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.sock")
			addr, events, stop := startServer(t, families.Unix(), path, tc.cfg)
			fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(fd)
			// A bound client is still answered after each unbound one.
			cl, err := families.Unix().Open(families.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			client := echo.NewClient(cl, addr, echo.ClientConfig{})
			// One datagram, then two more once the server has read it:
			// the batch path turns SO_PASSCRED on at the first, so the
			// later ones name the sender.
			for _, n := range []int{1, 2} {
				for i := 0; i < n; i++ {
					if err := unix.Sendto(fd, []byte("from nowhere"), 0, &unix.SockaddrUnix{Name: path}); err != nil {
						t.Fatal(err)
					}
				}
				r, err := client.Exchange(context.Background(), []byte("hi"))
				if err != nil || !strings.HasSuffix(string(r.Data), "] hi") {
					t.Fatalf("bound client after an unbound one: %q, %v", r.Data, err)
				}
			}
			st := stop()
			var told []echo.Event
			for _, ev := range events() {
				if ev.Kind == echo.EventUnanswerable {
					told = append(told, ev)
				}
			}
			if len(told) != 1 || st.Unanswerable != 3 || st.IO != tc.io {
				t.Fatalf("unanswerable events %d (want 1, once per sender), counted %d (want 3), path %q (want %q)", len(told), st.Unanswerable, st.IO, tc.io)
			}
			if told[0].PID != unix.Getpid() || string(told[0].Data) != "from nowhere" {
				t.Errorf("unanswerable event %+v, want pid %d and the data", told[0], unix.Getpid())
			}
		})
	}
}

func TestCtimeMatchesPython(t *testing.T) {
	cases := map[time.Time]string{
		time.Date(2026, 11, 24, 19, 8, 0, 0, time.UTC): "Tue Nov 24 19:08:00 2026",
		time.Date(2026, 1, 5, 3, 4, 5, 0, time.UTC):    "Mon Jan  5 03:04:05 2026",
	}
	for tm, want := range cases {
		if got := string(echo.AppendCtime(nil, tm)); got != want {
			t.Errorf("AppendCtime(%v) = %q, want %q", tm, got, want)
		}
	}
}
