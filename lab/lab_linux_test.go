package lab_test

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/socklab/socklab/families"
	"github.com/socklab/socklab/lab"
	"github.com/socklab/socklab/lab/labtest"
	"golang.org/x/sys/unix"
)

// nsInode is the identity of a namespace, kept to look for it after its
// name is gone.
type nsInode struct{ dev, ino uint64 }

func inodeOf(t *testing.T, ns string) nsInode {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(filepath.Join(lab.NetnsDir, ns), &st); err != nil {
		t.Fatalf("namespace %s: %v", ns, err)
	}
	return nsInode{st.Dev, st.Ino}
}

// holders lists what keeps namespace n alive: threads in it and open
// descriptors of it, in every process. With none, the kernel frees it
// and everything in it, veths and nftables tables included.
func holders(n nsInode) []string {
	var found []string
	link := fmt.Sprintf("net:[%d]", n.ino)
	tasks, _ := filepath.Glob("/proc/[0-9]*/task/[0-9]*/ns/net")
	for _, p := range tasks {
		if l, _ := os.Readlink(p); l == link {
			found = append(found, p)
		}
	}
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, p := range fds {
		if l, _ := os.Readlink(p); l == link {
			found = append(found, p)
		}
	}
	return found
}

// lastingHolders is holders of n that are still there after a while:
// another test's socklab lab status may enter every lab for a moment
// (ip netns exec), and no event says when it is done, so look again.
func lastingHolders(n nsInode) []string {
	deadline := time.Now().Add(5 * time.Second)
	for {
		h := holders(n)
		if len(h) == 0 || time.Now().After(deadline) {
			return h
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// inNetns runs a command in namespace ns and returns its output.
func inNetns(t *testing.T, ns string, argv ...string) string {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"netns", "exec", ns}, argv...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s in %s: %v: %s", strings.Join(argv, " "), ns, err, out)
	}
	return string(out)
}

// rootVeths is what ip says of the veths of this namespace, with their
// aliases, to find a lab's ends should one ever be made here.
func rootVeths(t *testing.T) string {
	out, err := exec.Command("ip", "-d", "link", "show", "type", "veth").CombinedOutput()
	if err != nil {
		t.Fatalf("ip link show type veth: %v: %s", err, out)
	}
	return string(out)
}

// TestUpDownLeavesNothing builds labs of 2 and 3 hosts with every setting,
// checks that their parts exist, removes them, and checks that nothing is
// left: no namespace, no state file, nothing that keeps a namespace alive
// (so its veths and nftables table are gone with it), no veth here.
func TestUpDownLeavesNothing(t *testing.T) {
	for _, hosts := range []int{2, 3} {
		t.Run(fmt.Sprintf("%d hosts", hosts), func(t *testing.T) {
			cfg := lab.Config{Name: labtest.UniqueName(), Hosts: hosts, Loss: 10, Rate: 100e6, MTU: 1400}
			labtest.Need(t, cfg)
			l, err := lab.Up(cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { lab.Down(cfg.Name, nil) })
			inodes := checkUp(t, l)
			if _, err := lab.Up(cfg); !errors.Is(err, lab.ErrExists) {
				t.Errorf("a second Up of %s: want ErrExists, got %v", cfg.Name, err)
			}
			r, err := lab.Down(cfg.Name, nil)
			if err != nil || len(r.Netns) != hosts || !r.State || r.Leftover != "" {
				t.Fatalf("Down: %+v, %v", r, err)
			}
			checkGone(t, cfg.Name, inodes)
			if r, err := lab.Down(cfg.Name, nil); err != nil || !r.Empty() {
				t.Errorf("a second Down: %+v, %v; want nothing removed, no error", r, err)
			}
		})
	}
}

// checkUp checks that l's namespaces, veths and nftables table exist, and
// returns the namespaces' identities.
func checkUp(t *testing.T, l *lab.Lab) map[string]nsInode {
	t.Helper()
	inodes := map[string]nsInode{}
	for _, h := range l.Hosts {
		inodes[h.Netns] = inodeOf(t, h.Netns)
		links := inNetns(t, h.Netns, "ip", "-d", "link", "show", "type", "veth")
		if n := strings.Count(links, "alias socklab lab "+l.Name+": to "); n != len(h.Links) {
			t.Errorf("%s has %d veths of the lab, want %d:\n%s", h.Netns, n, len(h.Links), links)
		}
	}
	srv, _ := l.Host(lab.Server)
	if tables := inNetns(t, srv.Netns, "nft", "list", "tables"); !strings.Contains(tables, "table inet "+lab.Table) {
		t.Errorf("the server has no nftables table %s: %s", lab.Table, tables)
	}
	if _, err := os.Stat(filepath.Join(lab.StateDir, l.Name+".json")); err != nil {
		t.Errorf("no state file: %v", err)
	}
	if v := rootVeths(t); strings.Contains(v, "socklab lab "+l.Name) {
		t.Errorf("a veth of the lab is in this namespace:\n%s", v)
	}
	return inodes
}

// checkGone checks that nothing of lab name is left.
func checkGone(t *testing.T, name string, inodes map[string]nsInode) {
	t.Helper()
	for ns, n := range inodes {
		if _, err := os.Stat(filepath.Join(lab.NetnsDir, ns)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("namespace %s is still named: %v", ns, err)
		}
		if h := lastingHolders(n); len(h) > 0 {
			t.Errorf("namespace %s is gone by name but kept alive by %v", ns, h)
		}
	}
	if _, err := os.Stat(filepath.Join(lab.StateDir, name+".json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state file left: %v", err)
	}
	if v := rootVeths(t); strings.Contains(v, "socklab lab "+name) {
		t.Errorf("a veth of the lab is left here:\n%s", v)
	}
	all, err := lab.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range all {
		if st.Name == name {
			t.Errorf("List still shows the lab: %+v", st)
		}
	}
}

// A lab whose builder died halfway (a state file saying "creating" with a
// PID that has ended, one namespace made) is listed with the reason and
// removed by the next Down; so are namespaces with no state file.
func TestDownFindsLeftovers(t *testing.T) {
	cfg := lab.Config{Name: labtest.UniqueName()}
	labtest.Need(t, cfg)
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	state := fmt.Sprintf(`{"name":%q,"state":"creating","pid":%d,"hosts":[{"role":"client","netns":%q},{"role":"server","netns":%q}]}`,
		cfg.Name, dead.Process.Pid, lab.NetnsName(cfg.Name, lab.Client), lab.NetnsName(cfg.Name, lab.Server))
	os.MkdirAll(lab.StateDir, 0o755)
	if err := os.WriteFile(filepath.Join(lab.StateDir, cfg.Name+".json"), []byte(state), 0o644); err != nil {
		t.Fatal(err)
	}
	other := labtest.UniqueName() // namespaces only
	for _, ns := range []string{lab.NetnsName(cfg.Name, lab.Client), lab.NetnsName(other, lab.Server)} {
		if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
			t.Fatalf("ip netns add %s: %v: %s", ns, err, out)
		}
	}
	t.Cleanup(func() { lab.Down(cfg.Name, nil); lab.Down(other, nil) })
	want := map[string]string{cfg.Name: "left half-built by pid", other: "no state file"}
	all, err := lab.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range all {
		if w, ok := want[st.Name]; ok {
			if !strings.Contains(st.Problem, w) || len(st.Netns) != 1 {
				t.Errorf("lab %s: problem %q, namespaces %v; want %q and one namespace", st.Name, st.Problem, st.Netns, w)
			}
			delete(want, st.Name)
		}
	}
	if len(want) > 0 {
		t.Errorf("List does not show %v", want)
	}
	for _, name := range []string{cfg.Name, other} {
		inode := inodeOf(t, lab.NetnsName(name, map[string]string{cfg.Name: lab.Client, other: lab.Server}[name]))
		r, err := lab.Down(name, nil)
		if err != nil || len(r.Netns) != 1 || r.Leftover == "" {
			t.Errorf("Down(%s): %+v, %v", name, r, err)
		}
		checkGone(t, name, map[string]nsInode{r.Netns[0]: inode})
	}
}

