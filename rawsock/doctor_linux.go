package rawsock

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
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
	r.probeCapNetRaw()
	if exe, err := os.Executable(); err == nil {
		r.Executable = exe
		r.FileCaps, r.FileCapsNote = fileCaps(exe)
	}
	r.probePingGroup()
	if b, err := os.ReadFile("/proc/self/uid_map"); err == nil {
		r.UserNamespace = strings.Join(strings.Fields(string(b)), " ") != "0 0 4294967295"
	}
}

// probeCapNetRaw reads CAP_NET_RAW in the effective, permitted and
// bounding sets, and notes the states that puzzle people.
func (r *DoctorReport) probeCapNetRaw() {
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
}

// probePingGroup reads the process's gids and ping_group_range, and finds
// the gid the kernel lets open an ICMP datagram socket, as it checks them:
// the effective gid, then the supplementary ones.
func (r *DoctorReport) probePingGroup() {
	r.RealGID, r.EffectiveGID = unix.Getgid(), unix.Getegid()
	r.Groups, _ = unix.Getgroups()
	if r.Groups == nil {
		r.Groups = []int{}
	}
	var err error
	r.PingGroupRange, r.PingGroupLow, r.PingGroupHigh, err = readPingGroupRange()
	if err != nil {
		return
	}
	in := func(g int) bool { return int64(g) >= r.PingGroupLow && int64(g) <= r.PingGroupHigh }
	gids := append([]int{r.EffectiveGID}, r.Groups...)
	if i := slices.IndexFunc(gids, in); i >= 0 {
		r.PingGroupMatch = gids[i]
		return
	}
	if r.RealGID != r.EffectiveGID && in(r.RealGID) {
		r.Notes = append(r.Notes, fmt.Sprintf("the real gid %d is in ping_group_range but the kernel checks the effective gid %d", r.RealGID, r.EffectiveGID))
	}
}

var capNames = map[int]string{0: "cap_chown", 7: "cap_setuid", 10: "cap_net_bind_service", 12: "cap_net_admin", 13: "cap_net_raw", 21: "cap_sys_admin"}

// fileCaps reads the security.capability attribute of path (struct
// vfs_cap_data) and formats it as getcap does, e.g. "cap_net_raw=ep".
func fileCaps(path string) (caps, note string) {
	buf := make([]byte, 64)
	n, err := unix.Getxattr(path, "security.capability", buf)
	switch {
	case errors.Is(err, unix.ENODATA):
		return "", ""
	case err != nil:
		return "", "cannot read security.capability: " + err.Error()
	case n < 12:
		return "", fmt.Sprintf("security.capability has %d bytes, too short", n)
	}
	effective, perm, inh := parseVFSCap(buf[:n])
	caps = strings.Join(capList(perm|inh), ",") + "=" + capFlags(effective, perm, inh)
	if perm&(1<<capNetRaw) != 0 && !effective {
		note = "cap_net_raw is permitted but the effective flag is not set: use setcap cap_net_raw+ep"
	}
	return caps, note
}

// parseVFSCap reads struct vfs_cap_data: the effective flag, then the
// permitted and inheritable sets (32 bits each in version 1, 64 after).
func parseVFSCap(b []byte) (effective bool, perm, inh uint64) {
	effective = binary.LittleEndian.Uint32(b)&1 != 0
	perm = uint64(binary.LittleEndian.Uint32(b[4:]))
	inh = uint64(binary.LittleEndian.Uint32(b[8:]))
	if len(b) >= 20 {
		perm |= uint64(binary.LittleEndian.Uint32(b[12:])) << 32
		inh |= uint64(binary.LittleEndian.Uint32(b[16:])) << 32
	}
	return effective, perm, inh
}

// capList names the capabilities in set, as getcap does.
func capList(set uint64) []string {
	var names []string
	for bit := range 64 {
		if set&(1<<bit) == 0 {
			continue
		}
		name, ok := capNames[bit]
		if !ok {
			name = fmt.Sprintf("cap_%d", bit)
		}
		names = append(names, name)
	}
	return names
}

// capFlags is getcap's "eip" suffix.
func capFlags(effective bool, perm, inh uint64) string {
	flags := ""
	if effective {
		flags += "e"
	}
	if inh != 0 {
		flags += "i"
	}
	if perm != 0 {
		flags += "p"
	}
	return flags
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
		"sudo sysctl -w net.ipv4.ping_group_range='%d %d' (or '0 2147483647' for all), or use a raw ICMP socket, with CAP_NET_RAW",
		rangeText, strings.Join(gids, ","), egid, egid)
}
