#!/usr/bin/env bash
# Start-up with rendered sources: the guard reading ROOTS Kustomize roots of 100 NetworkPolicies each.
#
#   bench/render-startup.sh                 # 50 roots (5,000 policies), 5 runs of each kind
#   RUNS=3 bench/render-startup.sh
#   ROOTS=20 RUNS=1 bench/render-startup.sh # a quick look
#   KUSTOMIZE="kustomize build" bench/render-startup.sh   # the real command (default: as the guard picks it)
#   GUARD_DIR=/tmp/other-build bench/render-startup.sh     # a guard already published there (dotnet publish -o)
#
# Generates a Git repository of ROOTS roots (apps/team-NNN/overlays/prod: namespace team-NNN, the team's
# base of 100 policies in five files, and a shared component adding labels and an annotation), served by
# `git daemon` on 127.0.0.1 (pinned to GIT_CPU), and publishes the guard as the Dockerfile does (Release,
# ReadyToRun). The guard gets one Git:Sources entry per root and runs on STARTUP_CPUS (default: all, as a
# pod with the 2-CPU limit of deploy/base). Every decision checked is on one rendered policy: a review
# equal to Git must be allowed, one with an ingress port added (widened) denied. Measures:
#   cold     empty cache folder, Git served: process start to the first correct decision; the guard's
#            Git:Kustomize:Command is a wrapper that runs the real kustomize under /usr/bin/time and
#            logs when each render started and ended, its CPU time and peak resident memory
#   direct   as cold, with Git:Kustomize:Command unset (the guard runs the real command itself): what
#            the wrapper costs; alternates with cold
#   restart  the cache folder of the last cold run, git daemon stopped, the same settings: process
#            start to the first correct decision, with the wrapper refusing (and recording) any render;
#            /status must say source "persisted" and no render may have been attempted
#   plain    for reference, bench/load.sh's repository of as many policies as plain files (Git:Paths),
#            cold, in the same conditions: what the VM's load does to a start that renders nothing
# Each run also gives the load average and CPU pressure (/proc/pressure/cpu) when it started, the guard's
# CPU seconds and those of the renders it waited for (/proc/PID/stat at the first decision): on a shared
# VM they say more than the wall clock. It reports where the time went, from the guard's log and the
# wrapper's: Kestrel listening, first render started (after fetch, checkout, kustomization scan), last
# render ended, baseline in force (parsing the renders, building the baseline), first decision; the
# guard's FetchSeconds/ReadSeconds, /status sources[].renderSeconds, the peak resident memory of the guard
# (VmHWM at the first decision) and of each kustomize process. Everything listens on 127.0.0.1; every
# wait has a time limit; whatever the script started is stopped on exit (KEEP_WORK=1 keeps the folder).
set -euo pipefail

ROOTS=${ROOTS:-50}
RUNS=${RUNS:-5}
STARTUP_CPUS=${STARTUP_CPUS:-0-$(( $(nproc) - 1 ))}
GIT_CPU=${GIT_CPU:-0}
STARTUP_LIMIT_S=${STARTUP_LIMIT_S:-120}
POLL_S=${POLL_S:-0.05}
COLD_TARGET_MS=10000
RESTART_TARGET_MS=3000

source "$(dirname "$0")/render-lib.sh"
root=$bench_root
bench_require curl git openssl taskset python3 /usr/bin/time:time

if [ -z "${KUSTOMIZE:-}" ]; then
  # As the guard picks its default (KustomizeOptions): kustomize on PATH, else kubectl's built-in one.
  if command -v kustomize >/dev/null; then KUSTOMIZE="kustomize build"; elif command -v kubectl >/dev/null; then KUSTOMIZE="kubectl kustomize"; else
    echo "needs kustomize or kubectl on PATH (or KUSTOMIZE=\"program words\")" >&2
    exit 2
  fi
fi
read -r -a kustomize_words <<<"$KUSTOMIZE"
kustomize_path=$(command -v "${kustomize_words[0]}") || { echo "KUSTOMIZE: ${kustomize_words[0]} not found" >&2; exit 2; }
kustomize_words[0]=$kustomize_path

bench_work admissionguard-render
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
case ${kustomize_words[0]} in
  */kubectl) kustomize_version=$("${kustomize_words[0]}" version --client 2>/dev/null | grep -i '^kustomize' || true) ;;
  *) kustomize_version=$("${kustomize_words[0]}" version 2>/dev/null | head -1 || true) ;;
