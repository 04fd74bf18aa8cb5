package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/socklab/socklab/families"
)

// systemdFlags is serve's --systemd, embedded in serveFlags.
type systemdFlags struct {
	Systemd string `default:"auto" enum:"auto,off,require" help:"Sockets passed by systemd (LISTEN_FDS): auto serves them when there are some and no --fd or address is given; require fails without them; off ignores them."`
}

// activated returns the sockets systemd passed to socklab, adopted as
// Conns of app.Def, when --systemd says to serve them; nil when the server
// is to open its own. addr, mode, fd and workers are the other serve flags.
func (f systemdFlags) activated(app *App, addr string, mode os.FileMode, fd, workers int) ([]families.Conn, error) {
	if f.Systemd == "off" {
		return nil, nil
	}
	a, err := families.Activated()
	if err != nil {
		return nil, err
	}
	if len(a.FDs) == 0 {
		if f.Systemd == "require" {
			return nil, fmt.Errorf("--systemd require: systemd passed no sockets (%s): start socklab from a .socket unit (examples/systemd), or drop --systemd require", orDefault(a.Ignored, "no LISTEN_PID and LISTEN_FDS for this process"))
		}
		return nil, nil
	}
	if given := givenInstead(addr, mode, fd, workers); given != "" {
		if f.Systemd == "require" {
			return nil, fmt.Errorf("--systemd require and %s: the sockets systemd passed are already bound; drop %s", given, given)
		}
		fmt.Fprintf(app.Stderr, "socklab: %d socket(s) passed by systemd left alone: %s was given (--systemd off says so quietly)\n", len(a.FDs), given)
		return nil, nil
	}
	return adoptActivated(app, a)
}

// givenInstead names the serve flag that asks for another socket than
// systemd's, or returns "".
func givenInstead(addr string, mode os.FileMode, fd, workers int) string {
	switch {
	case fd >= 0:
		return fmt.Sprintf("--fd %d", fd)
	case addr != "":
		return "an address (" + addr + ")"
	case mode != 0:
		return "--mode (systemd made the socket file: set SocketMode= in the .socket unit)"
	case workers > 1:
		return fmt.Sprintf("--workers %d (systemd passes the sockets: ReusePort= and several ListenDatagram= in the .socket unit)", workers)
	}
	return ""
}

// adoptActivated adopts the sockets of a as Conns of app.Def, closes the
// inherited descriptors (each Conn holds its own duplicate), and says what
// it serves.
func adoptActivated(app *App, a families.Activation) ([]families.Conn, error) {
	var conns []families.Conn
	var names []string
	for i, fd := range a.FDs {
		f := os.NewFile(uintptr(fd), a.Names[i])
		c, err := app.Def.Open(families.Options{File: f})
		f.Close()
		if err != nil {
			closeAll(conns)
			return nil, fmt.Errorf("socket passed by systemd (%s): %w", a.Names[i], err)
		}
		conns = append(conns, c)
		names = append(names, a.Names[i]+" "+addrString(c.LocalAddr()))
	}
	fmt.Fprintf(app.Stderr, "socklab: serving %d socket(s) passed by systemd (LISTEN_FDS): %s\n", len(conns), strings.Join(names, ", "))
	return conns, nil
}
