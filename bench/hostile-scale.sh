#!/usr/bin/env bash
# Hostile shapes at scale: a repository of FILES tiny files (one minimal NetworkPolicy each, 100 namespaces),
# and one of a single `kind: List` of ITEMS policies. Both are valid and must load.
#
#   bench/hostile-scale.sh                          # 200,000 tiny files; a List of 20,000
#   FILES=20000 ITEMS=2000 bench/hostile-scale.sh   # a quick look
#
# For each shape, one cold start (empty cache, Git served by `git daemon` on 127.0.0.1) on all CPUs with the GC heap
# limit .NET takes in a container limited to 512Mi (DOTNET_GCHeapHardLimit=HEAP_LIMIT, 384 MiB). While it loads,
# a review is sent to /validate every 250 ms and each answer timed (before the baseline is in force it is answered
# by WhenBaselineUnavailable); the slowest answer is reported against the 2 s target. Then: the time to the first
# correct decision (a review equal to Git allowed, a widened one denied), and the peak resident memory (VmHWM) at it
# and 5 s later (the persisted baseline is written after the first decision).
set -euo pipefail

FILES=${FILES:-200000}
ITEMS=${ITEMS:-20000}
STARTUP_LIMIT_S=${STARTUP_LIMIT_S:-300}
HEAP_LIMIT=${HEAP_LIMIT-0x18000000}
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/lib.sh"
bench_require curl git python3 taskset
bench_start hostile-scale
bench_machine
bench_build
bash "$root/certs-dev/make-certs.sh" "$work/certs" >/dev/null
cpus="0-$(( $(nproc) - 1 ))"

# make_repository NAME SHAPE COUNT: $work/NAME, committed, and reviews of its last policy in $work/NAME-review-*.json.
make_repository() {
  python3 - "$work/$1" "$2" "$3" "$work/$1-review" <<'PY'
import json, os, sys
folder, shape, count, review = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def policy(i):
    return f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p-{i:06d}\n  namespace: ns-{i % 100:03d}\nspec:\n  podSelector: {{}}\n"
if shape == "files":
    for i in range(count):
        path = os.path.join(folder, f"ns-{i % 100:03d}", f"p-{i:06d}.yaml")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(policy(i))
else:
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "list.yaml"), "w") as f:
        f.write("apiVersion: v1\nkind: List\nitems:\n")
        for i in range(count):
            f.write("- " + policy(i).replace("\n", "\n  ").rstrip() + "\n")
last = count - 1
def write(kind, spec):
    obj = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
           "metadata": {"name": f"p-{last:06d}", "namespace": f"ns-{last % 100:03d}", "uid": "0d6f4a1e-1b2c-4d3e-8f90-a1b2c3d4e5f6"}, "spec": spec}
    request = {"uid": f"hostile-{kind}", "kind": {"group": "networking.k8s.io", "version": "v1", "kind": "NetworkPolicy"},
               "resource": {"group": "networking.k8s.io", "version": "v1", "resource": "networkpolicies"},
               "name": obj["metadata"]["name"], "namespace": obj["metadata"]["namespace"], "operation": "CREATE",
               "userInfo": {"username": "alice@example.com", "groups": ["system:authenticated"]}, "object": obj, "oldObject": None}
    json.dump({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}, open(f"{review}-{kind}.json", "w"))
write("equal", {"podSelector": {}, "policyTypes": ["Ingress"]})
write("different", {"podSelector": {}, "ingress": [{}], "policyTypes": ["Ingress"]})
PY
  git -C "$work/$1" init -q -b main
  git -C "$work/$1" add -A
  git -C "$work/$1" -c user.name=bench -c user.email=bench@example.invalid commit -qm "$2 x $3"
}

# measure NAME: one cold start on $work/NAME; prints ready ms, peak MB and the slowest /validate answer while loading.
measure() {
  local name=$1 started ready peak later slowest
  guard_port=$(free_port); guard_ops=$(free_port)
  local url="https://127.0.0.1:$guard_port/validate" status="http://127.0.0.1:$guard_ops/status"
  started=$(now_ms)
  # lib.sh's start_guard, on this shape's repository (a later setting of a name wins).
  start_guard "$cpus" "$work/guard-$name.log" "$work/cache-$name" \
    AdmissionGuard__Git__Repository="git://127.0.0.1:$git_port/$name" ${HEAP_LIMIT:+DOTNET_GCHeapHardLimit=$HEAP_LIMIT}
  # While it loads: a review every 250 ms, each answer's time in seconds (curl's time_total), until the baseline is in.
  (
    while ! curl -s --max-time 1 "$status" 2>/dev/null | grep -Eq '"objectCount": *[1-9]'; do
      curl -s -o /dev/null -w "%{time_total} $(now_ms)\n" --max-time 10 --cacert "$work/certs/ca.crt" -H 'Content-Type: application/json' \
        --data-binary @"$work/$name-review-equal.json" "$url" 2>/dev/null || true
      sleep 0.25
    done
  ) >"$work/answers-$name" &
  local prober=$!
  pids+=("$prober")
  cp "$work/$name-review-equal.json" "$work/review-equal.json"
  cp "$work/$name-review-different.json" "$work/review-different.json"
  ready=$(first_decision "$url" "$started" '"allowed":true' "$work/review-equal.json" "$status" "$guard_pid") || { tail -5 "$work/guard-$name.log" >&2; exit 1; }
  peak=$(awk '/^VmHWM:/ { printf "%d", $2 / 1024 }' "/proc/$guard_pid/status")
  check_decisions "$url"
  wait "$prober" 2>/dev/null || true
  sleep 5
  later=$(awk '/^VmHWM:/ { printf "%d", $2 / 1024 }' "/proc/$guard_pid/status")
  slowest=$(sort -g "$work/answers-$name" | tail -1 | cut -d" " -f1)
  printf '   %-6s first correct decision after %6d ms; peak %4d MB at it, %4d MB 5 s later; %d answers while loading, the slowest in %s s\n' \
    "$name" "$ready" "$peak" "$later" "$(grep -c . "$work/answers-$name" || true)" "${slowest:-none}"
  { grep '"@mt":"Baseline loaded' "$work/guard-$name.log" | grep -o '"ObjectCount":[0-9]*\|"FetchSeconds":[0-9.]*\|"ReadSeconds":[0-9.]*' | tr '\n' ' ' | sed 's/^/          as logged: /'; echo; } || true
  kill "$guard_pid"; wait "$guard_pid" 2>/dev/null || true
}

echo "== fixtures: $FILES tiny files; a List of $ITEMS"
make_repository files files "$FILES"
make_repository list list "$ITEMS"
start_git_daemon 0
echo "== cold starts (cpus $cpus, GC heap limit ${HEAP_LIMIT:-none}, WhenBaselineUnavailable as configured)"
measure files
measure list
