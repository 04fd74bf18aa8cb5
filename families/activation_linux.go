package families

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// closeOnExec sets FD_CLOEXEC on fd, which must be open.
func closeOnExec(fd int) error {
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	if errors.Is(err, unix.EBADF) {
		return errors.New("it is not open in this process")
	}
	if err == nil {
		_, err = unix.FcntlInt(uintptr(fd), unix.F_SETFD, flags|unix.FD_CLOEXEC)
	}
	if err != nil {
		return os.NewSyscallError("fcntl", err)
	}
	return nil
}
