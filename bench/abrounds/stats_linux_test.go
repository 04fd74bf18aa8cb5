package main

import (
	"math"
	"testing"
)

func TestSpreadAndRatios(t *testing.T) {
	s := spreadOf([]float64{4, 1, 3, 2, 5})
	if s.med != 3 || s.q1 != 2 || s.q3 != 4 || s.n != 5 {
		t.Errorf("spread of 1..5: %+v", s)
	}
	if got := s.String(); got != "3.000 [2.000–4.000] n=5" {
		t.Errorf("String: %q", got)
	}
	if !math.IsNaN(quantile(nil, 0.5)) || spreadOf(nil).String() != "-" {
		t.Error("an empty spread is not NaN and -")
	}
	// ratios pair runs within a round; a round without both is left out
	rounds := []round{
		{"C": {res: result{rate: 100}}, "A": {res: result{rate: 110}}},
		{"C": {res: result{rate: 200}}, "A": {res: result{rate: 180}}},
		{"C": {res: result{rate: 100}}},
	}
	r := ratios(rounds, "A", "C", rate)
	if r.n != 2 || math.Abs(r.med-1.0) > 1e-9 {
		t.Errorf("ratios: %+v, want the median of 1.1 and 0.9 over 2 rounds", r)
	}
}

func TestOrderTurns(t *testing.T) {
	es := []entry{{name: "a"}, {name: "b"}, {name: "c"}}
	want := []string{"abc", "cba", "bca", "acb", "cab", "bac"}
	for r, w := range want {
		got := ""
		for _, e := range order(es, r) {
			got += e.name
		}
		if got != w {
			t.Errorf("round %d: %s, want %s", r, got, w)
		}
	}
}

func TestOthers(t *testing.T) {
	u := usage{busy: 150, ours: 90, steal: 3}
	if got := u.others(500 * 1e6); got != 13 { // the client used 50 ticks
		t.Errorf("others = %d, want 150-90-50+3 = 13", got)
	}
	if got := (usage{busy: 10, ours: 20}).others(0); got != 0 {
		t.Errorf("others below zero: %d", got)
	}
}
