#!/usr/bin/env bash
# compare.sh - socklab's echo server side by side with other datagram echo
# servers, on loopback and unix sockets in a temp dir only.
#
#   bash bench/compare.sh                  # full run, a few minutes
#   DURATION=2 bash bench/compare.sh       # seconds per measurement (default 5)
#   FAMILIES="udp4" SIZES="64" bash bench/compare.sh
#   RT=1 bash bench/compare.sh             # SCHED_FIFO for servers and clients
#   UNIX_QLEN=512 bash bench/compare.sh    # in a private network namespace
#                                          # with net.unix.max_dgram_qlen=512
#
# Servers: socklab serve, the C reference server (bench/cecho.c), sockperf
# server (3.7: udp4 only), socat (udp4/udp6/unix) and the seed's Python server
# (udp4, 64 B: it reads with recvfrom(1024)).  Pass 1 drives each of them with
# bench/cload.c: throughput (INFLIGHT datagrams in flight, echoes/s) and
# ping-pong (one in flight, round-trip p50/p99/p99.9), each against a freshly
# started server, and records the server's peak RSS (VmHWM).  Pass 2 drives the
# C server with `socklab bench`.  Pass 3 runs `sockperf ping-pong` against
# `socklab udp4 serve --reply sockperf` and against `sockperf server`.
# Servers are pinned to CPU 0 and clients to CPU 1 when there are 2+ CPUs.
#
# Each measurement here is a fresh process at its own moment: on a shared
# or noisy machine two of them differ by 10-30% (this VM has two
# throughput modes), so use these tables to place socklab among the
# others, not to judge a ratio near 1.  For that, and for A/B between two
# socklab binaries, run the alternating rounds of bench/abrounds:
#   go run ./bench/abrounds -b OLD_SOCKLAB [-rt]   (see docs/benchmarks.md)
# The tables go to stdout, a progress line per measurement to stderr.  A cell
# that cannot run prints n/a and why; the script goes on.
set -euo pipefail

DURATION=${DURATION:-5}
SIZES=${SIZES:-"64 1400"}
FAMILIES=${FAMILIES:-"udp4 udp6 unix"}
INFLIGHT=${INFLIGHT:-64}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/bench/out
WORK=$(mktemp -d /tmp/socklab-bench.XXXXXX)
declare -A CLOAD_TP=() # pass 1's C server throughput, for pass 2
PGIDS=() # process groups of the servers started here

