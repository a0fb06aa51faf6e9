#!/usr/bin/env bash
# Sizing: the resident memory and start of a new pod for each size of Git repository, for the table in
# docs/installing.md ("Sizing").
#
#   bench/sizing.sh                       # 1, 1,000, 5,000, 10,000 and 50,000 policies
#   SIZES="5000 10000" bench/sizing.sh    # some of them
#   LOAD_S=30 bench/sizing.sh             # a longer load
#
# For each size: a plain repository (one policy a file, as bench/scale.sh's) served by `git daemon`; the guard,
# published as the Dockerfile publishes it, started as a new pod (empty cache) on all CPUs with the GC heap limit
# .NET takes in a container limited to 512Mi (DOTNET_GCHeapHardLimit=HEAP_LIMIT). It prints the time from process
# start to the first correct decision and the peak resident memory then (VmHWM), the resident memory (VmRSS) after
# IDLE_S seconds without requests, after LOAD_S seconds of `POST /validate` from wrk (one thread, 32 connections,
# an equal review, on CPU 0), and IDLE_S seconds after that, with the peak. Everything listens on 127.0.0.1; every
# wait has a time limit; whatever the script started is stopped on exit (KEEP_WORK=1 keeps the folder).
set -euo pipefail

SIZES=${SIZES:-1 1000 5000 10000 50000}
IDLE_S=${IDLE_S:-10}
LOAD_S=${LOAD_S:-10}
STARTUP_LIMIT_S=${STARTUP_LIMIT_S:-120}
HEAP_LIMIT=${HEAP_LIMIT-0x18000000}
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
bench_require curl git python3 taskset wrk
bench_start sizing
bench_machine
bench_build
bash "$root/certs-dev/make-certs.sh" "$work/certs" >/dev/null
start_git_daemon 0
cpus="0-$(( $(nproc) - 1 ))"
hwm_mb() { awk '/^VmHWM:/ { printf "%d", $2 / 1024 }' "/proc/$1/status"; }
rss_mb() { awk '/^VmRSS:/ { printf "%d", $2 / 1024 }' "/proc/$1/status"; }

printf '%10s %9s %11s %9s %11s %11s %9s\n' policies ready_ms peak_ready idle loaded settled peak
for size in $SIZES; do
  dotnet "$fixture_dll" make-fixture "$work/n$size" "$size" >/dev/null
  review="$work/n$size/review-equal.json"
  printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nlocal f = io.open("%s")\nwrk.body = f:read("*a")\nf:close()\n' "$review" >"$work/n$size/post.lua"
  guard_port=$(free_port); guard_ops=$(free_port)
  started=$(now_ms)
  start_guard "$cpus" "$work/n$size/guard.log" "$work/n$size/cache" AdmissionGuard__Git__Repository="git://127.0.0.1:$git_port/n$size/repo" \
    ${HEAP_LIMIT:+DOTNET_GCHeapHardLimit=$HEAP_LIMIT}
  ready=$(first_decision "https://127.0.0.1:$guard_port/validate" "$started" '"allowed":true' "$review" "http://127.0.0.1:$guard_ops/status" "$guard_pid") \
    || { echo "no correct decision at $size policies; the guard's log:" >&2; tail -20 "$work/n$size/guard.log" >&2; exit 1; }
  peak_ready=$(hwm_mb "$guard_pid")
  sleep "$IDLE_S"; idle=$(rss_mb "$guard_pid")
  taskset -c 0 wrk -t1 -c32 -d"${LOAD_S}s" -s "$work/n$size/post.lua" "https://127.0.0.1:$guard_port/validate" >"$work/n$size/wrk.txt"
  loaded=$(rss_mb "$guard_pid")
  sleep "$IDLE_S"; settled=$(rss_mb "$guard_pid"); peak=$(hwm_mb "$guard_pid")
  printf '%10s %9s %9sMiB %7sMiB %9sMiB %9sMiB %7sMiB   (%s)\n' "$size" "$ready" "$peak_ready" "$idle" "$loaded" "$settled" "$peak" \
    "$(awk '/Requests\/sec/ { printf "%d requests a second", $2 }' "$work/n$size/wrk.txt")"
  kill "$guard_pid"; wait "$guard_pid" 2>/dev/null || true
done
