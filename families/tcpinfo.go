package families

import "time"

// TCPInfo is part of what the kernel counts of a TCP connection
// (getsockopt TCP_INFO, struct tcp_info): the segments it sent and
// received, those it sent again, and its view of the path.
type TCPInfo struct {
	// SegsOut and SegsIn are the segments sent and received
	// (tcpi_segs_out, tcpi_segs_in), the handshake's and the
	// retransmissions included: a client that has just connected has
	// sent two (SYN, ACK) and received one (SYN-ACK).
	SegsOut, SegsIn uint32
	// TotalRetrans is the segments retransmitted over the connection's
	// life (tcpi_total_retrans).
	TotalRetrans uint32
	// RTT and RTTVar are the smoothed round-trip time and its mean
	// deviation (tcpi_rtt, tcpi_rttvar).
	RTT, RTTVar time.Duration
	// SndCwnd is the congestion window, in segments of SndMSS bytes
	// (tcpi_snd_cwnd, tcpi_snd_mss).
	SndCwnd, SndMSS uint32
}
