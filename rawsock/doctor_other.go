//go:build !linux

package rawsock

import "runtime"

// PingGroupHint names the fix for an ICMP datagram socket the kernel
// refused; off Linux there is no ping_group_range to point at.
func PingGroupHint() string {
	return "unprivileged ICMP sockets are configured differently on " + runtime.GOOS
}

func probeSystem(r *DoctorReport) {
	r.Notes = append(r.Notes, "privilege checks are implemented for Linux only; this is "+runtime.GOOS)
}
