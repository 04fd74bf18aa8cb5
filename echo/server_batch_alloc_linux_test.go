package echo

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/socklab/socklab/families"
	"github.com/socklab/socklab/families/familytest"
	"golang.org/x/sys/unix"
)

// TestBatchAllocs runs the batch hot path (receive a batch, answer it) under
// testing.AllocsPerRun: 0 allocations per batch of 8 datagrams, for every
// family and reply.
func TestBatchAllocs(t *testing.T) {
	defs := []struct {
		def  *families.Definition
		addr string
	}{
		{families.UDP4(), "127.0.0.1:0"},
		{families.UDP6(), "[::1]:0"},
		{families.Unix(), filepath.Join(t.TempDir(), "a.sock")},
	}
	for _, d := range defs {
		for _, reply := range []Reply{ReplySeed, ReplyEcho, ReplySockperf} {
			t.Run(d.def.Name+"/"+reply.String(), func(t *testing.T) {
				c, err := d.def.Open(families.Options{Addr: d.addr})
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				bc, ok := families.AsBatch(c)
				if !ok {
					t.Fatal("no batch path for", c.Spec())
				}
				s := newBatchServer(bc, ServerConfig{Reply: reply}.withDefaults())
				s.ctx = context.Background()
				fd := familytest.RawClient(t, c.LocalAddr())
				msg := make([]byte, 64)
				if reply == ReplySockperf {
					AppendSockperfHeader(msg[:0], SockperfHeader{Seq: 1, Flags: SockperfClient | SockperfPongRequest, Length: 64})
				}
				buf := make([]byte, 256)
				const batch = 8
				allocs := testing.AllocsPerRun(200, func() {
					for range batch {
						for {
							if err := unix.Sendto(fd, msg, 0, nil); err != unix.EINTR {
								if err != nil {
									t.Fatal(err)
								}
								break
							}
						}
					}
					want := s.st.Datagrams + batch
					for s.st.Datagrams < want {
						if err := s.once(); err != nil {
							t.Fatal(err)
						}
					}
					for range batch {
						for {
							if _, err := unix.Read(fd, buf); err != unix.EINTR {
								if err != nil {
									t.Fatal(err)
								}
								break
							}
						}
					}
				})
				if allocs != 0 {
					t.Errorf("%v allocations per batch of %d, want 0", allocs, batch)
				}
				if s.st.SendErrors != 0 || s.peers.len() != 1 {
					t.Errorf("stats %+v, peers %d", s.st, s.peers.len())
				}
			})
		}
	}
}

// TestCtimeCacheAllocs: the seed's prefix is formatted without allocating,
// also when the second changes on every call.
func TestCtimeCacheAllocs(t *testing.T) {
	var c ctimeCache
	tm := time.Date(2026, 11, 24, 19, 8, 0, 0, time.Local)
	allocs := testing.AllocsPerRun(1000, func() {
		tm = tm.Add(time.Second)
		c.prefix(tm)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per formatting, want 0", allocs)
	}
	if got, want := string(c.prefix(tm)), "["+tm.Format(time.ANSIC)+"] "; got != want {
		t.Errorf("prefix %q, want %q", got, want)
	}
}
