#!/usr/bin/env bash
# profile.sh - where a UDP echo server's CPU goes, beside the C server's:
# perf samples (cpu-clock, so no PMU is needed) on the server's CPU while
# bench/cload drives it, per 1000 echoes, by symbol, and the symbols where
# each server spends most beyond C.  Root (perf -C, chrt).
#
#   bash bench/profile.sh SOCKLAB [OTHER_SOCKLAB]      # udp4, 64 B, 4 s each
#   SIZE=1400 DURATION=8 bash bench/profile.sh ./socklab /tmp/socklab-old
set -euo pipefail
SIZE=${SIZE:-64}
SECONDS_EACH=${DURATION:-4}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d /tmp/socklab-profile.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
[[ $# -ge 1 ]] || { echo "usage: profile.sh SOCKLAB [OTHER_SOCKLAB]" >&2; exit 2; }
gcc -O2 -o "$WORK/cecho" "$ROOT/bench/cecho.c"
gcc -O2 -o "$WORK/cload" "$ROOT/bench/cload.c"

# profile NAME CMD...: serve with CMD on CPU 0, drive it from CPU 1
profile() {
	local name=$1 port spid
	shift
	port=$((40000 + RANDOM % 20000))
	chrt -f 1 taskset -c 0 "$@" "127.0.0.1:$port" >/dev/null 2>&1 &
	spid=$!
	sleep 0.5
	perf record -q -e cpu-clock -F 4000 -C 0 -o "$WORK/$name.data" -- \
		chrt -f 1 taskset -c 1 "$WORK/cload" -4 "127.0.0.1:$port" -s "$SIZE" -d "$SECONDS_EACH" >"$WORK/$name.json"
	kill "$spid"
	wait "$spid" 2>/dev/null || true
	perf report -i "$WORK/$name.data" -n --no-children --comm "$(basename "$1")" --sort sym 2>/dev/null |
		awk '/\[/ {print $2, $4}' >"$WORK/$name.syms"
}

profile C "$WORK/cecho" -4
names=(C)
i=0
for bin in "$@"; do
	i=$((i + 1))
	profile "s$i" "$bin" udp4 serve --reply echo -q --bind
	names+=("s$i")
done
python3 - "$WORK" "${names[@]}" <<'PY'
import json, sys
work, names = sys.argv[1], sys.argv[2:]
res = {}
for s in names:
    j = json.load(open(f"{work}/{s}.json"))
    echoes = j["echoes_per_sec"] * j["duration_s"]
    syms = {}
    for line in open(f"{work}/{s}.syms"):
        n, k = line.split()[:2]
        syms[k] = syms.get(k, 0) + int(n)
    res[s] = (echoes, syms)
    print(f"{s}: {j['echoes_per_sec']} echoes/s, {sum(syms.values()) * 1000 / echoes:.2f} samples per 1000 echoes (1 sample = 250 us)")
ec, sc = res["C"]
for s in names[1:]:
    ea, sa = res[s]
    d = sorted(((sa.get(k, 0) * 1000 / ea - sc.get(k, 0) * 1000 / ec, k) for k in set(sa) | set(sc)), reverse=True)
    print(f"-- {s} beyond C, samples per 1000 echoes")
    for x in d[:12]:
        print("  %+.3f %s" % x)
PY
