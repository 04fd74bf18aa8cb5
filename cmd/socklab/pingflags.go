package main

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/alecthomas/kong"
)

// pingCount is ping's -c. iputils refuses a count below 1 (-c 0 would
// otherwise mean "forever", which is no -c at all), in these words.
type pingCount int

// Decode reads -c's value.
func (n *pingCount) Decode(ctx *kong.DecodeContext) error {
	s, err := popText(ctx, "count")
	if err != nil {
		return err
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 1 {
		return fmt.Errorf("invalid argument: '%s': out of range: 1 <= value <= %d", s, int64(math.MaxInt64))
	}
	*n = pingCount(v)
	return nil
}

// pingInterval is ping's -i in seconds, and whether it was given: with
// -f and no -i, a flood sends as fast as replies come (at least 100 a
// second), and only that needs privilege; -i 0.002 and more does not, as
// with iputils ping.
type pingInterval struct {
	secs float64
	set  bool
}

// Decode reads -i's value.
func (i *pingInterval) Decode(ctx *kong.DecodeContext) error {
	s, err := popText(ctx, "seconds")
	if err != nil {
		return err
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || math.IsNaN(v) || v > float64(math.MaxInt32)/1000 {
		return fmt.Errorf("bad timing interval: '%s' (seconds, 0 or more)", s)
	}
	i.secs, i.set = v, true
	return nil
}

// duration is the rawsock.PingOptions.Interval of -i: 0 when not given
// (the default: 1 s, or a flood's pace); -i 0 without -f is 1 ns, as fast
// as possible.
func (i pingInterval) duration(flood bool) time.Duration {
	switch {
	case !i.set:
		return 0
	case i.secs == 0 && !flood:
		return time.Nanosecond
	}
	return time.Duration(i.secs * float64(time.Second))
}

// popText pops a flag's value as text.
func popText(ctx *kong.DecodeContext, what string) (string, error) {
	t, err := ctx.Scan.PopValue(what)
	if err != nil {
		return "", err
	}
	return fmt.Sprint(t.Value), nil
}
