package echo_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/socklab/socklab/echo"
	"github.com/socklab/socklab/echo/echotest"
	"github.com/socklab/socklab/families"
	"golang.org/x/sys/unix"
)

// netns is a network namespace made for one test with ip netns, removed
// when the test ends, whatever happens.
type netns struct {
	name string
}

// newNetns makes a network namespace with its loopback up, or skips the test
// saying why it cannot.
func newNetns(t *testing.T) *netns {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: network namespaces and nftables need root (CI runs as root)")
	}
	for _, tool := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("skipping: %s is not installed (apt-get install -y nftables iproute2)", tool)
		}
	}
	var b [4]byte
	rand.Read(b[:])
	ns := &netns{name: fmt.Sprintf("socklab-bench-%d-%s", os.Getpid(), hex.EncodeToString(b[:]))}
	if out, err := exec.Command("ip", "netns", "add", ns.name).CombinedOutput(); err != nil {
		t.Skipf("skipping: cannot make a network namespace here: ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", ns.name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", ns.name, err, out)
		}
	})
	ns.run(t, nil, "ip", "link", "set", "lo", "up")
	return ns
}

// run runs a command inside the namespace.
func (ns *netns) run(t *testing.T, stdin *string, args ...string) {
	t.Helper()
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns.name}, args...)...)
	if stdin != nil {
		cmd.Stdin = strings.NewReader(*stdin)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("in netns %s: %s: %v: %s", ns.name, strings.Join(args, " "), err, out)
	}
}

// open opens a socket inside the namespace: a socket belongs to the
// namespace of the thread that creates it, so this happens on a locked
// thread that joins the namespace and is then discarded.
func (ns *netns) open(t *testing.T, def *families.Definition, o families.Options) families.Conn {
	t.Helper()
	type result struct {
		c   families.Conn
		err error
	}
	ch := make(chan result)
	go func() {
		// No UnlockOSThread: the thread, now in the namespace, ends
		// with this goroutine.
		runtime.LockOSThread()
		f, err := os.Open("/run/netns/" + ns.name)
		if err != nil {
			ch <- result{err: err}
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- result{err: fmt.Errorf("setns: %w", err)}
			return
		}
		c, err := def.Open(o)
		ch <- result{c, err}
	}()
	r := <-ch
	if r.err != nil {
		t.Fatalf("open %s in netns %s: %v", def.Name, ns.name, r.err)
	}
	t.Cleanup(func() { r.c.Close() })
	return r.c
}

// An nftables rule that drops a random 10% of the datagrams to the server:
// bench reports about 10% lost (a binomial count: over 3000 datagrams, 5% to
// 15% is more than seven standard deviations either way).
func TestBenchNetnsRandomLoss(t *testing.T) {
	ns := newNetns(t)
	for _, def := range []*families.Definition{families.UDP4(), families.UDP6()} {
		t.Run(def.Name, func(t *testing.T) {
			addr := "127.0.0.1:0"
			if def.Name == "udp6" {
				addr = "[::1]:0"
			}
			s := ns.open(t, def, families.Options{Addr: addr})
			c := ns.open(t, def, families.Options{})
			echotest.Serve(t, s, echo.ServerConfig{Reply: echo.ReplyEcho})
			_, port, err := net.SplitHostPort(s.LocalAddr().String())
			if err != nil {
				t.Fatal(err)
			}
			rules := fmt.Sprintf(`table inet socklab_bench_%s {
	chain input {
		type filter hook input priority 0; policy accept;
		udp dport %s numgen random mod 10 0 drop
	}
}
`, def.Name, port)
			ns.run(t, &rules, "nft", "-f", "-")

			r, err := echo.Bench(context.Background(), c, s.LocalAddr(), echo.BenchConfig{Count: 3000, Inflight: 64, Timeout: 50 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			if r.Sent != 3000 || r.LostPct < 5 || r.LostPct > 15 || r.Received+r.Lost != r.Sent {
				t.Errorf("sent %d received %d lost %d (%.2f%%) with 10%% dropped at random: want 3000 sent, 5-15%% lost",
					r.Sent, r.Received, r.Lost, r.LostPct)
			}
			if r.Duplicates != 0 || r.Bad != 0 {
				t.Errorf("duplicates %d bad %d, want 0", r.Duplicates, r.Bad)
			}
			t.Logf("%d of %d lost (%.2f%%)", r.Lost, r.Sent, r.LostPct)
		})
	}
}
