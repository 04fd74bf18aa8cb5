//go:build !linux

package families

import "os"

// AdoptStream is not supported on this system.
func AdoptStream(d *Definition, f *os.File) (Listener, StreamConn, error) {
	return nil, nil, notSupported(d.Spec)
}
