#!/usr/bin/env bash
# compare_stream.sh - socklab's TCP echo server side by side with a C epoll
# echo server (bench/cepoll.c), socat and ncat, on loopback only.
#
#   bash bench/compare_stream.sh                 # full run, about 2 minutes
#   DURATION=2 bash bench/compare_stream.sh      # seconds per measurement (default 5)
#   LOADS="1x1 100x1" bash bench/compare_stream.sh   # CONNSxINFLIGHT to run
#   RT=1 bash bench/compare_stream.sh            # SCHED_FIFO for servers and clients
#   REPEAT=3 bash bench/compare_stream.sh        # each cell the median of 3 runs,
#                                                # every server run once per round
#   PIN=0 bash bench/compare_stream.sh           # no CPU pinning (a pinned server
#                                                # starves behind another busy process)
#
# Every measurement starts a fresh server pinned to CPU 0 and drives it with
# bench/cstream.c pinned to CPU 1: CONNS connections, each with INFLIGHT
# 64-byte messages outstanding (1: ping-pong per connection), after a second
# of warm-up.  socklab runs with GOMAXPROCS=1 (SOCKLAB_PROCS to change it):
# one thread runs its goroutines, as cepoll is one thread; socat and ncat
# fork per connection and use every CPU they get.  cstream checks that
# every reply is the bytes it sent.  Memory
# is the largest sum of Pss over the server's processes (socat and ncat fork
# one, or two with cat, per connection), sampled twice a second during the
# run.  The tables go to stdout, a
# progress line per measurement to stderr; a cell that cannot run says n/a
# and why.
set -euo pipefail

DURATION=${DURATION:-5}
REPEAT=${REPEAT:-1}
LOADS=${LOADS:-"1x1 100x1 100x16"}
SIZE=${SIZE:-64}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d /tmp/socklab-bench-stream.XXXXXX)
PGIDS=()

cleanup() {
	local pg
	for pg in "${PGIDS[@]}"; do
		kill -KILL -- "-$pg" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log() { printf '%s\n' "$*" >&2; }

need=()
for p in socat:socat ncat:ncat gcc:gcc taskset:util-linux python3:python3; do
	command -v "${p%%:*}" >/dev/null 2>&1 || need+=("${p#*:}")
done
if ((${#need[@]})); then
	log "installing ${need[*]}"
	if [[ $(id -u) == 0 ]]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >&2
	else
		sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >&2
	fi
fi

gcc -O2 -Wall -Wextra -o "$WORK/cepoll" "$ROOT/bench/cepoll.c"
gcc -O2 -Wall -Wextra -o "$WORK/cstream" "$ROOT/bench/cstream.c"
(cd "$ROOT" && go build -o "$WORK/socklab" ./cmd/socklab)

SRV=() CLI=()
if (($(nproc) >= 2)) && [[ ${PIN:-1} == 1 ]]; then
	SRV=(taskset -c 0) CLI=(taskset -c 1)
fi
if [[ ${RT:-0} == 1 ]]; then
	SRV=(chrt -f 1 "${SRV[@]}") CLI=(chrt -f 1 "${CLI[@]}")
fi

# free_port: a TCP port nothing listens on, in PORT
NEXTPORT=$((20000 + RANDOM % 20000))
free_port() {
	local hex
	while :; do
		hex=$(printf ':%04X ' "$NEXTPORT")
		grep -qi -- "$hex" /proc/net/tcp /proc/net/tcp6 2>/dev/null || break
		NEXTPORT=$((NEXTPORT + 1))
	done
	PORT=$NEXTPORT
	NEXTPORT=$((NEXTPORT + 1))
}

# start_server CMD...: start CMD in its own process group on the server CPU
# and wait up to 5 s for 127.0.0.1:PORT to listen.  Sets SPID, or returns 1
# with the reason in FAIL.
start_server() {
	setsid "${SRV[@]}" "$@" >/dev/null 2>"$WORK/server.err" </dev/null &
	SPID=$!
	PGIDS+=("$SPID")
	local hex
	hex=$(printf '0100007F:%04X 00000000:0000 0A' "$PORT")
	for _ in $(seq 50); do
		if ! kill -0 "$SPID" 2>/dev/null; then
			FAIL="server exited: $(head -c 200 "$WORK/server.err" | tr '\n' ' ')"
			return 1
		fi
		grep -qi -- "$hex" /proc/net/tcp && return 0
		sleep 0.1
	done
	FAIL="server not listening after 5 s"
	stop_server
	return 1
}

# group_rss: the summed proportional set size (Pss: shared pages divided
# among the processes that map them) of the server's processes, in kB
group_rss() {
	local pid kb sum=0
	for pid in $(pgrep -g "$SPID" 2>/dev/null || true); do
		kb=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || true)
		sum=$((sum + ${kb:-0}))
	done
	echo "$sum"
}

# sample_rss FILE: while the server runs, keep the largest group_rss in
# FILE, twice a second (forked servers' children come and go with the
# connections)
sample_rss() {
	local max=0 now
	while kill -0 "$SPID" 2>/dev/null; do
		now=$(group_rss)
		((now > max)) && max=$now && echo "$max" >"$1"
		sleep 0.5
	done
}

# stop_server: stop the server's process group
stop_server() {
	kill -TERM -- "-$SPID" 2>/dev/null || true
	for _ in $(seq 20); do
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL -- "-$SPID" 2>/dev/null || true
	wait "$SPID" 2>/dev/null || true
}

# server_cmd NAME: the command of server NAME on PORT, in CMD
server_cmd() {
	case $1 in
	socklab) CMD=(env GOMAXPROCS="${SOCKLAB_PROCS:-1}" "$WORK/socklab" tcp4 serve --bind "127.0.0.1:$PORT" --reply echo -q) ;;
	cepoll) CMD=("$WORK/cepoll" "127.0.0.1:$PORT") ;;
	socat-pipe) CMD=(socat "TCP4-LISTEN:$PORT,bind=127.0.0.1,fork,reuseaddr,backlog=4096" PIPE) ;;
	socat-cat) CMD=(socat "TCP4-LISTEN:$PORT,bind=127.0.0.1,fork,reuseaddr,backlog=4096" EXEC:cat) ;;
	ncat) CMD=(ncat -l -k -m 1000 --exec /bin/cat 127.0.0.1 "$PORT") ;;
	esac
}

