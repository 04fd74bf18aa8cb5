package rawsock

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

const capNetRaw = 13

// PingGroupHint is the fix for an ICMP datagram socket that the kernel
// refused (EACCES): the current net.ipv4.ping_group_range and the gids it
// excludes, and the sysctl that admits them.
func PingGroupHint() string {
	text, _, _, _ := readPingGroupRange()
	groups, _ := unix.Getgroups()
	return pingGroupAdvice(text, unix.Getegid(), groups)
}

func readPingGroupRange() (text string, low, high int64, err error) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ping_group_range")
	if err != nil {
		return "unreadable", 1, 0, err
	}
	text = strings.Join(strings.Fields(string(b)), " ")
	if _, err := fmt.Sscan(text, &low, &high); err != nil {
		return text, 1, 0, err
	}
	return text, low, high, nil
}

func probeSystem(r *DoctorReport) {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err == nil {
		r.CapNetRaw.Effective = data[0].Effective&(1<<capNetRaw) != 0
		r.CapNetRaw.Permitted = data[0].Permitted&(1<<capNetRaw) != 0
	} else {
		r.Notes = append(r.Notes, "capget: "+err.Error())
	}
	if v, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, capNetRaw, 0, 0, 0); err == nil {
		r.CapNetRaw.Bounding = v == 1
	}
	if r.CapNetRaw.Permitted && !r.CapNetRaw.Effective {
		r.Notes = append(r.Notes, "CAP_NET_RAW is permitted but not effective: the program must raise it (or the file capability needs +e)")
	}
	if !r.CapNetRaw.Bounding {
		r.Notes = append(r.Notes, "CAP_NET_RAW is not in the bounding set: no setcap or setuid can give it to this process or its children")
	}
	if exe, err := os.Executable(); err == nil {
		r.Executable = exe
		r.FileCaps, r.FileCapsNote = fileCaps(exe)
	}
	r.RealGID, r.EffectiveGID = unix.Getgid(), unix.Getegid()
	r.Groups, _ = unix.Getgroups()
	if r.Groups == nil {
		r.Groups = []int{}
	}
	var err error
	r.PingGroupRange, r.PingGroupLow, r.PingGroupHigh, err = readPingGroupRange()
	if err == nil {
		for _, g := range append([]int{r.EffectiveGID}, r.Groups...) {
			if int64(g) >= r.PingGroupLow && int64(g) <= r.PingGroupHigh {
				r.PingGroupMatch = g
				break
			}
		}
		if r.PingGroupMatch < 0 && r.RealGID != r.EffectiveGID && int64(r.RealGID) >= r.PingGroupLow && int64(r.RealGID) <= r.PingGroupHigh {
			r.Notes = append(r.Notes, fmt.Sprintf("the real gid %d is in ping_group_range but the kernel checks the effective gid %d", r.RealGID, r.EffectiveGID))
		}
	}
	if b, err := os.ReadFile("/proc/self/uid_map"); err == nil {
		r.UserNamespace = strings.Join(strings.Fields(string(b)), " ") != "0 0 4294967295"
	}
}

var capNames = map[int]string{0: "cap_chown", 7: "cap_setuid", 10: "cap_net_bind_service", 12: "cap_net_admin", 13: "cap_net_raw", 21: "cap_sys_admin"}

// fileCaps reads the security.capability attribute of path (struct
// vfs_cap_data) and formats it as getcap does, e.g. "cap_net_raw=ep".
func fileCaps(path string) (caps, note string) {
	buf := make([]byte, 64)
	n, err := unix.Getxattr(path, "security.capability", buf)
	if errors.Is(err, unix.ENODATA) {
		return "", ""
	}
	if err != nil {
		return "", "cannot read security.capability: " + err.Error()
	}
	if n < 12 {
		return "", fmt.Sprintf("security.capability has %d bytes, too short", n)
	}
	b := buf[:n]
	magic := binary.LittleEndian.Uint32(b)
	perm := uint64(binary.LittleEndian.Uint32(b[4:]))
	inh := uint64(binary.LittleEndian.Uint32(b[8:]))
	if n >= 20 {
		perm |= uint64(binary.LittleEndian.Uint32(b[12:])) << 32
		inh |= uint64(binary.LittleEndian.Uint32(b[16:])) << 32
	}
	var names []string
	for bit := range 64 {
		if (perm|inh)&(1<<bit) != 0 {
			name, ok := capNames[bit]
			if !ok {
				name = fmt.Sprintf("cap_%d", bit)
			}
			names = append(names, name)
		}
	}
	flags := ""
	if magic&1 != 0 {
		flags += "e"
	}
	if inh != 0 {
		flags += "i"
	}
	if perm != 0 {
		flags += "p"
	}
	caps = strings.Join(names, ",") + "=" + flags
	if perm&(1<<capNetRaw) != 0 && magic&1 == 0 {
		note = "cap_net_raw is permitted but the effective flag is not set: use setcap cap_net_raw+ep"
	}
	return caps, note
}

// pingGroupAdvice formats the fix for an ICMP datagram socket refused by
// ping_group_range.
func pingGroupAdvice(rangeText string, egid int, groups []int) string {
	gids := []string{fmt.Sprint(egid)}
	for _, g := range groups {
		if g != egid {
			gids = append(gids, fmt.Sprint(g))
		}
	}
	return fmt.Sprintf("unprivileged ICMP sockets need a gid in net.ipv4.ping_group_range, which is %q here while your gids are %s: "+
		"sudo sysctl -w net.ipv4.ping_group_range='%d %d' (or '0 2147483647' for all), or use --mode raw with CAP_NET_RAW",
		rangeText, strings.Join(gids, ","), egid, egid)
}
