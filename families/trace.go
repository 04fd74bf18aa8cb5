package families

import (
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"
)

// Tracing: every socket system call this module makes goes through one
// place (sys_linux.go), which reports it to the Tracer when one is set: the
// calls really made, with the real descriptors, in order, in strace's form
// and the seed's vocabulary. With no Tracer set a call costs one atomic
// load more; nothing is formatted or allocated.

// Call is one socket system call as it returned.
type Call struct {
	Time  time.Time
	Name  string   // the system call: "socket", "bind", "recvmmsg"
	Fd    int      // the socket's descriptor; for socket, the new one
	Args  []string // the arguments after the descriptor that matter, as strace writes them
	Ret   int      // what it returned: bytes, datagrams, 0; -1 on error
	Errno syscall.Errno
	// From is who sent what a receive returned, when it is one datagram.
	From string
}

// String formats c as strace does, e.g. `bind(3, 127.0.0.1:8020) = 0`,
// `recvmsg(3, 65536, MSG_TRUNC) = 5 from 127.0.0.1:51000`, or
// `bind(3, 127.0.0.1:8020) = -1 EADDRINUSE (Address already in use)`.
func (c Call) String() string {
	var b strings.Builder
	b.WriteString(c.Name)
	b.WriteByte('(')
	args := c.Args
	if c.Name != "socket" {
		args = append([]string{strconv.Itoa(c.Fd)}, args...)
	}
	b.WriteString(strings.Join(args, ", "))
	b.WriteString(") = ")
	if c.Errno != 0 {
		b.WriteString("-1 ")
		b.WriteString(errnoName(c.Errno))
		b.WriteString(" (")
		b.WriteString(strerror(c.Errno))
		b.WriteByte(')')
		return b.String()
	}
	b.WriteString(strconv.Itoa(c.Ret))
	if c.From != "" {
		b.WriteString(" from ")
		b.WriteString(c.From)
	}
	return b.String()
}

// Tracer receives each socket system call, from the goroutine that made it.
type Tracer func(Call)

var tracer atomic.Pointer[Tracer]

// SetTracer sets the Tracer every socket system call is reported to; nil
// stops tracing.
func SetTracer(t Tracer) {
	if t == nil {
		tracer.Store(nil)
		return
	}
	tracer.Store(&t)
}

// strerror is the errno's message as strace and C's strerror write it:
// "Resource temporarily unavailable", capitalized (Go's is not).
func strerror(e syscall.Errno) string {
	m := e.Error()
	if m != "" && m[0] >= 'a' && m[0] <= 'z' {
		m = string(m[0]-'a'+'A') + m[1:]
	}
	return m
}

// QuoteName is a socket's name as the traces, dumps and pictures show it:
// as it is when it is printable text, Go-quoted otherwise. A unix socket's
// name can hold any byte, a terminal's escape sequences or a newline that
// would forge a line of output among them.
func QuoteName(s string) string {
	if !utf8.ValidString(s) {
		return strconv.Quote(s)
	}
	for _, r := range s {
		if r != ' ' && !unicode.IsGraphic(r) || r == '"' || r == '\\' {
			return strconv.Quote(s)
		}
	}
	return s
}