declare -A RATE=() P50=() P99=() RSS=() WHY=()

# measure NAME LOAD: one fresh server, one cstream run
measure() {
	local name=$1 load=$2 out
	free_port
	server_cmd "$name"
	if ! start_server "${CMD[@]}"; then
		WHY[$name/$load]=$FAIL
		return
	fi
	echo 0 >"$WORK/rss"
	sample_rss "$WORK/rss" &
	local sampler=$!
	if out=$("${CLI[@]}" "$WORK/cstream" "127.0.0.1:$PORT" -c "${load%x*}" -n "${load#*x}" -s "$SIZE" -d "$DURATION" 2>"$WORK/client.err"); then
		read -r RATE[$name/$load] P50[$name/$load] P99[$name/$load] < <(python3 -c '
import json, sys
r = json.loads(sys.argv[1]); l = r["latency_us"]
print(r["msgs_per_sec"], l["p50"], l["p99"])' "$out")
	else
		WHY[$name/$load]="cstream: $(head -c 100 "$WORK/client.err" | tr '\n' ' ')"
	fi
	stop_server
	wait "$sampler" 2>/dev/null || true
	RSS[$name/$load]=$(cat "$WORK/rss")
	log "$name $load: ${RATE[$name/$load]:-n/a} msgs/s ${WHY[$name/$load]:-}"
}

SERVERS=(cepoll socklab socat-pipe socat-cat ncat)
declare -A NOTE=(
	[cepoll]="bench/cepoll.c: one thread, epoll"
	[socklab]="socklab tcp4 serve --reply echo -q: a goroutine per connection"
	[socat-pipe]="socat TCP4-LISTEN:P,fork PIPE: a process per connection"
	[socat-cat]="socat TCP4-LISTEN:P,fork EXEC:cat: two processes per connection"
	[ncat]="ncat -l -k --exec /bin/cat: two processes per connection"
)
START=$(date +%s)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
# Each repetition runs every server once, so that other work on the
# machine weighs on all of them alike; a cell is the run of median msgs/s
# (a failed run counts as 0).
declare -A RUNS=()
for ((rep = 0; rep < REPEAT; rep++)); do
	for load in $LOADS; do
		for s in "${SERVERS[@]}"; do
			k=$s/$load
			measure "$s" "$load"
			RUNS[$k]+="${RATE[$k]:-0} ${P50[$k]:-} ${P99[$k]:-} ${RSS[$k]:-0}"$'\n'
			unset "RATE[$k]"
		done
	done
done
declare -A SPREAD=()
for k in "${!RUNS[@]}"; do
	read -r rate p50 p99 rss < <(printf '%s' "${RUNS[$k]}" | sort -n | sed -n "$(((REPEAT + 1) / 2))p")
	if [[ $rate != 0 ]]; then
		RATE[$k]=$rate P50[$k]=$p50 P99[$k]=$p99 RSS[$k]=$rss
	fi
	SPREAD[$k]=$(printf '%s' "${RUNS[$k]}" | awk 'NR == 1 || $1 < lo {lo = $1} NR == 1 || $1 > hi {hi = $1} END {print lo "-" hi}')
done

echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- machine: $(nproc) CPUs, $(uname -sr)"
echo "- socklab: built from $(cd "$ROOT" && git describe --always --dirty 2>/dev/null || echo unknown), GOMAXPROCS=${SOCKLAB_PROCS:-1}"
pinning="server on CPU 0, bench/cstream on CPU 1"
((${#SRV[@]})) || pinning="no CPU pinning"
echo "- $DURATION s per measurement after 1 s of warm-up, $SIZE-byte messages, the median of $REPEAT run(s); $pinning"
echo "- load average at start: $LOAD0, at end: $(cut -d' ' -f1-3 /proc/loadavg); $(($(date +%s) - START)) s in all"
echo
for load in $LOADS; do
	echo "### ${load%x*} connection(s) × ${load#*x} in flight each"
	echo
	echo "| server | msgs/s | vs C | p50 µs | p99 µs | memory (peak Pss) | msgs/s of each round | how it serves |"
	echo "|---|---:|---:|---:|---:|---:|---:|---|"
	c=${RATE[cepoll/$load]:-}
	for s in "${SERVERS[@]}"; do
		k=$s/$load
		if [[ -z ${RATE[$k]:-} ]]; then
			echo "| $s | n/a | | | | | | ${WHY[$k]:-} |"
			continue
		fi
		ratio=""
		[[ -n $c && $c != 0 ]] && ratio=$(python3 -c "print('%.2f' % (${RATE[$k]} / $c))")
		rss=$(python3 -c "print('%.1f MiB' % (${RSS[$k]:-0} / 1024))")
		echo "| $s | ${RATE[$k]} | $ratio | ${P50[$k]} | ${P99[$k]} | $rss | ${SPREAD[$k]} | ${NOTE[$s]} |"
	done
	echo
done
