#!/usr/bin/env bash
# Load comparison: AdmissionGuard against a bare Kestrel webhook on the same TLS certificate.
#
#   bench/load.sh                      # 5,000-policy baseline, 2 rounds of 10 s per server and phase
#   ROUNDS=10 DURATION=3 bench/load.sh # more, shorter rounds: the per-round median ratio resists the VM's drift
#   POLICIES=10000 ROUNDS=1 bench/load.sh
#   AUDIT_LOG=null bench/load.sh       # the audit log to /dev/null instead of a file
#   PHASES="saturated paced connections" bench/load.sh  # also: a new TLS connection per request
#   GUARD_B=/tmp/other/guard bench/load.sh  # also a second guard built from other code (published folder or its admissionguard.dll)
#   POLICIES_B=50000 bench/load.sh     # also a second guard (this build, or GUARD_B's) with a baseline of that many policies
#   GUARD_B_ENV="DOTNET_TieredPGO=0" bench/load.sh  # also a second guard (this build, or GUARD_B's) started with these settings
#
# Starts the guard (published as the Dockerfile publishes it: Release, ReadyToRun; audit logging on as
# in production, stdout to a file by default) with a generated Git baseline fetched from `git daemon`
# on 127.0.0.1 (pinned to LOAD_CPU, as a Git server is another machine), and bench/BareWebhook (parses the AdmissionReview into a JsonDocument
# and answers allowed with the same uid; like the guard, without the hosting layer's per-request logging
# scope and Activity). Both are pinned to SERVER_CPU; wrk runs on LOAD_CPU. Runs
# alternate guard/bare with the same body (an UPDATE review as kubectl apply sends it, equal to Git),
# connections and duration, in two phases:
#   saturated  wrk as fast as it can: throughput, p50, p99
#   paced      every connection waits PACE_MS between requests: the same offered load for both, p50, p99
# and, when PHASES names it,
#   connections  as saturated, but every request on a new TLS connection (Connection: close): handshakes
# With GUARD_B (a folder the guard was published to as bench_build publishes it, `dotnet publish
# src/AdmissionGuard -c Release -r linux-x64 --self-contained false -o DIR`, or the admissionguard.dll in
# it), a second guard from that build is started on the same core with the same Git baseline and
# settings, and every round runs guard, guard_b, bare with the same body; the summary adds guard_b/bare
# and guard_b/guard (per round too, as the three runs of a round are adjacent). With POLICIES_B, the second guard
# (GUARD_B's build, or this one) reads a repository of that many policies instead: the generated policies are the
# same for the same index, so the body is equal to Git in both, and guard_b/guard compares the two sizes.
# For every run it also prints the server's CPU time per request and how busy each core was. Then
# the guard's resident memory and its time from process start to the first correct decision, on all
# cores (STARTUP_CPUS, as a pod with the 2-CPU limit of deploy/base) and pinned to SERVER_CPU.
# Everything listens on 127.0.0.1; every loop has a count and a time limit; whatever the script
# started is stopped on exit.
set -euo pipefail

POLICIES=${POLICIES:-5000}
ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-10}
CONNECTIONS=${CONNECTIONS:-32}
PACE_MS=${PACE_MS:-10}
SERVER_CPU=${SERVER_CPU:-1}
STARTUP_CPUS=${STARTUP_CPUS:-0-$(( $(nproc) - 1 ))}
LOAD_CPU=${LOAD_CPU:-0}
STARTUP_LIMIT_S=${STARTUP_LIMIT_S:-60}
# Where the guard's stdout (the audit log, one JSON line per decision) goes: "file" (a file in the
# temporary folder, counted afterwards) or "null" (/dev/null: formatting still happens, the write is cheap).
AUDIT_LOG=${AUDIT_LOG:-file}
PHASES=${PHASES:-saturated paced}
GUARD_B=${GUARD_B:-}
POLICIES_B=${POLICIES_B:-}
GUARD_B_ENV=${GUARD_B_ENV:-}
seen=" "
for phase in $PHASES; do
  case $phase in saturated | paced | connections) ;; *) echo "PHASES: unknown phase '$phase' (saturated, paced, connections)" >&2; exit 2 ;; esac
  case $seen in *" $phase "*) echo "PHASES: '$phase' twice" >&2; exit 2 ;; esac
  seen+="$phase "
