//go:build !linux

package families

import "syscall"

func errnoName(e syscall.Errno) string { return e.Error() }

// SetsockoptInt is not supported on this system.
func SetsockoptInt(fd, level, opt, v int) error { return ErrUnsupported }

// GetsockoptInt is not supported on this system.
func GetsockoptInt(fd, level, opt int) (int, error) { return 0, ErrUnsupported }