cleanup() {
	local pg
	for pg in "${PGIDS[@]}"; do
		kill -TERM -- "-$pg" 2>/dev/null || true
	done
	for pg in "${PGIDS[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 -- "-$pg" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- "-$pg" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log() { printf '%s\n' "$*" >&2; }

# --- peers ------------------------------------------------------------------
need=()
peers=(sockperf:sockperf socat:socat python3:python3 gcc:gcc taskset:util-linux)
[[ -z ${UNIX_QLEN:-} ]] || peers+=(ip:iproute2 unshare:util-linux)
for p in "${peers[@]}"; do
	command -v "${p%%:*}" >/dev/null 2>&1 || need+=("${p#*:}")
done
if ((${#need[@]})); then
	log "installing ${need[*]}"
	if [[ $(id -u) == 0 ]]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >&2 ||
			{ apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >&2; }
	else
		sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >&2
	fi
fi
HAVE_SOCKPERF=1
command -v sockperf >/dev/null 2>&1 || HAVE_SOCKPERF=0

# --- build (once: not again inside the UNIX_QLEN namespace) --------------------
mkdir -p "$OUT"
SOCKLAB_ERR=""
if [[ -n ${_COMPARE_NETNS:-} ]]; then
	SOCKLAB_ERR=${_COMPARE_SOCKLAB_ERR:-}
else
	gcc -O2 -Wall -Wextra -o "$OUT/cecho" "$ROOT/bench/cecho.c"
	gcc -O2 -Wall -Wextra -o "$OUT/cload" "$ROOT/bench/cload.c"
	rm -f "$OUT/socklab"
fi
if [[ -n ${_COMPARE_NETNS:-} ]]; then
	:
elif ! command -v go >/dev/null 2>&1; then
	SOCKLAB_ERR="no go toolchain"
elif ! (cd "$ROOT" && go build -o "$OUT/socklab" ./cmd/socklab) >"$WORK/build.log" 2>&1; then
	SOCKLAB_ERR="build failed: $(grep -m1 -v '^#' "$WORK/build.log" | cut -c1-80)"
fi
SOCKLAB=$OUT/socklab

# UNIX_QLEN=N: run in a private network namespace (loopback only) whose
# net.unix.max_dgram_qlen is N instead of the default 10
if [[ -n ${UNIX_QLEN:-} && -z ${_COMPARE_NETNS:-} ]]; then
	[[ $UNIX_QLEN =~ ^[0-9]+$ ]] || { log "UNIX_QLEN must be a number"; exit 2; }
	trap - EXIT
	rm -rf "$WORK"
	# shellcheck disable=SC2016 # the inner bash expands them
	exec unshare -n env _COMPARE_NETNS=1 _COMPARE_SOCKLAB_ERR="$SOCKLAB_ERR" bash -c \
		'ip link set lo up && echo "$UNIX_QLEN" >/proc/sys/net/unix/max_dgram_qlen && exec bash "$0"' \
		"${BASH_SOURCE[0]}"
fi

SRV=() CLI=()
if (($(nproc) >= 2)); then
	SRV=(taskset -c 0) CLI=(taskset -c 1)
fi
# RT=1: run servers and clients SCHED_FIFO (chrt -f 1), to shield them from
# other work on a shared machine (at that work's expense)
if [[ ${RT:-0} == 1 ]]; then
	SRV=(chrt -f 1 "${SRV[@]}") CLI=(chrt -f 1 "${CLI[@]}")
fi

# --- helpers --------------------------------------------------------------------
# port_free PORT: nothing bound to it on udp or udp6
port_free() {
	local hex
	hex=$(printf ':%04X ' "$1")
	! grep -qi -- "$hex" /proc/net/udp /proc/net/udp6 2>/dev/null
}
NEXTPORT=$((20000 + RANDOM % 20000))
next_port() {
	while ! port_free "$NEXTPORT"; do NEXTPORT=$((NEXTPORT + 1)); done
	PORT=$NEXTPORT
	NEXTPORT=$((NEXTPORT + 1))
}

# start_server READY CMD...: start CMD in its own process group on the server
# CPU; READY is udp:PORT or unix:PATH, waited for up to 5 s.  Sets SPID, or
# returns 1 with the reason in FAIL.
start_server() {
	local ready=$1 hex
	shift
	setsid "${SRV[@]}" "$@" >/dev/null 2>"$WORK/server.err" </dev/null &
	SPID=$!
	PGIDS+=("$SPID")
	for _ in $(seq 50); do
		if ! kill -0 "$SPID" 2>/dev/null; then
			wait "$SPID" 2>/dev/null || true
			FAIL="server exited: $(head -c 300 "$WORK/server.err" | tr '\n' ' ' | cut -c1-100)"
			return 1
		fi
		case $ready in
		udp:*)
			hex=$(printf ':%04X ' "${ready#udp:}")
			grep -qi -- "$hex" /proc/net/udp /proc/net/udp6 2>/dev/null && return 0
			;;
		unix:*) [[ -S ${ready#unix:} ]] && return 0 ;;
		esac
		sleep 0.1
	done
	FAIL="server not ready after 5 s"
	stop_server
	return 1
}

# stop_server: record the peak RSS of SPID in RSS_KB, stop its process group
stop_server() {
	RSS_KB=$(awk '/^VmHWM:/ {print $2}' "/proc/$SPID/status" 2>/dev/null || true)
	kill -TERM -- "-$SPID" 2>/dev/null || true
	for _ in $(seq 20); do
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL -- "-$SPID" 2>/dev/null || true
	wait "$SPID" 2>/dev/null || true
}

# jfields JSON KEY...: print the values of KEYs (searched at any depth) of the
# last JSON object in JSON, tab-separated, "-" for a missing one
jfields() {
	python3 - "$@" <<'EOF'
import json, sys
text, keys = sys.argv[1], sys.argv[2:]
obj = None
for line in reversed(text.splitlines()):
    line = line.strip()
    if line.startswith('{'):
        try:
            obj = json.loads(line); break
        except ValueError:
            pass
if obj is None:
    try: obj = json.loads(text)
    except ValueError: obj = {}
def find(o, k):
    if isinstance(o, dict):
        if k in o: return o[k]
        for v in o.values():
            r = find(v, k)
            if r is not None: return r
    return None
out = []
for k in keys:
    v = find(obj, k)
    out.append('-' if v is None else ('%.1f' % v if isinstance(v, float) else str(v)))
print('\t'.join(out))
EOF
}

fmt_rate() { [[ $1 =~ ^[0-9.]+$ ]] && printf "%'.0f" "$1" || printf '%s' "$1"; }
fmt_mib() { [[ ${1:-} =~ ^[0-9]+$ ]] && awk -v k="$1" 'BEGIN {printf "%.1f MiB", k/1024}' || printf 'n/a'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a ~ /^[0-9.]+$/ && b+0 > 0) printf "%.2f", a/b; else printf "-"}'; }

CELL=0
progress() { CELL=$((CELL + 1)); log "[$CELL $(date +%T)] $*"; }

# --- pass 1: every server, driven by cload ---------------------------------------
# server_cmd NAME FAMILY SIZE: set CMD, READY, TARGET (cload's address
# options) and EXTRA (more cload options), or return 1 when NAME does not
# apply to FAMILY/SIZE (with the reason in FAIL)
server_cmd() {
	local name=$1 fam=$2 size=$3 path
	EXTRA=()
	next_port
	case $fam in
	udp4) TARGET=(-4 "127.0.0.1:$PORT") READY=udp:$PORT ;;
	udp6) TARGET=(-6 "[::1]:$PORT") READY=udp:$PORT ;;
	unix)
		path=$WORK/srv-$PORT.sock
		TARGET=(-u "$path" -b "$WORK/cli-$PORT.sock") READY=unix:$path
		;;
	esac
	case $name in
	cecho)
		case $fam in
		udp4) CMD=("$OUT/cecho" -4 "127.0.0.1:$PORT") ;;
		udp6) CMD=("$OUT/cecho" -6 "[::1]:$PORT") ;;
		unix) CMD=("$OUT/cecho" -u "$path") ;;
		esac
		;;
	socklab)
		[[ -z $SOCKLAB_ERR ]] || { FAIL=$SOCKLAB_ERR; return 1; }
		case $fam in
		udp4) CMD=("$SOCKLAB" udp4 serve --bind "127.0.0.1:$PORT" --reply echo --quiet) ;;
		udp6) CMD=("$SOCKLAB" udp6 serve --bind "[::1]:$PORT" --reply echo --quiet) ;;
		unix) CMD=("$SOCKLAB" unix serve --path "$path" --reply echo --quiet) ;;
		esac
		;;
	sockperf)
		((HAVE_SOCKPERF)) || { FAIL="sockperf not installed"; return 1; }
		[[ $fam == udp4 ]] || { FAIL="sockperf 3.7 is IPv4 only"; return 1; }
		CMD=(sockperf server -i 127.0.0.1 -p "$PORT")
		EXTRA=(-k) # sockperf's header, so that it answers
		;;
	socat)
		# socat has no datagram echo address: PIPE is a byte stream and
		# merges datagrams, and *-RECVFROM,fork forks a process per
		# datagram.  So the listening socket (which answers its first
		# peer only) is joined to a second socket that sends to itself.
		local ref
		next_port
		ref=$PORT
		case $fam in
		udp4) CMD=(socat -b 65536 "UDP4-LISTEN:${READY#udp:},bind=127.0.0.1" "UDP4-DATAGRAM:127.0.0.1:$ref,bind=127.0.0.1:$ref") ;;
		udp6) CMD=(socat -b 65536 "UDP6-LISTEN:${READY#udp:},bind=[::1]" "UDP6-DATAGRAM:[::1]:$ref,bind=[::1]:$ref") ;;
		unix) CMD=(socat -b 65536 "UNIX-SENDTO:$WORK/cli-${READY#unix:"$WORK"/srv-},bind=$path" "UNIX-SENDTO:$WORK/ref-$ref.sock,bind=$WORK/ref-$ref.sock") ;;
		esac
		;;
	python)
		[[ $fam == udp4 ]] || { FAIL="the seed's server is udp4 only"; return 1; }
		[[ $size -le 1024 ]] || { FAIL="recvfrom(1024) truncates ${size} B"; return 1; }
		CMD=(python3 "$ROOT/bench/seed_server.py" 127.0.0.1 "$PORT")
		;;
	esac
}

