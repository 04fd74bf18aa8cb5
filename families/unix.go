package families

import (
	"fmt"
	"net"
	"strings"
)

// MaxUnixPath is the longest unix socket path, or abstract name with its
// leading "@", in bytes: sun_path is 108 bytes and a path ends with NUL.
// (The kernel would take a 107-byte abstract name after its NUL, but
// x/sys/unix counts the "@" against the same 107.)
const MaxUnixPath = 107

// Unix is AF_UNIX, SOCK_DGRAM: datagrams between processes on this host,
// addressed by a file path or a Linux abstract name ("@name").
func Unix() *Definition {
	d := &Definition{
		Name:        "unix",
		Summary:     "unix datagram socket: file path, @abstract or autobind",
		Spec:        NewSpec(AF_UNIX, SOCK_DGRAM, 0),
		Network:     "unixgram",
		DefaultAddr: "@socklab",
	}
	d.ResolveAddr = func(s string) (net.Addr, error) {
		if err := CheckUnixName(s); err != nil {
			return nil, err
		}
		return &net.UnixAddr{Name: s, Net: "unixgram"}, nil
	}
	d.Open = func(o Options) (Conn, error) { return openUnix(d, o) }
	return d
}

// CheckUnixName checks that s fits in sun_path.
func CheckUnixName(s string) error {
	if s == "" {
		return fmt.Errorf("unix socket address is empty: want a path or @name")
	}
	what := "path"
	if strings.HasPrefix(s, "@") {
		what = "abstract name (with its @)"
	}
	if len(s) > MaxUnixPath {
		return fmt.Errorf("unix socket %s is %d bytes, longer than the %d that sun_path holds: use a shorter name, e.g. in /tmp", what, len(s), MaxUnixPath)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("unix socket %s %q contains a NUL byte", what, s)
	}
	return nil
}
