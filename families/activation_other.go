//go:build !linux

package families

import "runtime"

// closeOnExec is not supported on this system: socket activation is
// systemd's, and socklab's sockets are Linux's.
func closeOnExec(fd int) error {
	return &Error{Op: "adopt", Spec: Spec{Fileno: fd}, Err: ErrUnsupported, Hint: "these sockets are implemented for Linux; this is " + runtime.GOOS}
}
