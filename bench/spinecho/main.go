//go:build linux

// Command spinecho is an experiment for issue 10: does a short bounded
// spin before ppoll pay for a UDP echo server that waits outside Go's
// netpoller? It is socklab's batch loop reduced to its system calls: a
// non-blocking socket that is never registered with the netpoller,
// recvmmsg and sendmmsg in batches of 64, and, when recvmmsg finds
// nothing, -spin of retrying recvmmsg before sleeping in ppoll.
//
//	go run ./bench/spinecho -a 127.0.0.1:9000 -spin 20us
//
// On SIGTERM it prints to stderr how often it slept, and how often a spin
// found a datagram before the sleep. Run it beside the others with
// bench/abrounds -server 'spin20={spinecho} -a {addr} -spin 20us'.
package main

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

const batch = 64

// counts is what the loop did.
type counts struct {
	echoed, polls, spinWins, spinLosses uint64
}

func main() {
	addr := flag.String("a", "127.0.0.1:9000", "UDP address to serve, ADDR:PORT or [ADDR]:PORT")
	spin := flag.Duration("spin", 0, "how long to retry recvmmsg before sleeping in ppoll (0: sleep at once)")
	flag.Parse()
	ap, err := netip.ParseAddrPort(*addr)
	if err != nil {
		fatal(err)
	}
	fd, err := listen(ap)
	if err != nil {
		fatal(err)
	}
	var stop atomic.Bool
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() { <-sig; stop.Store(true) }()
	runtime.LockOSThread()
	c := serve(fd, *spin, &stop)
	fmt.Fprintf(os.Stderr, "spinecho: spin %v: echoed %d, ppoll sleeps %d, spins that found data %d, spins that did not %d\n",
		*spin, c.echoed, c.polls, c.spinWins, c.spinLosses)
}

func listen(ap netip.AddrPort) (int, error) {
	family, sa := unix.AF_INET, unix.Sockaddr(&unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()})
	if ap.Addr().Is6() {
		family, sa = unix.AF_INET6, &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	return fd, unix.Bind(fd, sa)
}

// serve echoes until stop, waiting as -spin says.
func serve(fd int, spin time.Duration, stop *atomic.Bool) counts {
	var c counts
	bufs := make([]byte, batch*2048)
	names := make([]unix.RawSockaddrAny, batch)
	iovs := make([]unix.Iovec, batch)
	rx := make([]mmsghdr, batch)
	for !stop.Load() {
		for i := range rx {
			iovs[i] = unix.Iovec{Base: &bufs[i*2048]}
			iovs[i].SetLen(2048)
			rx[i].hdr = unix.Msghdr{Name: (*byte)(unsafe.Pointer(&names[i])), Namelen: unix.SizeofSockaddrAny, Iov: &iovs[i], Iovlen: 1}
		}
		n := mmsg(unix.SYS_RECVMMSG, fd, rx)
		if n <= 0 {
			wait(fd, spin, &c)
			continue
		}
		for i := range n {
			iovs[i].SetLen(int(rx[i].len))
		}
		for off := 0; off < n; {
			s := mmsg(unix.SYS_SENDMMSG, fd, rx[off:n])
			if s <= 0 {
				break // a full send buffer: drop the rest, as a load test may
			}
			off += s
			c.echoed += uint64(s)
		}
	}
	return c
}

// wait spins for up to spin with recvmmsg's cheaper cousin, a MSG_PEEK
// recv, then sleeps in ppoll for up to 200 ms (to see stop).
func wait(fd int, spin time.Duration, c *counts) {
	if spin > 0 {
		var b [1]byte
		for end := time.Now().Add(spin); time.Now().Before(end); {
			if _, _, errno := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), 1, unix.MSG_PEEK|unix.MSG_DONTWAIT, 0, 0); errno == 0 {
				c.spinWins++
				return
			}
		}
		c.spinLosses++
	}
	c.polls++
	ts := unix.NsecToTimespec(int64(200 * time.Millisecond))
	unix.Ppoll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, &ts, nil)
}

// mmsghdr is struct mmsghdr.
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
	_   [4]byte
}

// mmsg is recvmmsg or sendmmsg without waiting: the count, or -1.
func mmsg(trap uintptr, fd int, msgs []mmsghdr) int {
	n, _, errno := unix.RawSyscall6(trap, uintptr(fd), uintptr(unsafe.Pointer(&msgs[0])), uintptr(len(msgs)), unix.MSG_DONTWAIT, 0, 0)
	if errno != 0 {
		return -1
	}
	return int(n)
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "spinecho:", err)
	os.Exit(1)
}