# run_cload MODE TARGET...: run cload on the client CPU; sets RES (JSON)
run_cload() {
	local mode=$1
	shift
	local opts=(-s "$SIZE" -d "$DURATION")
	[[ $mode == pingpong ]] && opts+=(-p) || opts+=(-n "$INFLIGHT")
	RES=$(timeout $((DURATION * 3 + 10)) "${CLI[@]}" "$OUT/cload" "$@" "${opts[@]}" 2>&1) || true
}

# measure NAME: throughput then ping-pong, each against a fresh server; sets
# ROW fields TP P50 P99 P999 RSS NOTE
measure() {
	local name=$1 rss=0 v mode lost bad a50 a99 a999
	TP=n/a P50=n/a P99=n/a P999=n/a RSS=n/a NOTE=""
	for mode in throughput pingpong; do
		if ! server_cmd "$name" "$FAM" "$SIZE"; then
			NOTE=$FAIL
			progress "$FAM ${SIZE}B $name: n/a ($FAIL)"
			return
		fi
		if ! start_server "$READY" "${CMD[@]}"; then
			NOTE=$FAIL
			progress "$FAM ${SIZE}B $name $mode: n/a ($FAIL)"
			return
		fi
		run_cload "$mode" "${TARGET[@]}" "${EXTRA[@]}"
		stop_server
		[[ ${RSS_KB:-0} -gt $rss ]] && rss=$RSS_KB
		IFS=$'\t' read -r v lost bad a50 a99 a999 < <(jfields "$RES" echoes_per_sec lost bad p50 p99 p999)
		if [[ $v == - ]]; then
			NOTE+="$mode failed: $(printf '%s' "$RES" | tr '\n' ' ' | cut -c1-80); "
		elif [[ $mode == throughput ]]; then
			TP=$v
			[[ $lost == 0 && $bad == 0 ]] || NOTE+="lost $lost, bad $bad; "
		else
			P50=$a50 P99=$a99 P999=$a999
			[[ $lost == 0 && $bad == 0 ]] || NOTE+="pingpong lost $lost, bad $bad; "
		fi
		progress "$FAM ${SIZE}B $name $mode: $( [[ $mode == throughput ]] && echo "$(fmt_rate "$v") echoes/s" || echo "p50 $a50 us") lost ${lost} bad ${bad}"
	done
	((rss)) && RSS=$rss
	[[ $name == python ]] && NOTE+="replies \"[ctime] data\"; 64 B only (recvfrom(1024)); "
	[[ $name == socat ]] && NOTE+="answers its first peer only; "
	[[ $name == sockperf ]] && NOTE+="cload -k adds sockperf's 14-byte header; "
	return 0
}

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
START=$(date +%s)
echo "# socklab echo server comparison"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- machine: $(nproc) CPUs, $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1), Linux $(uname -r)"
echo "- pinning: $( (($(nproc) >= 2)) && echo 'server on CPU 0, client on CPU 1 (taskset)' || echo none)$([[ ${RT:-0} == 1 ]] && echo ', SCHED_FIFO (RT=1)')"
echo "- ${DURATION} s per measurement, $INFLIGHT datagrams in flight for throughput; net.unix.max_dgram_qlen=$(cat /proc/sys/net/unix/max_dgram_qlen 2>/dev/null || echo '?')"
echo "- socklab: ${SOCKLAB_ERR:-built from $(cd "$ROOT" && git describe --always --dirty 2>/dev/null || echo '?') (the work tree)}"
echo "- load average at start: $LOAD0"
echo

