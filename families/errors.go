package families

import (
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Error is a failure to open or use a socket: what was tried, on which
// socket and address, the cause, and the fix a user can apply.
//
// Every function of this package that opens a socket returns its failures
// as an *Error. Reads and writes on a Conn return what net's Conns return:
// a *net.OpError whose Err is an *os.SyscallError (errors.Is sees the
// syscall.Errno), os.ErrDeadlineExceeded or net.ErrClosed.
type Error struct {
	Op   string // "socket", "bind", "adopt", "send", "read"
	Spec Spec
	Addr string // the address involved, if any
	Err  error  // the cause, often an *os.SyscallError
	Hint string // what to do about it, if known, in this module's words
	// Terms are the caller's settings (or the program) that Hint names,
	// each spelled in Hint as its Term says: a program that sets them from
	// flags can show its flag beside the words (see Term).
	Terms []Term
}

// Term is a setting of the caller that a hint tells the user to change,
// named in library words: "choose another local address", "a longer
// timeout". Hints never name a program's flags or commands: the words are
// the Term itself, and a command line that sets the term from a flag
// shows the flag beside them ("a longer timeout (--timeout)").
type Term string

// The terms hints name. A hint that names one lists it in Error.Terms and
// spells it exactly so.
const (
	TermLocal      Term = "local address"   // the address a socket binds
	TermPeer       Term = "peer address"    // the address it sends to
	TermTimeout    Term = "timeout"         // how long to wait for a reply
	TermRetries    Term = "retries"         // how often to send again
	TermSize       Term = "datagram size"   // how many bytes a datagram carries
	TermPacketSize Term = "packet size"     // an ICMP echo's data bytes
	TermInterval   Term = "interval"        // time between two echo requests
	TermEchoID     Term = "echo id"         // an ICMP echo identifier
	TermProto      Term = "protocol"        // an IP protocol number
	TermTTL        Term = "TTL"             // an IP time to live
	TermFragment   Term = "fragment offset" // IPv4 fragmentation fields
	TermSockets    Term = "socket count"    // SO_REUSEPORT sockets on one address
	TermDescriptor Term = "descriptor"      // an adopted socket descriptor
	TermServer     Term = "echo server"     // the server a client needs
	TermBroadcast  Term = "SO_BROADCAST"    // sending to a broadcast address
	TermDF         Term = "DF setting"      // IP_MTU_DISCOVER: do, want, dont, probe
)

// Error formats e on one line:
// "bind socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP) 127.0.0.1:80: permission denied (HINT)".
// A cause that is itself an *os.SyscallError is shown without the name of
// the system call, which Op already says (but with what its name adds to
// Op: "setsockopt IP_TTL" under Op "setsockopt" shows "IP_TTL: ..."); context
// wrapped around it is kept.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "socket" {
		// socket(2) itself is named by the socket: "socket(AF_INET, ...)".
		b.WriteString(e.Op)
		b.WriteString(" ")
	}
	if e.Spec.Family == 0 && e.Spec.Type == 0 {
		// Nothing is known of the socket but its descriptor.
		b.WriteString("fd " + strconv.Itoa(e.Spec.Fileno))
	} else {
		b.WriteString(e.Spec.String())
	}
	if e.Addr != "" {
		b.WriteString(" ")
		b.WriteString(e.Addr)
	}
	if e.Err != nil {
		b.WriteString(": ")
		if se, ok := e.Err.(*os.SyscallError); ok {
			// What the call's name says beyond Op stays: the option of
			// "setsockopt IP_TTL" under Op "setsockopt".
			if rest, ok := strings.CutPrefix(se.Syscall, e.Op+" "); ok {
				b.WriteString(rest + ": ")
			}
			b.WriteString(se.Err.Error())
		} else {
			b.WriteString(e.Err.Error())
		}
	}
	if e.Hint != "" {
		b.WriteString(" (")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the cause, so errors.Is(err, os.ErrPermission) and
// errors.Is(err, syscall.EADDRINUSE) see through Error.
func (e *Error) Unwrap() error { return e.Err }

// ErrBadAddress is matched (errors.Is) by the error for an address that
// is not in its family's form, such as an IP address without its port:
// the caller's input is wrong, not the network.
var ErrBadAddress = errors.New("address not in its family's form")

// badAddress is an ErrBadAddress in its own words.
type badAddress string

func (e badAddress) Error() string        { return string(e) }
func (e badAddress) Is(target error) bool { return target == ErrBadAddress }

// ErrUnsupported is returned by Open on systems other than Linux.
var ErrUnsupported = errors.New("these sockets are implemented for Linux only")

// Cause peels the layers that only say where an error happened, a
// *net.OpError (the connection), an *os.SyscallError (the system call), a
// *net.AddrError or *net.DNSError (the resolver), and returns what is left:
// a syscall.Errno, os.ErrDeadlineExceeded, net.ErrClosed, or the resolver's
// own words. An *Error wraps it with Op and Addr in their place.
func Cause(err error) error {
	for {
		switch e := err.(type) {
		case *net.OpError:
			err = e.Err
		case *os.SyscallError:
			err = e.Err
		case *net.AddrError:
			return errors.New(e.Err)
		case *net.DNSError:
			return errors.New(e.Err)
		default:
			return err
		}
	}
}

// Errno returns the syscall.Errno under err, if there is one.
func Errno(err error) (syscall.Errno, bool) {
	var errno syscall.Errno
	ok := errors.As(err, &errno)
	return errno, ok
}
