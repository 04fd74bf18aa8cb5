package rawsock

import (
	"fmt"
	"strings"
)

// OpenError is the failure of --mode auto: neither the datagram nor the raw
// ICMP socket opened. It holds both reasons, each with its fix, and
// unwraps to both, so errors.Is(err, os.ErrPermission) works.
type OpenError struct {
	IPVersion  int
	Dgram, Raw error
}

// Error lists both failures, one a line.
func (e *OpenError) Error() string {
	var b strings.Builder
	name := "ICMP"
	if e.IPVersion == 6 {
		name = "ICMPv6"
	}
	fmt.Fprintf(&b, "no %s socket opens here (tried dgram, then raw):", name)
	b.WriteString("\n  dgram: ")
	b.WriteString(e.Dgram.Error())
	b.WriteString("\n  raw:   ")
	b.WriteString(e.Raw.Error())
	return b.String()
}

// Unwrap returns both causes.
func (e *OpenError) Unwrap() []error { return []error{e.Dgram, e.Raw} }
