package families_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/socklab/socklab/families"
	"golang.org/x/sys/unix"
)

func TestUnixRefusesRegularFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.txt")
	if err := os.WriteFile(path, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := families.Unix().Open(families.Options{Addr: path})
	if err == nil || !strings.Contains(err.Error(), "exists and is not a socket (a regular file)") {
		t.Fatalf("bind over a regular file: %v", err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "precious" {
		t.Fatalf("the file was touched: %q, %v", b, err)
	}
}

func TestUnixRemovesStaleSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.sock")
	// A server that died without removing its file: bind, then close the
	// descriptor while leaving the path.
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
	unix.Close(fd)
	var notices []string
	c, err := families.Unix().Open(families.Options{Addr: path, Notify: func(s string) { notices = append(notices, s) }})
	if err != nil {
		t.Fatalf("bind over a stale socket: %v", err)
	}
	defer c.Close()
	if len(notices) != 1 || !strings.Contains(notices[0], "removed stale socket "+path) {
		t.Errorf("notices = %q, want one saying the stale socket was removed", notices)
	}
}

func TestUnixRefusesLiveSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.sock")
	live, err := families.Unix().Open(families.Options{Addr: path})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	_, err = families.Unix().Open(families.Options{Addr: path})
	if !errors.Is(err, syscall.EADDRINUSE) || !strings.Contains(err.Error(), "another server is running") {
		t.Fatalf("second bind: %v, want EADDRINUSE naming the running server", err)
	}
	if _, err := os.Lstat(path); err != nil {
		t.Errorf("the live server's socket file is gone: %v", err)
	}
}

func TestUnixCloseRemovesOnlyItsOwnFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.sock")
	c, err := families.Unix().Open(families.Options{Addr: path, Mode: 0o640})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o640 {
		t.Errorf("socket file mode %v, want a socket with 0640", fi.Mode())
	}
	c.Close()
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("Close left %s behind: %v", path, err)
	}

	// Someone replaces the file while the server runs: Close leaves it.
	c, err = families.Unix().Open(families.Options{Addr: path})
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(path)
	if err := os.WriteFile(path, []byte("someone else's"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if b, err := os.ReadFile(path); err != nil || string(b) != "someone else's" {
		t.Errorf("Close removed or changed a file it did not create: %q, %v", b, err)
	}
}

func TestUnixNameLimits(t *testing.T) {
	dir := t.TempDir()
	long := filepath.Join(dir, strings.Repeat("x", 120))
	_, err := families.Unix().Open(families.Options{Addr: long})
	if err == nil || !strings.Contains(err.Error(), "longer than the 107 that sun_path holds") {
		t.Errorf("long path: %v", err)
	}
	// An abstract name may use 107 bytes with its @.
	name := "@" + strings.Repeat("a", families.MaxUnixPath-1)
	c, err := families.Unix().Open(families.Options{Addr: name})
	if err != nil {
		t.Fatalf("abstract name of %d bytes: %v", families.MaxUnixPath, err)
	}
	c.Close()
	if _, err := families.Unix().Open(families.Options{Addr: name + "b"}); err == nil {
		t.Error("abstract name of 108 bytes with its @ was accepted")
	}
	_, err = families.Unix().Open(families.Options{Addr: filepath.Join(dir, "missing", "s.sock")})
	if !errors.Is(err, syscall.ENOENT) || !strings.Contains(err.Error(), "directory does not exist") {
		t.Errorf("missing directory: %v", err)
	}
}

func TestAutobindGetsAbstractName(t *testing.T) {
	c, err := families.Unix().Open(families.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	name := c.LocalAddr().String()
	if !strings.HasPrefix(name, "@") || len(name) != 6 {
		t.Errorf("autobind name %q, want @ and five hex digits", name)
	}
}
