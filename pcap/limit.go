package pcap

import (
	"fmt"
	"strconv"
	"strings"
)

// units are the size suffixes ParseLimit takes: SI and binary.
var units = []struct {
	suffix string
	mult   int64
}{
	{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
	{"GB", 1e9}, {"MB", 1e6}, {"kB", 1e3}, {"KB", 1e3},
	{"G", 1e9}, {"M", 1e6}, {"k", 1e3}, {"K", 1e3}, {"B", 1},
}

// ParseLimit reads a bound on a capture: a size with a unit ("64MiB",
// "10MB", "500k", "4096B") bounds the file's bytes; a bare number
// ("1000") bounds its datagrams. "0" is no bound.
func ParseLimit(s string) (maxBytes, maxFrames int64, err error) {
	s = strings.TrimSpace(s)
	for _, u := range units {
		num, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil || v < 0 || v*float64(u.mult) > 1<<62 {
			return 0, 0, fmt.Errorf("%q: want a size such as 64MiB or 10MB, or a number of datagrams", s)
		}
		return int64(v * float64(u.mult)), 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, 0, fmt.Errorf("%q: want a size such as 64MiB or 10MB, or a number of datagrams", s)
	}
	return 0, n, nil
}