esac
echo "== kustomize: ${kustomize_words[*]} (${kustomize_version:-version unknown})"
echo "== build (Release; the guard published as in the Dockerfile)"
bench_quiet dotnet build "$root/bench/AdmissionGuard.Benchmarks/AdmissionGuard.Benchmarks.csproj" -c Release -v quiet -nologo
if [ -n "${GUARD_DIR:-}" ]; then
  guard_dll="$(cd "$GUARD_DIR" && pwd)/admissionguard.dll"
  echo "   the guard published in $GUARD_DIR"
else
  bench_publish_guard
fi
fixture_dll="$root/bench/AdmissionGuard.Benchmarks/bin/Release/net10.0/AdmissionGuard.Benchmarks.dll"

echo "== fixtures: $ROOTS Kustomize roots; for reference, bench/load.sh's repository of as many plain policies; certificate"
dotnet "$fixture_dll" make-render-fixture "$work" "$ROOTS"
dotnet "$fixture_dll" make-fixture "$work/plain" $(( ROOTS * 100 ))
bash "$root/certs-dev/make-certs.sh" "$work/certs" >/dev/null

# The wrapper the guard runs as kustomize: with $work/refuse present it records the call and fails;
# otherwise it runs the real command under /usr/bin/time and logs "start_ms end_ms wall user sys maxrss_kb exit".
cat >"$work/kustomize" <<EOF
#!/usr/bin/env bash
if [ -e "$work/refuse" ]; then
  echo "\${EPOCHREALTIME/./} \$*" >>"$work/kustomize-refused.log"
  echo "Error: no render may run after a restart from the persisted baseline" >&2
  exit 1
fi
started=\${EPOCHREALTIME/./}
/usr/bin/time -f '%e %U %S %M' -o "$work/time.\$\$" $(printf '%q ' "${kustomize_words[@]}") "\$@"
code=\$?
ended=\${EPOCHREALTIME/./}
echo "\$(( started / 1000 )) \$(( ended / 1000 )) \$(tail -1 "$work/time.\$\$") \$code" >>"$work/kustomize.log"
rm -f "$work/time.\$\$"
exit \$code
EOF
chmod +x "$work/kustomize"

guard_port=$(free_port); guard_ops=$(free_port)
start_git_daemon "$GIT_CPU"
git_pid=${pids[-1]}
url="https://127.0.0.1:$guard_port/validate"
status="http://127.0.0.1:$guard_ops/status"

sources=()
for i in $(seq 0 $(( ROOTS - 1 ))); do
  sources+=("AdmissionGuard__Git__Sources__${i}__Path=apps/team-$(printf '%03d' "$i")/overlays/prod")
done

# start_guard LOG CACHE COMMAND [plain]: sets guard_pid and guard_started (ms); COMMAND empty: Git:Kustomize:Command
# unset; plain: bench/load.sh's repository, read through Git:Paths (no sources).
start_guard() {
  local command=() settings=("${sources[@]}") repository=repo
  [ -n "$3" ] && command=("AdmissionGuard__Git__Kustomize__Command=$3")
  if [ "${4:-}" = plain ]; then settings=(); repository=plain/repo; fi
  guard_started=$(now_ms)
  env Kestrel__Endpoints__Webhook__Url="https://127.0.0.1:$guard_port" \
    Kestrel__Endpoints__Webhook__Certificate__Path="$work/certs/tls.crt" \
    Kestrel__Endpoints__Webhook__Certificate__KeyPath="$work/certs/tls.key" \
    Kestrel__Endpoints__Ops__Url="http://127.0.0.1:$guard_ops" \
    AdmissionGuard__Git__Repository="git://127.0.0.1:$git_port/$repository" \
    AdmissionGuard__Git__CacheDirectory="$2" \
    "${settings[@]}" "${command[@]}" \
    taskset -c "$STARTUP_CPUS" dotnet "$guard_dll" serve >"$1" 2>&1 &
  guard_pid=$!
  pids+=("$guard_pid")
}

