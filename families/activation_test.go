package families

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// The descriptors of a real activation are tested on the socklab binary
// (cmd/socklab systemd_test.go): this process's descriptor 3 is the Go
// runtime's, not a socket to take.

func TestActivatedAbsent(t *testing.T) {
	t.Setenv(envListenPID, "")
	os.Unsetenv(envListenPID)
	a, err := Activated()
	if err != nil || len(a.FDs) != 0 || a.Ignored != "" {
		t.Errorf("no LISTEN_PID: got %+v, %v; want nothing", a, err)
	}
}

func TestActivatedForAnotherProcess(t *testing.T) {
	t.Setenv(envListenPID, strconv.Itoa(os.Getpid()+1))
	t.Setenv(envListenFDs, "1")
	t.Setenv(envListenFDNames, "echo")
	a, err := Activated()
	if err != nil || len(a.FDs) != 0 {
		t.Fatalf("LISTEN_PID of another process: got %+v, %v; want no descriptors", a, err)
	}
	if !strings.Contains(a.Ignored, "another process") {
		t.Errorf("Ignored = %q, want it to say the sockets are another process's", a.Ignored)
	}
	checkUnset(t)
}

func TestActivatedMalformed(t *testing.T) {
	for _, c := range []struct{ pid, fds, want string }{
		{"x", "1", "LISTEN_PID=\"x\" is not a process ID"},
		{"self", "two", "LISTEN_FDS=\"two\" is not a count"},
		{"self", "-1", "LISTEN_FDS=\"-1\" is not a count"},
	} {
		pid := c.pid
		if pid == "self" {
			pid = strconv.Itoa(os.Getpid())
		}
		t.Setenv(envListenPID, pid)
		t.Setenv(envListenFDs, c.fds)
		_, err := Activated()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("LISTEN_PID=%s LISTEN_FDS=%s: error %v, want it to say %q", pid, c.fds, err, c.want)
		}
		checkUnset(t)
	}
}

func TestActivatedNone(t *testing.T) {
	t.Setenv(envListenPID, strconv.Itoa(os.Getpid()))
	t.Setenv(envListenFDs, "0")
	a, err := Activated()
	if err != nil || len(a.FDs) != 0 || a.Ignored != "" {
		t.Errorf("LISTEN_FDS=0: got %+v, %v; want no descriptors and no error", a, err)
	}
	checkUnset(t)
}

// checkUnset checks that Activated cleared the protocol's variables, so
// that a child process does not take the sockets for its own.
func checkUnset(t *testing.T) {
	t.Helper()
	for _, v := range []string{envListenPID, envListenFDs, envListenFDNames} {
		if s, ok := os.LookupEnv(v); ok {
			t.Errorf("%s=%q is still set", v, s)
		}
	}
}