// udpPair opens a UDP server in the lab's server and a client in its
// client, of IP version v.
func udpPair(t *testing.T, l *lab.Lab, v int) (srv, cl families.Conn, to net.Addr) {
	t.Helper()
	def, bind := families.UDP4(), "%s:0"
	if v == 6 {
		def, bind = families.UDP6(), "[%s]:0"
	}
	s, _ := l.Host(lab.Server)
	c, _ := l.Host(lab.Client)
	err := s.Do(func() (err error) {
		srv, err = def.Open(families.Options{Addr: fmt.Sprintf(bind, s.Addr(v))})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	if err := c.Do(func() (err error) { cl, err = def.Open(families.Options{}); return err }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return srv, cl, srv.LocalAddr()
}

// With --loss 10%, about 10% of the datagrams sent to the server are lost
// (a binomial count: 2000 sent, 5% to 15% is over seven standard
// deviations either way), and the rule's counter accounts for every one.
func TestLoss(t *testing.T) {
	l := labtest.New(t, lab.Config{Hosts: 3, Loss: 10})
	for _, v := range []int{4, 6} {
		t.Run(fmt.Sprintf("udp%d", v), func(t *testing.T) {
			srv, cl, to := udpPair(t, l, v)
			families.SetBuffers(srv, 8<<20, 0)
			before := dropped(t, l)
			const n = 2000
			got := make(chan int)
			go func() { got <- countUntilQuiet(srv) }()
			msg := []byte("socklab lab loss")
			for range n {
				if _, err := cl.WriteTo(msg, to); err != nil {
					t.Fatal(err)
				}
			}
			received := <-got
			queue, _ := families.Drops(srv)
			lost := n - received
			if lost < n*5/100 || lost > n*15/100 {
				t.Errorf("%d of %d lost with 10%% loss: want 5%% to 15%%", lost, n)
			}
			if rule := dropped(t, l) - before; rule+uint64(queue) != uint64(lost) {
				t.Errorf("%d lost, but the rule dropped %d and the queue %d", lost, rule, queue)
			}
			t.Logf("%d of %d lost", lost, n)
		})
	}
}

// countUntilQuiet counts datagrams until none has come for 300 ms, once
// the first has come (which may wait for neighbour discovery on the way).
func countUntilQuiet(c families.Conn) int {
	buf := make([]byte, 2048)
	n := 0
	for {
		wait := 300 * time.Millisecond
		if n == 0 {
			wait = 5 * time.Second
		}
		c.SetReadDeadline(time.Now().Add(wait))
		if _, _, err := c.ReadFrom(buf); err != nil {
			return n
		}
		n++
	}
}

func dropped(t *testing.T, l *lab.Lab) uint64 {
	t.Helper()
	all, err := lab.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range all {
		if st.Name == l.Name && st.HaveDropped {
			return st.Dropped
		}
	}
	t.Fatalf("lab %s has no loss counter", l.Name)
	return 0
}

// With --mtu 1280 on the router-server link, a 1400-byte datagram the
// client sends with DF set is refused by the router (ICMP fragmentation
// needed), the client learns the path MTU of 1280, and a datagram that
// fits in it arrives.
func TestMTU(t *testing.T) {
	l := labtest.New(t, lab.Config{Hosts: 3, MTU: 1280})
	srv, cl, to := udpPair(t, l, 4)
	dst := netip.MustParseAddrPort(to.String())
	var fd int
	err := families.Control(cl, func(f int) error {
		fd = f
		if err := unix.SetsockoptInt(f, unix.IPPROTO_IP, unix.IP_MTU_DISCOVER, unix.IP_PMTUDISC_DO); err != nil {
			return err
		}
		if err := unix.SetsockoptInt(f, unix.IPPROTO_IP, unix.IP_RECVERR, 1); err != nil {
			return err
		}
		return unix.Connect(f, &unix.SockaddrInet4{Addr: dst.Addr().As4(), Port: int(dst.Port())})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Send(fd, make([]byte, 1400), 0); err != nil {
		t.Fatalf("the first 1400-byte datagram fits the client's own link: %v", err)
	}
	// The router's ICMP error comes back on the socket's error queue.
	cl.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := cl.ReadFrom(make([]byte, 2048)); !errors.Is(err, unix.EMSGSIZE) {
		t.Fatalf("after a 1400-byte datagram with DF: want EMSGSIZE from the router's ICMP error, got %v", err)
	}
	if mtu, err := unix.GetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_MTU); err != nil || mtu != 1280 {
		t.Errorf("path MTU %d, %v: want 1280", mtu, err)
	}
	if err := unix.Send(fd, make([]byte, 1400), 0); !errors.Is(err, unix.EMSGSIZE) {
		t.Errorf("a second 1400-byte datagram: want EMSGSIZE, got %v", err)
	}
	if err := unix.Send(fd, make([]byte, 1280-28), 0); err != nil {
		t.Fatal(err)
	}
	srv.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, _, err := srv.ReadFrom(make([]byte, 2048)); err != nil || n != 1252 {
		t.Errorf("the server read %d bytes, %v: want the 1252-byte datagram", n, err)
	}
}
