package families

import (
	"context"
	"net"
	"syscall"
)

// UnixStream is AF_UNIX, SOCK_STREAM: a byte stream per connection between
// processes on this host, addressed as unix datagram sockets are (a path or
// an "@abstract" name). Each side can ask who the other is (SO_PEERCRED).
func UnixStream() *Definition {
	return unixConnDef("unixstream", SOCK_STREAM, "unix", "unix stream socket: a byte stream per connection")
}

// Seqpacket is AF_UNIX, SOCK_SEQPACKET: a connection that keeps message
// boundaries, as datagrams do, and delivers every message in order, as a
// stream does. A read returns one message; what does not fit in the buffer
// is discarded (MSG_TRUNC).
func Seqpacket() *Definition {
	return unixConnDef("seqpacket", SOCK_SEQPACKET, "unixpacket", "unix seqpacket socket: reliable, ordered messages per connection")
}

func unixConnDef(name string, typ int, network, summary string) *Definition {
	d := &Definition{
		Name:        name,
		Summary:     summary,
		Spec:        NewSpec(AF_UNIX, typ, 0),
		Network:     network,
		DefaultAddr: "@socklab",
	}
	d.ResolveAddr = func(s string) (net.Addr, error) {
		if err := CheckUnixName(s); err != nil {
			return nil, err
		}
		return &net.UnixAddr{Name: s, Net: network}, nil
	}
	d.Listen = func(o Options) (Listener, error) { return listenStream(d, o) }
	d.Dial = func(ctx context.Context, peer net.Addr, o Options) (StreamConn, error) {
		return dialStream(ctx, d, peer, o)
	}
	return d
}

// SCTP is AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP: SCTP's one-to-many style,
// reliable messages over IP. socklab only probes it (Usable says whether
// this kernel has SCTP); it has no server or client for it.
func SCTP() *Definition {
	d := &Definition{
		Name:        "sctp",
		Summary:     "SCTP over IPv4, one-to-many (probed only: no server or client for it here)",
		Spec:        NewSpec(AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP),
		Network:     "sctp",
		DefaultAddr: "127.0.0.1:8020",
	}
	d.Probe = func() error { return probeSCTP(d.Spec) }
	return d
}

// probeSCTP opens an SCTP socket, and says when the kernel has no SCTP.
func probeSCTP(spec Spec) error {
	err := ProbeSpec(spec)
	if errno, ok := Errno(err); ok && (errno == syscall.ESOCKTNOSUPPORT || errno == syscall.EPROTONOSUPPORT) {
		if e, ok := err.(*Error); ok {
			e.Hint = "this kernel has no SCTP: it was built without CONFIG_IP_SCTP, or the sctp module is not loaded; modprobe sctp loads it"
		}
	}
	return err
}
