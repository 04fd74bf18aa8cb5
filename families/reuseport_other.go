//go:build !linux

package families

// OpenReusePort is not supported on this system.
func OpenReusePort(d *Definition, o Options, n int) ([]Conn, error) {
	return nil, notSupported(d.Spec)
}