status_field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))$2)" "$1"; }
hwm_mb() { awk '/^VmHWM:/ { printf "%d", $2 / 1024 }' "/proc/$1/status"; }
# CPU seconds of a process and of the children it has waited for (the renders): "self children".
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f %.2f", ($12 + $13) / hz, ($14 + $15) / hz }' "/proc/$1/stat"; }
psi() { awk '/^some/ { sub(/avg10=/, "", $2); print $2 }' /proc/pressure/cpu 2>/dev/null || echo -; }

results="$work/results"
: >"$results"

# measure KIND N CACHE COMMAND: one start of the guard, stopped after its first correct decisions.
# KIND: cold (the wrapper renders), direct (Command unset), restart (the wrapper refuses) or plain (bench/load.sh's
# repository through Git:Paths: the same policies without kustomize, measured in the same conditions). Appends to $results:
# kind n ready_ms load psi_some_avg10 guard_peak_mb policies source started_ms guard_cpu_s children_cpu_s
measure() {
  local kind=$1 n=$2 cache=$3 command=$4 log="$work/guard-$2-$1.log" load pressure ready hwm cpu objects source
  : >"$work/kustomize.log"
  load=$(cut -d' ' -f1 /proc/loadavg)
  pressure=$(psi)
  start_guard "$log" "$cache" "$command" "$kind"
  ready=$(first_decision "$url" "$guard_started" '"allowed":true' "$work/review-equal.json" "$status" "$guard_pid") || { tail -20 "$log" >&2; exit 1; }
  hwm=$(hwm_mb "$guard_pid")
  cpu=$(cpu_s "$guard_pid")
  check_decisions "$url"
  curl -s --max-time 2 "$status" >"$work/status-$n-$kind.json"
  bench_stop "$guard_pid"
  cp "$work/kustomize.log" "$work/kustomize-$n-$kind.log"
  objects=$(status_field "$work/status-$n-$kind.json" '["objectCount"]')
  source=$(status_field "$work/status-$n-$kind.json" '["source"]')
  echo "$kind $n $ready $load $pressure $hwm $objects $source $guard_started $cpu" >>"$results"
  # shellcheck disable=SC2086 # $cpu is two numbers
  printf '   %-7s run %d: first correct decision after %6d ms (load %s, cpu pressure %s%%): %s policies from %s; guard CPU %s s, renders %s s; guard peak %s MB\n' \
    "$kind" "$n" "$ready" "$load" "$pressure" "$objects" "$source" $cpu "$hwm"
}

echo "== cold starts on cpus $STARTUP_CPUS: empty cache, Git on git daemon; 'cold' through the recording wrapper, 'direct' without it,"
echo "   'plain' the same policies as plain files (bench/load.sh's repository), for reference"
for n in $(seq 1 "$RUNS"); do
  measure direct "$n" "$work/cache-$n-direct" ""
  measure cold "$n" "$work/cache-$n-cold" "$work/kustomize"
  measure plain "$n" "$work/cache-$n-plain" ""
done

echo "== restarts on cpus $STARTUP_CPUS: the cache of the last cold run, git daemon stopped, kustomize refused"
bench_stop "$git_pid"
touch "$work/refuse"
: >"$work/kustomize-refused.log"
for n in $(seq 1 "$RUNS"); do
  measure restart "$n" "$work/cache-$RUNS-cold" "$work/kustomize"
  source=$(status_field "$work/status-$n-restart.json" '["source"]')
  renders=$(status_field "$work/status-$n-restart.json" '.get("sources") or []' | grep -o "'render': 'kustomize'" | wc -l || true)
  if [ "$source" != persisted ]; then
    echo "restart $n: /status source is '$source', not persisted" >&2
    exit 1
  fi
  if [ -s "$work/kustomize-refused.log" ]; then
    echo "restart $n: kustomize was run: $(cat "$work/kustomize-refused.log")" >&2
    exit 1
  fi
  echo "           no render attempted; /status lists $renders kustomize sources (from the persisted baseline)"
done

echo
echo "== summary ($ROOTS roots, $(( ROOTS * 100 )) policies, cpus $STARTUP_CPUS; load average now $(cut -d' ' -f1-3 /proc/loadavg))"
python3 - "$work" "$COLD_TARGET_MS" "$RESTART_TARGET_MS" <<'EOF'
import json, sys
from datetime import datetime
from statistics import median
work, cold_target, restart_target = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rows = [line.split() for line in open(f"{work}/results")]

