package echo_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/socklab/socklab/echo"
	"github.com/socklab/socklab/echo/echotest"
	"github.com/socklab/socklab/families"
)

// TestBenchStream runs the bench over a connection of every stream family
// against socklab's stream server, in both modes: a loopback path loses
// nothing and a byte-for-byte echo frames cleanly.
func TestBenchStream(t *testing.T) {
	for _, f := range streamFamilies(t) {
		for _, mode := range []echo.BenchMode{echo.BenchPingPong, echo.BenchThroughput} {
			t.Run(f.d.Name+"/"+mode.String(), func(t *testing.T) {
				addr := f.addr
				if f.d.Spec.Family == families.AF_UNIX {
					addr += mode.String()
				}
				s := echotest.StartStream(t, f.d, addr, echo.StreamConfig{Reply: echo.ReplyEcho, Quiet: true})
				c := echotest.Dial(t, f.d, s.Addr())
				r, err := echo.BenchStream(context.Background(), c, echo.BenchConfig{Mode: mode, Count: 2000, Inflight: 16, Size: 100})
				if err != nil {
					t.Fatal(err)
				}
				checkClean(t, r, 2000)
			})
		}
	}
}

// TestBenchStreamSeedServer: the seed's reply puts "[ctime] " before each
// read's answer; in ping-pong each read is one message, and the bench
// skips the prefix to find its header.
func TestBenchStreamSeedServer(t *testing.T) {
	d := families.TCP4()
	s := echotest.StartStream(t, d, "127.0.0.1:0", echo.StreamConfig{Quiet: true})
	r, err := echo.BenchStream(context.Background(), echotest.Dial(t, d, s.Addr()), echo.BenchConfig{Mode: echo.BenchPingPong, Count: 300})
	if err != nil {
		t.Fatal(err)
	}
	checkClean(t, r, 300)
}

// TestBenchStreamServerCloses: a server that ends the connection ends the
// bench with an error that says so.
func TestBenchStreamServerCloses(t *testing.T) {
	c, sc := accepted(t, families.UnixStream(), filepath.Join(t.TempDir(), "s"))
	sc.Close()
	_, err := echo.BenchStream(context.Background(), c, echo.BenchConfig{Count: 10})
	var fe *families.Error
	if !errors.As(err, &fe) || fe.Op != "read" && fe.Op != "send" {
		t.Errorf("bench after the server closed: %v, want a read or send *families.Error", err)
	}
}