echo "## Pass 1: servers driven by bench/cload (echoes/s: throughput; latency: ping-pong round trip, microseconds)"
for FAM in $FAMILIES; do
	for SIZE in $SIZES; do
		declare -A tp=() p50=() p99=() p999=() rss=() note=()
		for name in cecho socklab sockperf socat python; do
			measure "$name"
			tp[$name]=$TP p50[$name]=$P50 p99[$name]=$P99 p999[$name]=$P999 rss[$name]=$RSS note[$name]=$NOTE
		done
		echo
		echo "### $FAM, $SIZE B"
		echo
		echo "| server | echoes/s | vs C | p50 µs | p99 µs | p99.9 µs | peak RSS | notes |"
		echo "|---|---:|---:|---:|---:|---:|---:|---|"
		for name in cecho socklab sockperf socat python; do
			label=$name
			case $name in
			cecho) label="C (bench/cecho.c)" ;;
			socklab) label="socklab serve" ;;
			sockperf) label="sockperf server" ;;
			python) label="seed Python" ;;
			esac
			if [[ ${tp[$name]} == n/a && ${p50[$name]} == n/a ]]; then
				echo "| $label | n/a | | | | | | ${note[$name]%; } |"
				continue
			fi
			echo "| $label | $(fmt_rate "${tp[$name]}") | $(ratio "${tp[$name]}" "${tp[cecho]}") | ${p50[$name]} | ${p99[$name]} | ${p999[$name]} | $(fmt_mib "${rss[$name]}") | ${note[$name]%; } |"
		done
		CLOAD_TP[$FAM-$SIZE]=$(fmt_rate "${tp[cecho]}")
		unset tp p50 p99 p999 rss note
	done