done
if [ "$seen" = " " ]; then
  echo "PHASES: empty; name one or more of saturated, paced, connections" >&2
  exit 2
fi

guard_b_dll=
if [ -n "$GUARD_B" ]; then
  guard_b_dll=$GUARD_B
  [ -d "$guard_b_dll" ] && guard_b_dll="$guard_b_dll/admissionguard.dll"
  if [ ! -f "$guard_b_dll" ]; then
    echo "GUARD_B: no $guard_b_dll (give a published guard's folder or its admissionguard.dll)" >&2
    exit 2
  fi
  guard_b_dll=$(cd "$(dirname "$guard_b_dll")" && pwd)/$(basename "$guard_b_dll")
fi

if [ -n "$POLICIES_B" ] && [ "$POLICIES_B" -le $(( POLICIES / 2 )) ]; then
  echo "POLICIES_B: must be more than half of POLICIES ($POLICIES), so that its repository declares the body's policy" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
bench_require wrk curl git openssl taskset python3
bench_start load
bench_machine
bench_build "$root/bench/BareWebhook/BareWebhook.csproj"
bare_dll="$root/bench/BareWebhook/bin/Release/net10.0/BareWebhook.dll"
bench_fixtures "$POLICIES"
body="$work/review-equal.json"
if [ -n "$POLICIES_B" ]; then
  echo "== fixtures for guard_b: $POLICIES_B-policy Git repository"
  mkdir -p "$work/b"
  dotnet "$fixture_dll" make-fixture "$work/b" "$POLICIES_B"
  [ -n "$guard_b_dll" ] || guard_b_dll=$guard_dll
fi
[ -z "$GUARD_B_ENV" ] || [ -n "$guard_b_dll" ] || guard_b_dll=$guard_dll

guard_port=$(free_port); guard_ops=$(free_port); bare_port=$(free_port)
start_git_daemon "$LOAD_CPU"

# Start-up as a pod with a limit of STARTUP_CPUS CPUs gets it (deploy/base allows 2): a separate run, stopped after its first decision.
echo "== start-up on cpus $STARTUP_CPUS: https://127.0.0.1:$guard_port/validate"
startup_started=$(now_ms)
start_guard "$STARTUP_CPUS" "$work/startup.log" "$work/startup-cache"
startup_ready_ms=$(first_decision "https://127.0.0.1:$guard_port/validate" "$startup_started" '"allowed":true' "$body" "http://127.0.0.1:$guard_ops/status")
echo "   first correct decision after ${startup_ready_ms} ms ($(grep -o '"FetchSeconds":[0-9.]*,"ReadSeconds":[0-9.]*' "$work/startup.log" | head -1 || true))"
kill "$guard_pid"; wait "$guard_pid" 2>/dev/null || true

