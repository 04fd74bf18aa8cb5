package compare

import (
	"fmt"

	"github.com/socklab/socklab/lab"
)

// measureReliability sends n messages one way and counts what arrives. An
// IP transport runs in l, when there is a lab, first without loss (the
// time it takes when nothing is lost) and then with loss percent; without
// a lab, and for unix sockets, which cross no network, on loopback.
func measureReliability(t Transport, loop Env, l *lab.Lab, loss float64, n int) (Reliability, error) {
	env, where := loop, "loopback, no loss"
	switch {
	case !t.IP():
		where = "no network: a unix socket crosses none"
	case l != nil:
		env = labEnv(l, loop.Tag)
		where = fmt.Sprintf("lab, %v%% loss on the way to the server", loss)
	}
	var base Reliability
	if env.Server != nil {
		if err := l.SetLoss(0); err != nil {
			return Reliability{}, err
		}
		var err error
		if base, err = reliableRun(t, env, n); err != nil {
			return base, fmt.Errorf("without loss: %w", err)
		}
		if err := l.SetLoss(loss); err != nil {
			return Reliability{}, err
		}
	}
	rel, err := reliableRun(t, env, n)
	rel.Where, rel.Lossless = where, base.Flow
	if env.Server != nil {
		rel.Loss = loss
	}
	return rel, err
}

// reliableRun opens a pair in env and sends n messages of msgSize bytes.
func reliableRun(t Transport, env Env, n int) (Reliability, error) {
	var rel Reliability
	p, err := t.Open(env)
	if err != nil {
		return rel, err
	}
	defer p.Close()
	rel.Flow, err = oneWay(p, t.Kind(), n, msgSize)
	if sr, ok := p.Client.(StatsReader); ok {
		if st, serr := sr.Stats(); serr == nil {
			rel.Retrans, rel.SegsOut, rel.HaveTCPInfo = st.Retrans, st.SegsOut, true
		}
	}
	return rel, err
}

// labEnv puts servers in l's server and clients in its client.
func labEnv(l *lab.Lab, tag string) Env {
	srv, _ := l.Host(lab.Server)
	cl, _ := l.Host(lab.Client)
	return Env{Server: srv.Do, Client: cl.Do, ServerIP: srv.Addr(4), Tag: tag}
}