done

# --- pass 2: socklab bench as the client, against the C server ------------------
echo
echo "## Pass 2: \`socklab bench\` as the client, against the C server"
echo
echo "| family | size | socklab bench echoes/s | cload echoes/s (pass 1) | socklab bench p50/p99/p99.9 µs | notes |"
echo "|---|---:|---:|---:|---|---|"
for FAM in $FAMILIES; do
	for SIZE in $SIZES; do
		row_tp=n/a row_lat=n/a row_note=""
		if [[ -n $SOCKLAB_ERR ]]; then
			row_note=$SOCKLAB_ERR
			progress "$FAM ${SIZE}B socklab bench: n/a ($row_note)"
		else
			for mode in throughput pingpong; do
				server_cmd cecho "$FAM" "$SIZE"
				if ! start_server "$READY" "${CMD[@]}"; then
					row_note+="$FAIL; "
					break
				fi
				case $FAM in
				udp4) target=(udp4 bench "127.0.0.1:${READY#udp:}") ;;
				udp6) target=(udp6 bench "[::1]:${READY#udp:}") ;;
				unix) target=(unix bench --path "${READY#unix:}") ;;
				esac
				out=$(timeout $((DURATION * 3 + 10)) "${CLI[@]}" "$SOCKLAB" "${target[@]}" --mode "$mode" \
					--size "$SIZE" --duration "${DURATION}s" --inflight "$INFLIGHT" --json 2>&1) || true
				stop_server
				IFS=$'\t' read -r v b50 b99 b999 < <(jfields "$out" echoes_per_sec p50 p99 p999)
				if [[ $v == - ]]; then
					row_note+="$mode: $(printf '%s' "$out" | tr '\n' ' ' | cut -c1-80); "
				elif [[ $mode == throughput ]]; then
					row_tp=$(fmt_rate "$v")
				else
					row_lat="$b50 / $b99 / $b999"
				fi
				progress "$FAM ${SIZE}B socklab bench $mode: ${v} echoes/s"
			done
		fi
		echo "| $FAM | $SIZE | $row_tp | ${CLOAD_TP[$FAM-$SIZE]:-see pass 1} | $row_lat | ${row_note%; } |"
	done
