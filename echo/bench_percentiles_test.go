package echo

import (
	"encoding/json"
	"math"
	"testing"
)

func TestPercentilesDistribution(t *testing.T) {
	h := newLatencyHist()
	// 1000 round trips of 1µs, 2µs ... 1000µs: p(q) is about 10·q µs.
	for i := int64(1); i <= 1000; i++ {
		h.RecordValue(i * 1000)
	}
	p := percentiles(h)
	if len(p) < 30 || len(p) > 80 {
		t.Errorf("%d points for 1000 round trips, want about 5·log2(1000) = 50", len(p))
	}
	if first := p[0]; first.Pct != 0 || math.Abs(first.Us-1) > 0.01 {
		t.Errorf("first point %+v, want 0%% at the least round trip, 1µs", first)
	}
	if last := p[len(p)-1]; last.Pct != 100 || math.Abs(last.Us-1000) > 1 {
		t.Errorf("last point %+v, want 100%% at the greatest round trip, 1000µs", last)
	}
	for i := 1; i < len(p); i++ {
		if p[i].Pct < p[i-1].Pct || p[i].Us < p[i-1].Us {
			t.Errorf("points %d and %d go backwards: %+v then %+v", i-1, i, p[i-1], p[i])
		}
		if p[i].Pct > 0 && p[i].Pct < 100 && math.Abs(p[i].Us-10*p[i].Pct) > 11 {
			t.Errorf("%g%% at %gµs, want about %gµs", p[i].Pct, p[i].Us, 10*p[i].Pct)
		}
	}
	var ninetyNine bool
	for _, q := range p {
		ninetyNine = ninetyNine || q.Pct >= 99 && q.Pct < 100
	}
	if !ninetyNine {
		t.Errorf("no point between 99%% and 100%%: the tail is not drawn\n%+v", p)
	}
}

func TestPercentilesEmptyIsAnEmptyArray(t *testing.T) {
	b, _ := json.Marshal(percentiles(newLatencyHist()))
	if string(b) != "[]" {
		t.Errorf("no round trips: percentiles are %s in JSON, want []", b)
	}
}
