//go:build !linux

package rawsock

import (
	"errors"
	"net"
	"time"
)

// floodReader reads a raw ICMP socket without the netpoller on Linux;
// elsewhere the pinger reads with ReadICMP.
type floodReader struct{}

func newFloodReader(PingConn, *net.IPAddr, uint32) *floodReader { return nil }

func (*floodReader) send([]byte) error { return errWait }

func (*floodReader) read() (*ICMPMessage, error) { return nil, errWait }

func (*floodReader) wait(time.Duration) {}

var errWait = errors.New("nothing to read")
