package compare

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"

	"github.com/socklab/socklab/lab"
)

// Config says what to measure.
type Config struct {
	// Loss, when positive, measures reliability in a lab (see package
	// lab) whose link to the server drops Loss percent of the packets.
	// Building it needs root; without, reliability is measured on
	// loopback and a Note says so.
	Loss float64
	// Messages is N, the messages of the reliability row (default 1000).
	Messages int
	// Progress, when set, is told what is being measured.
	Progress func(msg string)
}

// Workload sizes, the same for every transport.
const (
	setups      = 50        // pairs opened to time the setup
	modeSends   = 100       // small sends of the mode row
	modeSize    = 10        // bytes each
	msgSize     = 100       // bytes of each reliability message
	bulkBytes   = 16 << 20  // bytes of the bulk transfer
	bulkMsg     = 1472      // a datagram that fits a 1500-byte Ethernet MTU
	bulkWrite   = 64 << 10  // a stream's writes in the bulk transfer
	smallCount  = 20000     // messages of the small-message row
	smallSize   = 64        // bytes each
	pingRounds  = 2000      // ping-pong exchanges
	pingSize    = 64        // bytes each
	defaultMsgs = 1000      // N of the reliability row
	labName     = "compare" // + PID
)

// Report is everything compare measured.
type Report struct {
	Results []Result `json:"results"`
	Claims  []Claim  `json:"claims"`
	// Notes say what could not be measured here, and why.
	Notes []string `json:"notes,omitempty"`
	// Loss is the lab's loss in percent when reliability ran in one.
	Loss float64 `json:"loss_pct"`
	// Lab is the lab's name, when there was one.
	Lab string `json:"lab,omitempty"`
}

// Result is every figure of one transport.
type Result struct {
	Transport   string      `json:"transport"`
	Socket      string      `json:"socket"`
	Kind        string      `json:"kind"`
	Connection  Connection  `json:"connection"`
	Reliability Reliability `json:"reliability"`
	Mode        Mode        `json:"mode"`
	Bulk        Flow        `json:"bulk"`
	Small       Flow        `json:"small"`
	Latency     Latency     `json:"latency"`
	Errors      []string    `json:"errors,omitempty"`
	kind        Kind        // for the claims
	ip          bool        // crosses IP, where loss applies
	transport   Transport   // to measure
}

// Reliability is the reliability row of one transport.
type Reliability struct {
	Flow
	// Where it ran: "lab, 10% loss", "loopback, no loss", or "unix:
	// no network, no loss".
	Where string `json:"where"`
	// Loss is the path's loss in percent.
	Loss float64 `json:"loss_pct"`
	// Retrans and SegsOut are TCP's, from TCP_INFO (tcpi_total_retrans,
	// tcpi_segs_out); HaveTCPInfo says whether there were any.
	Retrans     uint32 `json:"retransmissions"`
	SegsOut     uint32 `json:"segments_out"`
	HaveTCPInfo bool   `json:"tcp_info"`
	// Lossless is the same transfer's time on the same path without
	// loss: what the retransmissions cost is Elapsed - Lossless.
	Lossless Flow `json:"lossless"`
}

// Transports returns the five transports in the table's order.
func Transports() []Transport {
	return []Transport{UDP(), TCP(), UnixDgram(), UnixStream(), SeqPacket()}
}

// Run measures every transport and judges the claims.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Messages <= 0 {
		cfg.Messages = defaultMsgs
	}
	if cfg.Loss < 0 || cfg.Loss > 100 {
		return nil, fmt.Errorf("loss %v%% is not a share: want 0%% to 100%%", cfg.Loss)
	}
	r := &Report{}
	loop := Env{ServerIP: netip.MustParseAddr("127.0.0.1"), Tag: strconv.Itoa(os.Getpid())}
	for _, t := range Transports() {
		res := Result{Transport: t.Name(), Socket: t.Socket(), Kind: t.Kind().String(), kind: t.Kind(), ip: t.IP(), transport: t}
		if err := measureLoopback(ctx, &res, loop, cfg.Progress); err != nil {
			return r, err
		}
		r.Results = append(r.Results, res)
	}
	if err := r.reliability(ctx, cfg, loop); err != nil {
		return r, err
	}
	r.Claims = Judge(r)
	return r, nil
}

// step runs one measurement, telling progress, and records a failure in
// res instead of stopping the others.
func step(ctx context.Context, res *Result, what string, progress func(string), fn func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if progress != nil {
		progress(res.Transport + ": " + what)
	}
	if err := fn(); err != nil {
		res.Errors = append(res.Errors, what+": "+err.Error())
	}
	return nil
}

// measureLoopback runs the rows that need no lab.
func measureLoopback(ctx context.Context, res *Result, env Env, progress func(string)) error {
	t := res.transport
	steps := []struct {
		what string
		fn   func() error
	}{
		{"connection", func() (err error) { res.Connection, err = measureConnection(t, env, setups); return }},
		{"transmission mode", func() (err error) { res.Mode, err = measureMode(t, env, modeSends, modeSize); return }},
		{"bulk transfer", func() (err error) { res.Bulk, err = flow(t, env, bulkBytes, bulkMsg); return }},
		{"small messages", func() (err error) { res.Small, err = flow(t, env, smallCount*smallSize, smallSize); return }},
		{"ping-pong", func() (err error) { res.Latency, err = measureLatency(t, env, pingRounds, pingSize); return }},
	}
	for _, s := range steps {
		if err := step(ctx, res, s.what, progress, s.fn); err != nil {
			return err
		}
	}
	return nil
}

// flow sends total bytes one way over a new pair: in messages of msg
// bytes, or on a stream in bulkWrite writes when total is bulk.
func flow(t Transport, env Env, total, msg int) (Flow, error) {
	p, err := t.Open(env)
	if err != nil {
		return Flow{}, err
	}
	defer p.Close()
	if t.Kind() == KindStream && total == bulkBytes {
		msg = bulkWrite
	}
	return oneWay(p, t.Kind(), total/msg, msg)
}

// reliability runs the reliability row: in a lab with loss when asked
// and possible, on loopback otherwise.
func (r *Report) reliability(ctx context.Context, cfg Config, loop Env) error {
	var l *lab.Lab
	if cfg.Loss > 0 {
		if cfg.Progress != nil {
			cfg.Progress(fmt.Sprintf("building a lab with %v%% loss", cfg.Loss))
		}
		var err error
		l, err = lab.Up(lab.Config{Name: labName + strconv.Itoa(os.Getpid()), Hosts: 2})
		switch {
		case errors.Is(err, os.ErrPermission):
			r.Notes = append(r.Notes, "reliability under loss needs root, to build a lab (network namespaces, nftables): it ran on loopback, where nothing is lost")
		case err != nil:
			r.Notes = append(r.Notes, "reliability under loss needs a lab, which could not be built ("+err.Error()+"): it ran on loopback")
		default:
			defer l.Down()
			r.Lab, r.Loss = l.Name, cfg.Loss
		}
	} else {
		r.Notes = append(r.Notes, "no --loss: reliability ran on loopback, where nothing is lost; as root, --loss 10% measures it in a lab")
	}
	for i := range r.Results {
		res := &r.Results[i]
		err := step(ctx, res, "reliability", cfg.Progress, func() error {
			rel, err := measureReliability(res.transport, loop, l, cfg.Loss, cfg.Messages)
			res.Reliability = rel
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}
