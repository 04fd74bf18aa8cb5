package main

// Helpers for the IP-layer tests: the lab package's labs where a client,
// a router and a server do (labtest.New), and, for what they do not have
// (one namespace, three hosts on a bridge), namespaces of rawNetns joined
// by veth pairs; a static multicast route in a router namespace, tshark
// on an interface, and sockets opened inside a namespace.

import (
	"encoding/binary"
	"fmt"
	"os/exec"
	"regexp"
	"syscall"
	"testing"

	"github.com/socklab/socklab/echo/echotest"
	"github.com/socklab/socklab/families"
	"github.com/socklab/socklab/lab"
	"github.com/socklab/socklab/lab/labtest"
	"golang.org/x/sys/unix"
)

// newLab builds a lab of the lab package for the test (client, server, and
// a router between with three hosts), and returns it with the namespace
// and addresses of each role: "client", "router", "server".
func newLab(t *testing.T, cfg lab.Config) (*lab.Lab, *ipLab) {
	t.Helper()
	l := labtest.New(t, cfg)
	il := &ipLab{t: t, ns: map[string]string{}}
	for _, h := range l.Hosts {
		il.ns[h.Role] = h.Netns
	}
	return l, il
}

// addr is role's IPv4 (v 4) or IPv6 (v 6) address in lab l, on its first
// link: the client side's, for the router.
func addr(t *testing.T, l *lab.Lab, role string, v int) string {
	t.Helper()
	h, err := l.Host(role)
	if err != nil {
		t.Fatal(err)
	}
	return h.Addr(v).String()
}

// ipLab is a set of namespaces, by role, made for one test.
type ipLab struct {
	t  *testing.T
	ns map[string]string
}

// newIPLab makes one namespace per role, with loopback up and IPv6
// duplicate address detection off (addresses are usable at once).
func newIPLab(t *testing.T, roles ...string) *ipLab {
	t.Helper()
	l := &ipLab{t: t, ns: map[string]string{}}
	// Kernel receive timestamps on for the lab's life (the switch is one
	// for all namespaces), so that a test reading them finds one on the
	// first datagram.
	echotest.KernelStampsOn(t)
	for _, r := range roles {
		l.ns[r] = rawNetns(t, r)
		l.sh(r, "sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0")
	}
	return l
}

// sh runs a shell script in a role's namespace.
func (l *ipLab) sh(role, script string) string {
	l.t.Helper()
	return rawSh(l.t, l.ns[role], script)
}

// link joins role a's interface ia to role b's ib with a veth pair, both
// up.
func (l *ipLab) link(a, ia, b, ib string) {
	l.t.Helper()
	rawSh(l.t, "", fmt.Sprintf("ip link add %s netns %s type veth peer name %s netns %s", ia, l.ns[a], ib, l.ns[b]))
	l.sh(a, "ip link set "+ia+" up")
	l.sh(b, "ip link set "+ib+" up")
}

// run runs socklab in a role's namespace, to completion.
func (l *ipLab) run(role string, args ...string) result {
	l.t.Helper()
	return socklabWith(l.t, runOpts{netns: l.ns[role]}, args...)
}

// serve starts a socklab server in a role's namespace.
func (l *ipLab) serve(role string, args ...string) *server {
	l.t.Helper()
	return startServerWith(l.t, runOpts{netns: l.ns[role]}, args...)
}

// openIn opens a socket of def in namespace ns, closed when the test ends.
func openIn(t *testing.T, ns string, def *families.Definition, o families.Options) families.Conn {
	t.Helper()
	var c families.Conn
	inNetns(t, ns, func() error {
		var err error
		c, err = def.Open(o)
		return err
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// Linux's IPv4 multicast routing API (linux/mroute.h).
const (
	mrtInit   = 200 // MRT_INIT
	mrtAddVif = 202 // MRT_ADD_VIF
	mrtAddMfc = 204 // MRT_ADD_MFC
	viffIndex = 0x8 // VIFF_USE_IFINDEX
)

// staticMroute makes the router namespace forward IPv4 multicast from
// origin to group, arriving on interface in and leaving by out, to
// datagrams whose TTL is above 1 (the threshold of out): what a multicast
// routing daemon would install. The kernel forwards while the socket that
// made the route is open, until the test ends.
func staticMroute(t *testing.T, ns, in, out, origin, group string) {
	t.Helper()
	inNetns(t, ns, func() error {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_IGMP)
		if err != nil {
			return fmt.Errorf("IGMP raw socket: %w", err)
		}
		t.Cleanup(func() { unix.Close(fd) })
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, mrtInit, 1); err != nil {
			return fmt.Errorf("MRT_INIT (is CONFIG_IP_MROUTE on?): %w", err)
		}
		for vif, name := range []string{in, out} {
			ifi, err := families.LookupInterface(name)
			if err != nil {
				return err
			}
			// struct vifctl: vifi, flags, threshold, rate_limit,
			// lcl (the ifindex), rmt.
			var v [16]byte
			binary.NativeEndian.PutUint16(v[0:], uint16(vif))
			v[2], v[3] = viffIndex, 1
			binary.NativeEndian.PutUint32(v[8:], uint32(ifi.Index))
			if err := setsockoptRaw(fd, mrtAddVif, v[:]); err != nil {
				return fmt.Errorf("MRT_ADD_VIF %s: %w", name, err)
			}
		}
		// struct mfcctl: origin, group, parent vif, ttls[32], counters.
		var m [60]byte
		copy(m[0:4], parseIP4(origin))
		copy(m[4:8], parseIP4(group))
		binary.NativeEndian.PutUint16(m[8:], 0)
		m[10+1] = 1 // vif 1 forwards datagrams whose TTL is above 1
		if err := setsockoptRaw(fd, mrtAddMfc, m[:]); err != nil {
			return fmt.Errorf("MRT_ADD_MFC: %w", err)
		}
		return nil
	})
}

func setsockoptRaw(fd, opt int, b []byte) error {
	return unix.SetsockoptString(fd, unix.IPPROTO_IP, opt, string(b))
}

func parseIP4(s string) []byte {
	var b [4]byte
	fmt.Sscanf(s, "%d.%d.%d.%d", &b[0], &b[1], &b[2], &b[3])
	return b[:]
}

// tshark captures on an interface of namespace ns ("" for this one) with
// a capture filter, printing one line of fields per packet; it returns once
// tshark says it is capturing. It skips the test when tshark is missing.
func tshark(t *testing.T, ns, iface, filter string, fields ...string) *proc {
	t.Helper()
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("needs tshark to check the wire (.ci/run installs it)")
	}
	args := []string{"tshark", "-n", "-l", "-i", iface, "-f", filter, "-T", "fields"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	if ns != "" {
		args = append([]string{"ip", "netns", "exec", ns}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	// tshark captures through a dumpcap child that holds its output open:
	// stop the whole process group, so the output ends.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := startCmd(t, cmd, args)
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	// tshark says "Capture started" once dumpcap captures; its earlier
	// "Capturing on" line can come before a packet would be seen.
	p.waitLine(&p.stderr, regexp.MustCompile(`Capture started`))
	return p
}
