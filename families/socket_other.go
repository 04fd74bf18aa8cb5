//go:build !linux

package families

import (
	"os"
	"runtime"
)

func notSupported(spec Spec) error {
	return &Error{Op: "socket", Spec: spec, Err: ErrUnsupported, Hint: "these sockets are implemented for Linux; this is " + runtime.GOOS}
}

// Socket is not supported on this system.
func Socket(spec Spec) (int, error) { return -1, notSupported(spec) }

// ProbeSpec is not supported on this system.
func ProbeSpec(spec Spec) error { return notSupported(spec) }

// Inspect is not supported on this system.
func Inspect(fd int) (Spec, error) { return Spec{Fileno: fd}, notSupported(Spec{Fileno: fd}) }

// Adopt is not supported on this system.
func Adopt(d *Definition, f *os.File) (Conn, error) { return nil, notSupported(d.Spec) }

// RawHint is the fix for a refused raw socket: there is none here.
func RawHint() string { return "these sockets are implemented for Linux; this is " + runtime.GOOS }

// Hint has nothing to say on this system.
func Hint(spec Spec, err error) string { return "" }