guard_log="$work/guard.log"
[ "$AUDIT_LOG" = null ] && guard_log=/dev/null
echo "== start the guard (cpu $SERVER_CPU): https://127.0.0.1:$guard_port/validate, audit log to $guard_log"
guard_started=$(now_ms)
start_guard "$SERVER_CPU" "$guard_log" "$work/cache"
guard_ready_ms=$(first_decision "https://127.0.0.1:$guard_port/validate" "$guard_started" '"allowed":true' "$body" "http://127.0.0.1:$guard_ops/status")
objects=$(curl -s --max-time 2 "http://127.0.0.1:$guard_ops/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["objectCount"])')
echo "   first correct decision after ${guard_ready_ms} ms on one cpu (baseline of $objects policies)"

servers="guard bare"
server_width=5
if [ -n "$guard_b_dll" ]; then
  # The second guard through the same start_guard: its own ports, cache and log; the first guard's are put back after.
  guard_b_port=$(free_port); guard_b_ops=$(free_port)
  guard_b_log="$work/guard_b.log"
  [ "$AUDIT_LOG" = null ] && guard_b_log=/dev/null
  echo "== start guard_b from $guard_b_dll (cpu $SERVER_CPU): https://127.0.0.1:$guard_b_port/validate, audit log to $guard_b_log"
  first=("$guard_dll" "$guard_port" "$guard_ops" "$guard_pid")
  guard_dll=$guard_b_dll; guard_port=$guard_b_port; guard_ops=$guard_b_ops
  guard_b_started=$(now_ms)
  # shellcheck disable=SC2086 # GUARD_B_ENV is a list of NAME=VALUE words
  start_guard "$SERVER_CPU" "$guard_b_log" "$work/cache-b" ${POLICIES_B:+AdmissionGuard__Git__Repository=git://127.0.0.1:$git_port/b/repo} $GUARD_B_ENV
  guard_b_pid=$guard_pid
  guard_b_ready_ms=$(first_decision "https://127.0.0.1:$guard_b_port/validate" "$guard_b_started" '"allowed":true' "$body" "http://127.0.0.1:$guard_b_ops/status")
  guard_dll=${first[0]}; guard_port=${first[1]}; guard_ops=${first[2]}; guard_pid=${first[3]}
  echo "   first correct decision after ${guard_b_ready_ms} ms on one cpu"
  servers="guard guard_b bare"
  server_width=7
fi

echo "== start the bare webhook (cpu $SERVER_CPU): https://127.0.0.1:$bare_port/validate"
bare_started=$(now_ms)
env Kestrel__Endpoints__Webhook__Url="https://127.0.0.1:$bare_port" \
  Kestrel__Endpoints__Webhook__Certificate__Path="$work/certs/tls.crt" \
  Kestrel__Endpoints__Webhook__Certificate__KeyPath="$work/certs/tls.key" \
  taskset -c "$SERVER_CPU" dotnet "$bare_dll" >"$work/bare.log" 2>&1 &
bare_pid=$!
pids+=("$bare_pid")
bare_ready_ms=$(first_decision "https://127.0.0.1:$bare_port/validate" "$bare_started" '"allowed":true' "$body")
echo "   first answer after ${bare_ready_ms} ms"

# show_decisions NAME PORT: what the guard on PORT answers to each generated review.
show_decisions() {
  echo "== decisions of $1 on the generated reviews"
  for review in equal reorderedequal different; do
    answer=$(curl -s --max-time 5 --cacert "$work/certs/ca.crt" -H 'Content-Type: application/json' \
      --data-binary @"$work/review-$review.json" "https://127.0.0.1:$2/validate")
    printf '   %-16s %s\n' "$review" "$(grep -o '"allowed":[a-z]*' <<<"$answer")"
  done
}
show_decisions "the guard" "$guard_port"
if [ -n "$guard_b_dll" ]; then
  show_decisions guard_b "$guard_b_port"
fi

cat >"$work/saturated.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local file = io.open("$body", "rb")
wrk.body = file:read("*a")
file:close()
EOF
cp "$work/saturated.lua" "$work/paced.lua"
cp "$work/saturated.lua" "$work/connections.lua"
printf 'wrk.headers["Connection"] = "close"\n' >>"$work/connections.lua"
printf 'function delay()\n  return %d\nend\n' "$PACE_MS" >>"$work/paced.lua"

# run NAME URL SCRIPT SECONDS PID -> "req/s p50_ms p99_ms errors server_cpu_us_per_request server_core_busy% load_core_busy%"
run() {
  local name=$1 url=$2 script=$3 seconds=$4 pid=$5 out
  local t0 s0 sb0 st0 lb0 lt0
  t0=$(proc_ticks "$pid"); sb0=$(core_busy "$SERVER_CPU"); st0=$(core_total "$SERVER_CPU"); lb0=$(core_busy "$LOAD_CPU"); lt0=$(core_total "$LOAD_CPU")
  out=$(timeout $(( seconds + 30 )) taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"${seconds}s" --timeout 5s --latency -s "$script" "$url")
  local ticks=$(( $(proc_ticks "$pid") - t0 ))
  local server_busy=$(( ($(core_busy "$SERVER_CPU") - sb0) * 100 / ($(core_total "$SERVER_CPU") - st0 + 1) ))
  local load_busy=$(( ($(core_busy "$LOAD_CPU") - lb0) * 100 / ($(core_total "$LOAD_CPU") - lt0 + 1) ))
  echo "$out" >>"$work/wrk-$name.log"
  local rps p50 p99 errors requests cpu_us
  rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
  requests=$(awk '/requests in/ { print $1 }' <<<"$out")
  p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
  p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
  errors=$(awk '/Non-2xx|Socket errors/ { n++ } END { print n + 0 }' <<<"$out")
  cpu_us=$(awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN { printf "%.0f", (n > 0 ? t / hz * 1e6 / n : 0) }')
  echo "$rps $p50 $p99 $errors $cpu_us $server_busy $load_busy"
}

guard_url="https://127.0.0.1:$guard_port/validate"
bare_url="https://127.0.0.1:$bare_port/validate"
echo "== warm-up: ${WARMUP}s each"
run warmup "$guard_url" "$work/saturated.lua" "$WARMUP" "$guard_pid" >/dev/null
if [ -n "$guard_b_dll" ]; then
  guard_b_url="https://127.0.0.1:$guard_b_port/validate"
  run warmup "$guard_b_url" "$work/saturated.lua" "$WARMUP" "$guard_b_pid" >/dev/null
fi
run warmup "$bare_url" "$work/saturated.lua" "$WARMUP" "$bare_pid" >/dev/null

results="$work/results"
: >"$results"
echo "== runs: wrk -t1 -c$CONNECTIONS -d${DURATION}s, server on cpu $SERVER_CPU, wrk on cpu $LOAD_CPU"
printf "   %-11s %-5s %-${server_width}s %10s %9s %9s %6s %12s %11s %9s\n" phase round server req/s p50_ms p99_ms errors cpu_us/req server_core load_core
for phase in $PHASES; do
  for round in $(seq 1 "$ROUNDS"); do
    for server in $servers; do
      url=$guard_url; pid=$guard_pid
      if [ "$server" = bare ]; then url=$bare_url; pid=$bare_pid; fi
      if [ "$server" = guard_b ]; then url=$guard_b_url; pid=$guard_b_pid; fi
      read -r rps p50 p99 errors cpu_us server_busy load_busy < <(run "$phase-$server" "$url" "$work/$phase.lua" "$DURATION" "$pid")
      printf "   %-11s %-5s %-${server_width}s %10s %9s %9s %6s %12s %10s%% %8s%%\n" "$phase" "$round" "$server" "$rps" "$p50" "$p99" "$errors" "$cpu_us" "$server_busy" "$load_busy"
      echo "$phase $server $rps $p50 $p99 $errors $cpu_us $round" >>"$results"
    done
  done
done

guard_rss_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$guard_pid/status")
guard_hwm_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$guard_pid/status")
bare_rss_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$bare_pid/status")
audited=$( [ "$AUDIT_LOG" = null ] && echo "n/a (to /dev/null)" || grep -c '"Result":"allowed"' "$guard_log" || true)
if [ -n "$guard_b_dll" ]; then
  guard_b_rss_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$guard_b_pid/status")
  guard_b_hwm_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$guard_b_pid/status")
  audited_b=$( [ "$AUDIT_LOG" = null ] && echo "n/a (to /dev/null)" || grep -c '"Result":"allowed"' "$guard_b_log" || true)
fi

echo
echo "== summary ($POLICIES policies, $ROUNDS round(s) of ${DURATION}s, $CONNECTIONS connections, paced = ${PACE_MS} ms between requests per connection)"
python3 - "$results" <<'EOF'
import sys
from statistics import mean, median
rows = [line.split() for line in open(sys.argv[1])]
def avg(phase, server, column):
    return mean(float(r[column]) for r in rows if r[0] == phase and r[1] == server)
def per_round(phase, column):
    """guard/bare of each round: the two runs of a round are adjacent, so the VM's drift mostly cancels."""
    value = {(r[1], r[7]): float(r[column]) for r in rows if r[0] == phase}
    return [value[("guard", n)] / value[("bare", n)] for (server, n) in value if server == "guard"]
for phase in dict.fromkeys(r[0] for r in rows):
    g = [avg(phase, "guard", c) for c in (2, 3, 4)]
    b = [avg(phase, "bare", c) for c in (2, 3, 4)]
    print(f"   {phase:11}  guard {g[0]:9.0f} req/s  p50 {g[1]:7.3f} ms  p99 {g[2]:7.3f} ms")
    print(f"   {phase:11}  bare  {b[0]:9.0f} req/s  p50 {b[1]:7.3f} ms  p99 {b[2]:7.3f} ms")
    print(f"   {phase:11}  guard/bare throughput {g[0] / b[0]:.3f}   p50 {g[1] / b[1]:.2f}x   p99 {g[2] / b[2]:.2f}x   server CPU per request: guard {avg(phase, 'guard', 6):.0f} us, bare {avg(phase, 'bare', 6):.0f} us")
    throughput, p99 = per_round(phase, 2), per_round(phase, 4)
    if len(throughput) > 1:
        print(f"   {phase:11}  per round: throughput median {median(throughput):.3f} ({min(throughput):.3f}-{max(throughput):.3f}), p99 median {median(p99):.2f}x ({min(p99):.2f}-{max(p99):.2f}x)")
def per_round_of(phase, column, server, against):
    value = {(r[1], r[7]): float(r[column]) for r in rows if r[0] == phase}
    return [value[(server, n)] / value[(against, n)] for (s, n) in value if s == server]
def spread(ratios, digits):
    return f"median {median(ratios):.{digits}f} ({min(ratios):.{digits}f}-{max(ratios):.{digits}f}): " + " ".join(f"{x:.{digits}f}" for x in ratios)
for phase in dict.fromkeys(r[0] for r in rows if r[1] == "guard_b"):
    g = [avg(phase, "guard", c) for c in (2, 3, 4, 6)]
    gb = [avg(phase, "guard_b", c) for c in (2, 3, 4, 6)]
    b = [avg(phase, "bare", c) for c in (2, 3, 4, 6)]
    print(f"   {phase:11}  guard_b {gb[0]:7.0f} req/s  p50 {gb[1]:7.3f} ms  p99 {gb[2]:7.3f} ms  server CPU per request {gb[3]:.0f} us")
    print(f"   {phase:11}  guard_b/bare  throughput {gb[0] / b[0]:.3f}   p50 {gb[1] / b[1]:.2f}x   p99 {gb[2] / b[2]:.2f}x   CPU per request {gb[3] / b[3]:.2f}x")
    print(f"   {phase:11}  guard_b/guard throughput {gb[0] / g[0]:.3f}   p50 {gb[1] / g[1]:.3f}x  p99 {gb[2] / g[2]:.3f}x  CPU per request {gb[3] / g[3]:.3f}x")
    for label, server, against in (("guard_b/guard", "guard_b", "guard"), ("guard_b/bare ", "guard_b", "bare")):
        print(f"   {phase:11}  {label} per round: throughput {spread(per_round_of(phase, 2, server, against), 3)}")
        print(f"   {phase:11}  {label} per round: p50        {spread(per_round_of(phase, 3, server, against), 3)}")
        print(f"   {phase:11}  {label} per round: p99        {spread(per_round_of(phase, 4, server, against), 3)}")
        print(f"   {phase:11}  {label} per round: CPU/req    {spread(per_round_of(phase, 6, server, against), 3)}")
errors = sum(int(r[5]) for r in rows)
if errors:
    print(f"   WARNING: {errors} run(s) reported non-2xx responses or socket errors (see wrk output)")
EOF
echo "   guard resident memory after load: $(( guard_rss_kb / 1024 )) MB (peak $(( guard_hwm_kb / 1024 )) MB); bare: $(( bare_rss_kb / 1024 )) MB"
echo "   guard start to first correct decision: ${startup_ready_ms} ms on cpus $STARTUP_CPUS, ${guard_ready_ms} ms on cpu $SERVER_CPU ($POLICIES policies); bare start to first answer: ${bare_ready_ms} ms"
echo "   audit events written (allowed): $audited"
if [ -n "$guard_b_dll" ]; then
  echo "   guard_b ($guard_b_dll) resident memory after load: $(( guard_b_rss_kb / 1024 )) MB (peak $(( guard_b_hwm_kb / 1024 )) MB); start to first correct decision: ${guard_b_ready_ms} ms on cpu $SERVER_CPU"
  echo "   guard_b audit events written (allowed): $audited_b"
fi
