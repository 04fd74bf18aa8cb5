package families

import (
	"errors"
	"os"
	"time"
)

// ReadTCPInfo reads the kernel's counters of the TCP connection c
// (getsockopt TCP_INFO) through Control. It fails on a socket of another
// family or type: only TCP keeps them.
func ReadTCPInfo(c Conn) (TCPInfo, error) {
	if !isTCP(c.Spec()) {
		return TCPInfo{}, errors.New("TCP_INFO: only TCP sockets have it, not " + c.Spec().String())
	}
	var ti TCPInfo
	err := Control(c, func(fd int) error {
		k, err := getsockoptTCPInfo(fd)
		if err != nil {
			return os.NewSyscallError("getsockopt TCP_INFO", err)
		}
		ti = TCPInfo{
			SegsOut: k.Segs_out, SegsIn: k.Segs_in, TotalRetrans: k.Total_retrans,
			RTT: time.Duration(k.Rtt) * time.Microsecond, RTTVar: time.Duration(k.Rttvar) * time.Microsecond,
			SndCwnd: k.Snd_cwnd, SndMSS: k.Snd_mss,
		}
		return nil
	})
	return ti, err
}
