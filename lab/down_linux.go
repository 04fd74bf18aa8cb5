package lab

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"syscall"
)

// Down removes lab name: every namespace its state file lists and every
// namespace named as its would be (so a lab whose builder was killed
// before it finished is found), each with the veth ends and nftables
// table inside it, then its state file. Processes still running in a
// namespace (servers started with socklab lab exec) are sent SIGTERM,
// since they would keep it alive without a name. A lab that is not there
// is no error: Removed is then empty.
func Down(name string, notify func(string)) (Removed, error) {
	r := Removed{Name: name}
	if err := CheckName(name); err != nil {
		return r, err
	}
	st, err := statusOf(name)
	if err != nil {
		return r, err
	}
	r.Leftover = st.Problem
	var errs []error
	for _, ns := range st.Netns {
		killed, err := removeNetns(ns, notify)
		r.Killed = append(r.Killed, killed...)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r.Netns = append(r.Netns, ns)
	}
	if st.Lab != nil && len(errs) == 0 {
		if err := os.Remove(statePath(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
		r.State = true
	}
	return r, errors.Join(errs...)
}

// DownAll removes every lab found here, as Down does each.
func DownAll(notify func(string)) ([]Removed, error) {
	all, err := List()
	if err != nil {
		return nil, err
	}
	var done []Removed
	var errs []error
	for _, st := range all {
		r, err := Down(st.Name, notify)
		done = append(done, r)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return done, errors.Join(errs...)
}

// Down removes l, as Down(l.Name) does.
func (l *Lab) Down() error {
	_, err := Down(l.Name, nil)
	return err
}

// removeNetns terminates the processes in ns and deletes it.
func removeNetns(ns string, notify func(string)) ([]int, error) {
	pids, _ := PIDsIn(ns)
	var killed []int
	for _, pid := range pids {
		if pid == os.Getpid() {
			continue
		}
		if syscall.Kill(pid, syscall.SIGTERM) == nil {
			killed = append(killed, pid)
		}
	}
	s := cmd("ip", "netns", "del", ns)
	if err := run(s, notify); err != nil {
		return killed, err
	}
	return killed, nil
}

// List returns every lab here: those with a state file and those whose
// namespaces exist without one, sorted by name.
func List() ([]Status, error) {
	names, err := stateNames()
	if err != nil {
		return nil, err
	}
	list, err := listNetns()
	if err != nil {
		return nil, err
	}
	for n := range groupNetns(list) {
		names = append(names, n)
	}
	sort.Strings(names)
	var all []Status
	for i, n := range names {
		if i > 0 && n == names[i-1] {
			continue
		}
		st, err := statusOf(n)
		if err != nil {
			return all, err
		}
		all = append(all, st)
	}
	return all, nil
}

// statusOf finds what is here of lab name.
func statusOf(name string) (Status, error) {
	st := Status{Name: name}
	l, err := load(name)
	if err != nil {
		return st, err
	}
	st.Lab = l
	list, err := listNetns()
	if err != nil {
		return st, err
	}
	st.Netns = groupNetns(list)[name]
	if l != nil {
		for _, h := range l.Hosts {
			if !slices.Contains(st.Netns, h.Netns) {
				st.Missing = append(st.Missing, h.Netns)
			}
		}
	}
	st.Problem = problem(st)
	if slices.Contains(st.Netns, NetnsName(name, Server)) {
		st.Dropped, st.HaveDropped = dropped(NetnsName(name, Server))
	}
	return st, nil
}

// problem says why st is not a whole lab, or "".
func problem(st Status) string {
	l := st.Lab
	switch {
	case l == nil:
		return "no state file: left by a socklab that was stopped, or made by hand"
	case l.State != "up" && alive(l.PID):
		return fmt.Sprintf("being built by pid %d", l.PID)
	case l.State != "up":
		return fmt.Sprintf("left half-built by pid %d, which has ended", l.PID)
	case len(st.Missing) > 0:
		return "namespaces gone (removed by hand?): " + strings.Join(st.Missing, ", ")
	}
	return ""
}

func alive(pid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	return pid > 0 && err == nil
}

// dropped reads the counter of the loss rule in ns, if there is one.
func dropped(ns string) (uint64, bool) {
	out, err := exec.Command("ip", "netns", "exec", ns, "nft", "list", "chain", "inet", Table, "input").Output()
	if err != nil {
		return 0, false
	}
	// "... counter packets 97 bytes 9118 drop comment ..."
	_, rest, ok := strings.Cut(string(out), "counter packets ")
	if !ok {
		return 0, false
	}
	var n uint64
	_, err = fmt.Sscan(rest, &n)
	return n, err == nil
}