def span(values, digits=0, unit=""):
    values = sorted(values)
    f = lambda v: f"{v:.{digits}f}{unit}"
    return f"{f(values[0])} / {f(median(values))} / {f(values[-1])}"

def events(kind, n):
    """ms since the epoch of the guard's log lines that mark its phases, and the fetch/read seconds it logs."""
    marks = {}
    for line in open(f"{work}/guard-{n}-{kind}.log"):
        try:
            event = json.loads(line)
        except ValueError:
            continue
        at = datetime.fromisoformat(event["@t"][:26] + "+00:00").timestamp() * 1000
        template = event.get("@mt", "")
        if template.startswith("Application started"):
            marks.setdefault("started", at)
        elif template.startswith("Baseline loaded") or template.startswith("Enforcing the persisted baseline"):
            marks.setdefault("baseline", at)
            marks.setdefault("fetch", event.get("FetchSeconds"))
            marks.setdefault("read", event.get("ReadSeconds"))
    return marks

print("   min / median / max of each kind's runs:")
print(f"   {'kind':8} {'first correct decision, ms':>28} {'guard CPU, s':>18} {'renders CPU, s':>18} {'guard peak, MB':>16}  load average, cpu pressure")
for kind, target in (("cold", cold_target), ("direct", cold_target), ("restart", restart_target), ("plain", None)):
    mine = [r for r in rows if r[0] == kind]
    if not mine:
        continue
    ready = [int(r[2]) for r in mine]
    met = "" if target is None else f"target {target} ms: " + ("met" if median(ready) <= target else "NOT met") + " (median)"
    print(f"   {kind:8} {span(ready):>28} {span([float(r[9]) for r in mine], 1):>18} {span([float(r[10]) for r in mine], 1):>18} "
          f"{span([int(r[5]) for r in mine]):>16}  {min(float(r[3]) for r in mine):.1f}-{max(float(r[3]) for r in mine):.1f}, "
          f"{min(r[4] for r in mine)}-{max(r[4] for r in mine)} %   {met}")

print("\n   where the time went, ms from process start (guard log and wrapper log):")
print(f"   {'run':10} {'host up':>7} {'1st render':>10} {'last end':>8} {'baseline':>8} {'ready':>6}   {'fetch s':>7} {'read s':>6}  "
      f"{'renders':>7} {'kustomize CPU s':>15} {'per render ms':>13} {'peak MB':>7}")
for r in rows:
    kind, n, ready, started = r[0], r[1], int(r[2]), int(r[8])
    marks = events(kind, n)
    log = [list(map(float, line.split())) for line in open(f"{work}/kustomize-{n}-{kind}.log") if line.strip()]
    host = marks.get("started", started) - started
    baseline = marks.get("baseline", started) - started
    cells = [f"{kind} {n}".ljust(10), f"{host:7.0f}"]
    if log:
        first = min(l[0] for l in log) - started
        last = max(l[1] for l in log) - started
        walls = [l[1] - l[0] for l in log]
        failed = sum(1 for l in log if l[6] != 0)
        cells += [f"{first:10.0f}", f"{last:8.0f}"]
        tail = (f"{len(log):7d} {sum(l[3] + l[4] for l in log):15.1f} {min(walls):6.0f}-{max(walls):<6.0f} {max(l[5] for l in log) / 1024:7.0f}"
                + (f"  {failed} FAILED" if failed else ""))
    else:
        cells += [f"{'-':>10}", f"{'-':>8}"]
        tail = f"{0:7d}"
    fetch = f"{marks['fetch']:.2f}" if marks.get("fetch") is not None else "-"
    read = f"{marks['read']:.2f}" if marks.get("read") is not None else "-"
    print("   " + " ".join(cells) + f" {baseline:8.0f} {ready:6d}   {fetch:>7} {read:>6}  " + tail)
print("   (host up: Kestrel listening; baseline: the baseline put in force, as logged; renders: through the wrapper only)")

seconds = []
for r in (r for r in rows if r[0] in ("cold", "direct")):
    status = json.load(open(f"{work}/status-{r[1]}-{r[0]}.json"))
    seconds += [s["renderSeconds"] for s in status.get("sources", []) if s.get("renderSeconds") is not None]
if seconds:
    print(f"\n   /status sources[].renderSeconds, all cold and direct runs ({len(seconds)} renders), min / median / max: {span(seconds, 2, ' s')}")
EOF