done

# --- pass 3: sockperf ping-pong ------------------------------------------------------
echo
echo "## Pass 3: \`sockperf ping-pong --full-rtt\` (udp4), round trip in microseconds"
echo
echo "| server | size | msgs/s | p50 µs | p99 µs | p99.9 µs | notes |"
echo "|---|---:|---:|---:|---:|---:|---|"
for SIZE in $SIZES; do
	for name in socklab sockperf; do
		pnote="" rate=n/a s50=n/a s99=n/a s999=n/a
		if ((!HAVE_SOCKPERF)); then
			pnote="sockperf not installed"
		elif [[ $name == socklab && -n $SOCKLAB_ERR ]]; then
			pnote=$SOCKLAB_ERR
		else
			next_port
			if [[ $name == socklab ]]; then
				cmd=("$SOCKLAB" udp4 serve --bind "127.0.0.1:$PORT" --reply sockperf --quiet)
			else
				cmd=(sockperf server -i 127.0.0.1 -p "$PORT")
			fi
			if start_server "udp:$PORT" "${cmd[@]}"; then
				out=$(timeout $((DURATION * 3 + 10)) "${CLI[@]}" sockperf ping-pong -i 127.0.0.1 -p "$PORT" \
					-m "$SIZE" -t "$DURATION" --full-rtt 2>&1) || true
				stop_server
				read -r rate s50 s99 s999 < <(printf '%s\n' "$out" | awk '
					/\[Valid Duration\]/ { for (i = 1; i <= NF; i++) { if ($i ~ /^RunTime=/) { split($i, a, "="); t = a[2] + 0 } if ($i ~ /^ReceivedMessages=/) { split($i, b, "="); r = b[2] + 0 } } }
					/percentile 50.000/ { p50 = $NF } /percentile 99.000/ { p99 = $NF } /percentile 99.900/ { p999 = $NF }
					END { printf "%s %s %s %s\n", (t > 0 ? sprintf("%.0f", r / t) : "n/a"), (p50 == "" ? "n/a" : p50), (p99 == "" ? "n/a" : p99), (p999 == "" ? "n/a" : p999) }')
				[[ $rate != n/a ]] || pnote="sockperf: $(printf '%s' "$out" | grep -m1 -iE 'error|warn' | cut -c1-80)"
				drops=$(printf '%s\n' "$out" | sed -n 's/.*# dropped messages = \([0-9]*\); # duplicated messages = \([0-9]*\); # out-of-order messages = \([0-9]*\).*/\1 \2 \3/p' | head -1)
				[[ -z $drops || $drops == "0 0 0" ]] || pnote+="dropped/duplicated/out-of-order: ${drops// //}"
			else
				pnote=$FAIL
			fi
		fi
		progress "sockperf ping-pong ${SIZE}B vs $name: $rate msgs/s p50 $s50 us"
		label="sockperf server"
		[[ $name == socklab ]] && label="socklab udp4 serve --reply sockperf"
		echo "| $label | $SIZE | $(fmt_rate "$rate") | $s50 | $s99 | $s999 | $pnote |"
	done
done

echo
echo "Load average at end: $(cut -d' ' -f1-3 /proc/loadavg) (start: $LOAD0); $(($(date +%s) - START)) s in all."
