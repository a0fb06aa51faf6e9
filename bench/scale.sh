#!/usr/bin/env bash
# Scale: the guard with POLICIES NetworkPolicies from a plain Git repository (one file each, as bench/load.sh's).
#
#   bench/scale.sh                      # 50,000 policies, 3 runs of each kind
#   POLICIES=5000 RUNS=1 bench/scale.sh # a quick look
#   HEAP_LIMIT= bench/scale.sh          # without the GC heap limit of a pod limited to 512Mi
#
# On all CPUs (as a pod with the 2-CPU limit of deploy/base), with the GC heap limit .NET takes in a container limited to
# 512Mi (75 %, 384 MiB: DOTNET_GCHeapHardLimit=HEAP_LIMIT), Git served by `git daemon` on 127.0.0.1:
#   cold     empty cache: process start to the first correct decision (an equal review allowed, a widened one
#            denied); peak resident memory of the process (VmHWM) at it and 5 s later (the persisted baseline is
#            written after the first decision), and the resident memory then
#   restart  the cache of the last cold run, git daemon stopped: process start to the first correct decision
#   refresh  on a running guard, a commit that changes one file; POST /refresh until /status names the new
#            commit, and the widened review of that file is allowed: the time from the POST
# Everything listens on 127.0.0.1; every wait has a time limit; whatever the script started is stopped on exit
# (KEEP_WORK=1 keeps the folder).
set -euo pipefail

POLICIES=${POLICIES:-50000}
RUNS=${RUNS:-3}
STARTUP_LIMIT_S=${STARTUP_LIMIT_S:-120}
HEAP_LIMIT=${HEAP_LIMIT-0x18000000}
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/lib.sh"
bench_require curl git python3 taskset
bench_start scale
bench_machine
bench_build
bench_fixtures "$POLICIES"
cpus="0-$(( $(nproc) - 1 ))"
guard_port=$(free_port); guard_ops=$(free_port)
start_git_daemon 0
url="https://127.0.0.1:$guard_port/validate"
status="http://127.0.0.1:$guard_ops/status"
hwm_mb() { awk '/^VmHWM:/ { printf "%d", $2 / 1024 }' "/proc/$1/status"; }
rss_mb() { awk '/^VmRSS:/ { printf "%d", $2 / 1024 }' "/proc/$1/status"; }
# measure KIND N CACHE: one start, stopped after its decisions were checked; prints and records ready ms and memory.
measure() {
  local kind=$1 n=$2 cache=$3 started ready peak_then peak settled
  started=$(now_ms)
  start_guard "$cpus" "$work/guard-$n-$kind.log" "$cache" ${HEAP_LIMIT:+DOTNET_GCHeapHardLimit=$HEAP_LIMIT}
  ready=$(first_decision "$url" "$started" '"allowed":true' "$work/review-equal.json" "$status") || { tail -5 "$work/guard-$n-$kind.log" >&2; exit 1; }
  peak_then=$(hwm_mb "$guard_pid")
  check_decisions "$url"
  sleep 5
  settled=$(rss_mb "$guard_pid")
  peak=$(hwm_mb "$guard_pid")
  echo "$kind $n $ready $peak $settled" >>"$work/results"
  printf '   %-7s run %d: first correct decision after %6d ms; peak %4d MB at it, %4d MB 5 s later; %4d MB resident then\n' "$kind" "$n" "$ready" "$peak_then" "$peak" "$settled"
}

: >"$work/results"
echo "== cold starts ($POLICIES policies, cpus $cpus, GC heap limit ${HEAP_LIMIT:-none})"
for n in $(seq 1 "$RUNS"); do
  measure cold "$n" "$work/cache-$n"
  if [ "$n" -lt "$RUNS" ]; then kill "$guard_pid"; wait "$guard_pid" 2>/dev/null || true; fi
done

echo "== refresh to a commit that changes one file (on the last cold start's guard)"
subject_file=$(python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))["request"]; print(sys.argv[2] + "/clusters/prod/" + r["namespace"] + "/" + r["name"] + ".yaml")' "$work/review-different.json" "$work/repo")
[ -f "$subject_file" ] || { echo "no file $subject_file for the widened review's policy" >&2; exit 1; }
for n in $(seq 1 "$RUNS"); do
  # The widened review's object becomes Git's: afterwards the widened review is allowed, the old one denied.
  python3 - "$work/review-different.json" "$subject_file" "$n" <<'PY'
import json, sys
obj = json.load(open(sys.argv[1]))["request"]["object"]
for key in ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "annotations"):
    obj["metadata"].pop(key, None)
obj["metadata"].setdefault("labels", {})["bench-refresh"] = sys.argv[3]
json.dump(obj, open(sys.argv[2], "w"), indent=2)
PY
  git -C "$work/repo" -c user.name=bench -c user.email=bench@example.invalid commit -qam "refresh $n"
  commit=$(git -C "$work/repo" rev-parse HEAD)
  posted=$(now_ms)
  curl -s --max-time 5 -X POST "http://127.0.0.1:$guard_ops/refresh" >/dev/null
  for _ in $(seq 1 $(( STARTUP_LIMIT_S * 50 ))); do
    curl -s --max-time 1 "$status" | grep -q "\"commit\": *\"$commit\"" && break
    sleep 0.02
  done
  in_force=$(( $(now_ms) - posted ))
  [ "$(decision "$url" "$work/review-different.json")" = '"allowed":true' ] || { echo "refresh $n: the changed policy is not in force" >&2; exit 1; }
  echo "refresh $n $in_force" >>"$work/results"
  printf '   refresh run %d: the new commit in force %5d ms after POST /refresh\n' "$n" "$in_force"
  git -C "$work/repo" checkout -q HEAD~1 -- "$subject_file" && git -C "$work/repo" -c user.name=bench -c user.email=bench@example.invalid commit -qam "back $n"
  curl -s --max-time 5 -X POST "http://127.0.0.1:$guard_ops/refresh" >/dev/null
  sleep 7
done
kill "$guard_pid"; wait "$guard_pid" 2>/dev/null || true

echo "== restarts from the persisted baseline (git daemon stopped)"
kill "${pids[0]}" 2>/dev/null || true
for n in $(seq 1 "$RUNS"); do
  measure restart "$n" "$work/cache-$RUNS"
  kill "$guard_pid"; wait "$guard_pid" 2>/dev/null || true
done

echo "== summary ($POLICIES policies; min / median / max)"
python3 - "$work/results" <<'PY'
import sys, statistics, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    kind, n, *values = line.split()
    rows[kind].append([int(v) for v in values])
def mmm(values): return f"{min(values)} / {int(statistics.median(values))} / {max(values)}"
for kind in ("cold", "restart"):
    if rows[kind]:
        print(f"   {kind:8} ready ms {mmm([r[0] for r in rows[kind]]):>22}   peak MB {mmm([r[1] for r in rows[kind]]):>16}   settled MB {mmm([r[2] for r in rows[kind]])}")
if rows["refresh"]:
    print(f"   refresh  in force ms {mmm([r[0] for r in rows['refresh']])}")
PY
