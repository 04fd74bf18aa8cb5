//go:build !linux

package families

// ReportICMPErrors is not supported on this system.
func ReportICMPErrors(c Conn) error { return ErrUnsupported }
