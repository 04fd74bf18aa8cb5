//go:build !linux

package families

import (
	"os"
	"runtime"
)

func notSupported(spec Spec) error {
	return &Error{Op: "socket", Spec: spec, Err: ErrUnsupported, Hint: "socklab runs on Linux; this is " + runtime.GOOS}
}

func openUDP(d *Definition, o Options) (Conn, error)  { return nil, notSupported(d.Spec) }
func openUnix(d *Definition, o Options) (Conn, error) { return nil, notSupported(d.Spec) }

// Socket is not supported on this system.
func Socket(spec Spec) (int, error) { return -1, notSupported(spec) }

// ProbeSpec is not supported on this system.
func ProbeSpec(spec Spec) error { return notSupported(spec) }

// NewConn is not supported on this system.
func NewConn(fd int, spec Spec, network string) (Conn, error) { return nil, notSupported(spec) }

// SpecOf is not supported on this system.
func SpecOf(fd int) (Spec, error) { return Spec{Fileno: fd}, notSupported(Spec{Fileno: fd}) }

// Inspect is not supported on this system.
func Inspect(fd int) (Spec, error) { return SpecOf(fd) }

// Adopt is not supported on this system.
func Adopt(d *Definition, f *os.File) (Conn, error) { return nil, notSupported(d.Spec) }

// Hint has nothing to say on this system.
func Hint(spec Spec, err error) string { return "" }
