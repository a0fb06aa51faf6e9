#!/usr/bin/env bash
# The whole guard with its drift scanner on, at scale: POLICIES NetworkPolicies in Git (bench/scale.sh's repository)
# and the same POLICIES live, as an API server serves them after GitOps (managedFields, the last-applied copy, Argo CD's
# tracking id), from the benchmarks' stub API server on 127.0.0.1 (`live-api`: pages of 500, a quiet watch, the Lease).
#
#   bench/drift-scale.sh                      # 50,000 policies, 2 runs
#   POLICIES=5000 RUNS=1 bench/drift-scale.sh # a quick look
#
# Each run is a cold start on all CPUs under the 384 MiB GC heap limit of a pod limited to 512Mi (HEAP_LIMIT), Git from
# `git daemon`. Measured: process start to the first correct decision; to the first drift report that compared every
# live policy (/drift answering with "live": POLICIES); the time /drift takes to answer then; the peak resident memory
# (VmHWM) at the report, and the resident memory 5 s after it. The target for 50,000 policies is 350 MB.
set -euo pipefail

POLICIES=${POLICIES:-50000}
RUNS=${RUNS:-2}
STARTUP_LIMIT_S=${STARTUP_LIMIT_S:-180}
HEAP_LIMIT=${HEAP_LIMIT-0x18000000}
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/lib.sh"
bench_require curl git python3 taskset
bench_start drift-scale
bench_machine
bench_build
bench_fixtures "$POLICIES"
cpus="0-$(( $(nproc) - 1 ))"
guard_port=$(free_port); guard_ops=$(free_port); api_port=$(free_port)
start_git_daemon 0
dotnet "$fixture_dll" live-api "$POLICIES" "$api_port" >"$work/live-api.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$api_port") 2>/dev/null && break; sleep 0.1; done
cat >"$work/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: stub, cluster: {server: "http://127.0.0.1:$api_port"}}]
users: [{name: bench, user: {token: bench-not-a-secret}}]
contexts: [{name: stub, context: {cluster: stub, user: bench}}]
current-context: stub
EOF
url="https://127.0.0.1:$guard_port/validate"
status="http://127.0.0.1:$guard_ops/status"
drift="http://127.0.0.1:$guard_ops/drift"
hwm_mb() { awk '/^VmHWM:/ { printf "%d", $2 / 1024 }' "/proc/$1/status"; }
rss_mb() { awk '/^VmRSS:/ { printf "%d", $2 / 1024 }' "/proc/$1/status"; }

: >"$work/results"
echo "== cold starts with the drift scanner ($POLICIES declared, $POLICIES live; cpus $cpus, GC heap limit ${HEAP_LIMIT:-none})"
for n in $(seq 1 "$RUNS"); do
  started=$(now_ms)
  start_guard "$cpus" "$work/guard-$n.log" "$work/cache-$n" ${HEAP_LIMIT:+DOTNET_GCHeapHardLimit=$HEAP_LIMIT} \
    AdmissionGuard__Drift__Enabled=true AdmissionGuard__Drift__Kubeconfig="$work/kubeconfig" \
    AdmissionGuard__Drift__Namespace=bench AdmissionGuard__Drift__Identity=bench-0
  ready=$(first_decision "$url" "$started" '"allowed":true' "$work/review-equal.json" "$status" "$guard_pid") || { tail -5 "$work/guard-$n.log" >&2; exit 1; }
  check_decisions "$url"
  reported=
  for _ in $(seq 1 $(( STARTUP_LIMIT_S * 10 ))); do
    if curl -s --max-time 5 "$drift?limit=1" 2>/dev/null | grep -Eq "\"live\": *$POLICIES\b"; then reported=$(( $(now_ms) - started )); break; fi
    kill -0 "$guard_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$reported" ] || { echo "no drift report of $POLICIES live policies within ${STARTUP_LIMIT_S}s" >&2; tail -5 "$work/guard-$n.log" >&2; exit 1; }
  asked=$(now_ms)
  curl -s --max-time 10 -o "$work/drift-$n.json" "$drift"
  answered=$(( $(now_ms) - asked ))
  peak=$(hwm_mb "$guard_pid")
  sleep 5
  settled=$(rss_mb "$guard_pid")
  python3 - "$work/drift-$n.json" <<'PY'
import json, sys
summary = {k.lower(): v for k, v in json.load(open(sys.argv[1]))["summary"].items()}
print(f"   the report: {summary}")
PY
  echo "$n $ready $reported $answered $peak $settled" >>"$work/results"
  printf '   run %d: first correct decision after %6d ms; first whole drift report after %6d ms; /drift answered in %4d ms; peak %4d MB, %4d MB resident 5 s later\n' \
    "$n" "$ready" "$reported" "$answered" "$peak" "$settled"
  kill "$guard_pid"; wait "$guard_pid" 2>/dev/null || true
done

echo "== summary ($POLICIES policies declared and live; min / median / max)"
python3 - "$work/results" <<'PY'
import sys, statistics
rows = [[int(v) for v in line.split()[1:]] for line in open(sys.argv[1])]
def mmm(i): values = [r[i] for r in rows]; return f"{min(values)} / {int(statistics.median(values))} / {max(values)}"
print(f"   ready ms {mmm(0)}   drift report ms {mmm(1)}   /drift ms {mmm(2)}   peak MB {mmm(3)}   settled MB {mmm(4)}")
PY
