package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/socklab/socklab/echo"
	"github.com/socklab/socklab/families"
)

// streamServeOpts is what a stream serve command asks for.
type streamServeOpts struct {
	addr    string
	mode    os.FileMode
	flags   streamServeFlags
	nodelay bool // TCP_NODELAY on the listener, which its connections inherit
	reuse   bool // SO_REUSEADDR
	split   bool
}

// config checks the stream serve flags and converts them.
func (f streamServeFlags) config(split bool) (echo.StreamConfig, error) {
	reply, err := echo.ParseReply(f.Reply)
	switch {
	case err != nil:
		return echo.StreamConfig{}, err
	case reply == echo.ReplySockperf:
		return echo.StreamConfig{}, fmt.Errorf("--reply sockperf: sockperf's protocol is for datagrams; a stream server answers seed or echo")
	case f.Bufsize <= 0:
		return echo.StreamConfig{}, fmt.Errorf("--bufsize %d: want a positive number of bytes", f.Bufsize)
	case f.MaxConns < 1:
		return echo.StreamConfig{}, fmt.Errorf("--max-conns %d: want 1 or more", f.MaxConns)
	case f.IdleTimeout < 0 || f.WriteTimeout < 0 || f.EvictIdle < 0:
		return echo.StreamConfig{}, fmt.Errorf("--idle-timeout, --write-timeout and --evict-idle want a duration, or 0 for never")
	case f.Backlog < 0 || f.Rcvbuf < 0 || f.Sndbuf < 0:
		return echo.StreamConfig{}, fmt.Errorf("--backlog, --rcvbuf and --sndbuf want a positive number (0 leaves the default)")
	case split && reply != echo.ReplySeed:
		return echo.StreamConfig{}, fmt.Errorf("--split writes the seed's prefix and the data apart: it needs --reply seed")
	}
	return echo.StreamConfig{Reply: reply, Bufsize: f.Bufsize, Quiet: f.Quiet, MaxConns: f.MaxConns, SplitReply: split,
		IdleTimeout: never(f.IdleTimeout), WriteTimeout: never(f.WriteTimeout), EvictIdle: never(f.EvictIdle)}, nil
}

// never turns a flag's 0, "never", into the library's negative.
func never(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

func streamServe(app *App, o streamServeOpts) error {
	cfg, err := o.flags.config(o.split)
	if err != nil {
		return err
	}
	if o.addr == "" && o.flags.Fd < 0 {
		o.addr = app.Def.DefaultAddr
	}
	l, conn, err := openStreamServer(app, o)
	if err != nil {
		return err
	}
	p := &streamPrinter{app: app, flags: o.flags}
	cfg.OnEvent = p.event
	var st echo.StreamStats
	if conn != nil {
		defer conn.Close()
		from := addrString(conn.RemoteAddr())
		if from == "" {
			from = "an unnamed socket"
		}
		p.listening(conn, addrString(conn.LocalAddr()), "serving the connection from "+from, o, cfg)
		st, err = echo.ServeStreamConn(app.Ctx, conn, cfg)
	} else {
		defer l.Close()
		p.listening(l, addrString(l.Addr()), "listening on "+addrString(l.Addr()), o, cfg)
		st, err = echo.ServeStream(app.Ctx, l, cfg)
	}
	p.summary(st)
	return err
}

// openStreamServer listens on o.addr, or adopts --fd: a listening socket,
// or a connection to serve alone. It sets the listening socket's options.
func openStreamServer(app *App, o streamServeOpts) (families.Listener, families.StreamConn, error) {
	if o.flags.Fd >= 0 {
		if o.addr != "" {
			return nil, nil, fmt.Errorf("%s and --fd %d: an adopted socket keeps the address it has; drop one of them", o.addr, o.flags.Fd)
		}
		f := os.NewFile(uintptr(o.flags.Fd), "fd "+strconv.Itoa(o.flags.Fd))
		defer f.Close()
		l, c, err := families.AdoptStream(app.Def, f)
		if err == nil && c != nil {
			err = streamOptions(c, o)
		}
		if err == nil && l != nil {
			err = streamOptions(l, o)
		}
		return l, c, err
	}
	if o.mode != 0 && (strings.HasPrefix(o.addr, "@") || app.Def.Spec.Family != families.AF_UNIX) {
		return nil, nil, fmt.Errorf("--mode sets the permissions of a socket file this command creates; %s has none", o.addr)
	}
	notify := func(msg string) { fmt.Fprintln(app.Stderr, "socklab:", msg) }
	l, err := app.Def.Listen(families.Options{Addr: o.addr, Mode: o.mode, Notify: notify, Backlog: o.flags.Backlog, NoReuseAddr: !o.reuse})
	if err != nil {
		return nil, nil, err
	}
	if err := streamOptions(l, o); err != nil {
		l.Close()
		return nil, nil, err
	}
	return l, nil, nil
}

// streamOptions sets TCP_NODELAY and the buffer sizes on s, a listening
// socket (its connections inherit them) or an adopted connection.
func streamOptions(s families.Sock, o streamServeOpts) error {
	if err := families.SetNoDelay(s, o.nodelay); err != nil {
		return fmt.Errorf("--nodelay: %w", err)
	}
	if o.flags.Rcvbuf > 0 || o.flags.Sndbuf > 0 {
		if err := families.SetSockBuffers(s, o.flags.Rcvbuf, o.flags.Sndbuf); err != nil {
			return fmt.Errorf("--rcvbuf/--sndbuf: %w", err)
		}
	}
	return nil
}
