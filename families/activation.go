package families

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ListenFDsStart is the first descriptor a socket-activated process
// inherits from systemd (SD_LISTEN_FDS_START); the rest follow in order.
const ListenFDsStart = 3

// The environment of systemd's socket activation protocol (sd_listen_fds(3)).
const (
	envListenPID     = "LISTEN_PID"     // the process the sockets are for
	envListenFDs     = "LISTEN_FDS"     // how many, from descriptor 3
	envListenFDNames = "LISTEN_FDNAMES" // their FileDescriptorName=, colon-separated
)

// Activation is what systemd passed to this process by socket activation.
type Activation struct {
	// FDs are the sockets' descriptors, 3, 4 ... in order. They are plain
	// numbers, not *os.File, so that sockets left unused are not closed by
	// a finalizer: wrap one with os.NewFile to adopt it (Options.File).
	FDs []int
	// Names are their FileDescriptorName= (LISTEN_FDNAMES), or "fd N"
	// where the unit names none.
	Names []string
	// Ignored, when not empty, says why the environment was not for this
	// process: LISTEN_PID names another (a parent that did not clear it).
	Ignored string
}

// Activated returns the descriptors of the sockets systemd passed to this process, as
// sd_listen_fds(3) with unset_environment set does: it reads LISTEN_PID,
// LISTEN_FDS and LISTEN_FDNAMES, and unsets them so that no process this
// one starts takes the sockets for its own. The descriptors are marked
// close-on-exec. It returns no descriptors when LISTEN_PID is absent, or names
// another process (Ignored then says so), and an error when the variables
// are malformed or a descriptor they count is not open.
func Activated() (Activation, error) {
	pid, fds, names := os.Getenv(envListenPID), os.Getenv(envListenFDs), os.Getenv(envListenFDNames)
	if pid == "" {
		return Activation{}, nil
	}
	os.Unsetenv(envListenPID)
	os.Unsetenv(envListenFDs)
	os.Unsetenv(envListenFDNames)
	if p, err := strconv.Atoi(pid); err != nil || p <= 0 {
		return Activation{}, fmt.Errorf("socket activation: %s=%q is not a process ID", envListenPID, pid)
	} else if p != os.Getpid() {
		return Activation{Ignored: fmt.Sprintf("%s=%d names another process than this one (%d): its sockets are not ours", envListenPID, p, os.Getpid())}, nil
	}
	n, err := strconv.Atoi(fds)
	if err != nil || n < 0 {
		return Activation{}, fmt.Errorf("socket activation: %s=%q is not a count of descriptors", envListenFDs, fds)
	}
	return activationFDs(n, names)
}

// activationFDs returns descriptors 3 to 3+n-1, named by the colon-separated
// names, after marking them close-on-exec.
func activationFDs(n int, names string) (Activation, error) {
	var nameOf []string
	if names != "" {
		nameOf = strings.Split(names, ":")
	}
	var a Activation
	for i := range n {
		fd := ListenFDsStart + i
		if err := closeOnExec(fd); err != nil {
			return Activation{}, fmt.Errorf("socket activation: %s=%d counts descriptor %d: %w", envListenFDs, n, fd, err)
		}
		name := "fd " + strconv.Itoa(fd)
		if i < len(nameOf) && nameOf[i] != "" {
			name = nameOf[i]
		}
		a.FDs = append(a.FDs, fd)
		a.Names = append(a.Names, name)
	}
	return a, nil
}
