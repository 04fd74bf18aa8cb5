//go:build !linux

package compare

import (
	"errors"
	"runtime"
)

// errUnsupported is what the stream transports return off Linux, until
// package families has stream families.
var errUnsupported = errors.New("compare's stream sockets are implemented for Linux only, not " + runtime.GOOS)

// TCP is not supported on this system.
func TCP() Transport { return unsupported{"tcp", KindStream} }

// UnixStream is not supported on this system.
func UnixStream() Transport { return unsupported{"unix-stream", KindStream} }

// SeqPacket is not supported on this system.
func SeqPacket() Transport { return unsupported{"seqpacket", KindSeqPacket} }

type unsupported struct {
	name string
	kind Kind
}

func (u unsupported) Name() string                   { return u.name }
func (u unsupported) Socket() string                 { return u.name }
func (u unsupported) Kind() Kind                     { return u.kind }
func (u unsupported) IP() bool                       { return u.name == "tcp" }
func (u unsupported) Open(Env) (*Pair, error)        { return nil, errUnsupported }
func (u unsupported) NoServer(Env) (NoServer, error) { return NoServer{}, errUnsupported }
