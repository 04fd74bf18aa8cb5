package families

import (
	"net/netip"
	"syscall"
	"time"
)

// Path MTU discovery by DF probing, as tracepath does: datagrams of the
// largest size the path may carry, with DF set and the known path MTU
// ignored (IP_PMTUDISC_PROBE), each answered by a router's "fragmentation
// needed" ("packet too big" over IPv6) naming a smaller MTU, until one
// reaches the destination.

// PMTUConfig says how long a probe waits and how often it is sent.
type PMTUConfig struct {
	// Timeout is how long each probe waits for news (1s when 0).
	Timeout time.Duration
	// Tries is how many times a probe that gets no news is sent (2 when 0).
	Tries int
}

// PMTUStep is one probe and what came of it.
type PMTUStep struct {
	// Size is the probe's IP packet size, headers included: the MTU it
	// tests.
	Size int `json:"size"`
	// Outcome is "reached" (the destination answered, or its kernel said
	// the port is closed), "too-big" (a router, From, said MTU fits),
	// "local" (this host's interface is smaller: MTU), "no-answer" or
	// "error" (Error says what).
	Outcome string     `json:"outcome"`
	From    netip.Addr `json:"from,omitzero"`
	MTU     int        `json:"mtu,omitempty"`
	Error   string     `json:"error,omitempty"`
}

// PMTUResult is a discovery's steps and the path MTU found.
type PMTUResult struct {
	Dest string `json:"dest"`
	// RouteMTU is the MTU of the route to Dest when probing began.
	RouteMTU int `json:"route_mtu"`
	// PMTU is the largest packet that reached Dest; when Reached is false,
	// the largest no router refused, unconfirmed.
	PMTU    int        `json:"pmtu"`
	Reached bool       `json:"reached"`
	Steps   []PMTUStep `json:"steps"`
}

// ErrReport is what the kernel queued on a socket's error queue
// (IP_RECVERR): the error, and for an ICMP message its type and code, the
// MTU it named (Info) and who sent it.
type ErrReport struct {
	Errno    syscall.Errno
	Origin   uint8 // SO_EE_ORIGIN_LOCAL, _ICMP, _ICMP6
	Type     uint8
	Code     uint8
	Info     uint32
	Offender netip.Addr
}
