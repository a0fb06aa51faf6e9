# Shared by bench/load.sh and bench/soak.sh; sourced, not run. Expects `set -euo pipefail` and $root
# (the repository) to be set. Everything listens on 127.0.0.1; every loop has a count and a time limit;
# whatever is started through these functions is stopped on exit.

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# bench_require COMMAND[:PACKAGE]... : installs the Debian packages that provide the missing commands
# (the package is the command's name unless given, or util-linux for taskset).
bench_require() {
  local need=() command
  for command in "$@"; do
    command -v "${command%%:*}" >/dev/null && continue
    case $command in
      *:*) need+=("${command#*:}") ;;
      taskset) need+=(util-linux) ;;
      *) need+=("$command") ;;
    esac
  done
  if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]}"
    apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
  fi
}

# bench_start NAME: checks for two cores, makes the temporary folder $work and stops every process in
# $pids on exit, then removes $work (unless KEEP_WORK=1: logs and fixtures to look at).
bench_start() {
  if [ "$(nproc)" -lt 2 ]; then
    echo "needs 2 cores (server and load generator on separate cores); this machine has $(nproc)" >&2
    exit 2
  fi
  work=$(mktemp -d "/tmp/admissionguard-$1.XXXXXX")
  pids=()
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

bench_cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [ "${KEEP_WORK:-0}" = 1 ]; then
    echo "kept $work (KEEP_WORK=1)" >&2
  else
    rm -rf "$work"
  fi
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
now_ms() { date +%s%3N; }

bench_machine() {
  echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# bench_build [PROJECT...]: publishes the guard as the Dockerfile does (Release, ReadyToRun) and builds
# the fixture generator and any further projects in Release; sets guard_dll and fixture_dll.
bench_build() {
  local project
  echo "== build (Release; the guard published as in the Dockerfile)"
  for project in "$root/bench/AdmissionGuard.Benchmarks/AdmissionGuard.Benchmarks.csproj" "$@"; do
    dotnet build "$project" -c Release -v quiet -nologo >>"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
  done
  dotnet publish "$root/src/AdmissionGuard/AdmissionGuard.csproj" -c Release -r linux-x64 --self-contained false -o "$work/guard" -v quiet -nologo >>"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
  guard_dll="$work/guard/admissionguard.dll"
  fixture_dll="$root/bench/AdmissionGuard.Benchmarks/bin/Release/net10.0/AdmissionGuard.Benchmarks.dll"
}

# bench_fixtures POLICIES: the Git repository ($work/repo), the generated reviews ($work/review-*.json)
# and a certificate ($work/certs).
bench_fixtures() {
  echo "== fixtures: $1-policy Git repository, certificate"
  dotnet "$fixture_dll" make-fixture "$work" "$1"
  bash "$root/certs-dev/make-certs.sh" "$work/certs" >/dev/null
}

# start_git_daemon CPU: serves $work/repo as git://127.0.0.1:$git_port/repo.
start_git_daemon() {
  git_port=$(free_port)
  taskset -c "$1" git daemon --reuseaddr --export-all --listen=127.0.0.1 --port="$git_port" --base-path="$work" "$work" >"$work/git-daemon.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$git_port") 2>/dev/null && break; sleep 0.05; done
}

# Polls until the server answers the review as expected; prints milliseconds since $2. With a
# status URL ($5), polls that (plain HTTP on the ops port) until a baseline is loaded first, so the
# poll does not load the server's one core with a TLS handshake every few milliseconds. With a PID ($6),
# gives up at once when that process has ended. Polls every POLL_S seconds (default 0.02).
first_decision() {
  local url=$1 started=$2 expect=$3 review=$4 status=${5:-} pid=${6:-}
  local deadline=$(( $(now_ms) + STARTUP_LIMIT_S * 1000 ))
  for _ in $(seq 1 $(( STARTUP_LIMIT_S * 50 ))); do
    if [ -z "$status" ] || curl -s --max-time 1 "$status" 2>/dev/null | grep -Eq '"objectCount": *[1-9]'; then
      if curl -s --max-time 2 --cacert "$work/certs/ca.crt" -H 'Content-Type: application/json' \
          --data-binary @"$review" "$url" 2>/dev/null | grep -q "$expect"; then
        echo $(( $(now_ms) - started ))
        return 0
      fi
    fi
    [ "$(now_ms)" -lt "$deadline" ] || break
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      echo "process $pid ended before a correct decision from $url" >&2
      return 1
    fi
    sleep "${POLL_S:-0.02}"
  done
  echo "no correct decision from $url within ${STARTUP_LIMIT_S}s" >&2
  return 1
}

# decision URL REVIEW: "allowed":true or "allowed":false (trusting $work/certs/ca.crt).
decision() {
  curl -s --max-time 5 --cacert "$work/certs/ca.crt" -H 'Content-Type: application/json' \
    --data-binary @"$2" "$1" | grep -o '"allowed":[a-z]*' || true
}

# check_decisions URL: the review equal to Git ($work/review-equal.json) is allowed and the widened one
# ($work/review-different.json) denied; otherwise says what came back and exits.
check_decisions() {
  local equal widened
  equal=$(decision "$1" "$work/review-equal.json")
  widened=$(decision "$1" "$work/review-different.json")
  if [ "$equal" != '"allowed":true' ] || [ "$widened" != '"allowed":false' ]; then
    echo "wrong decisions: equal $equal, widened $widened (want allowed, denied)" >&2
    exit 1
  fi
}

# start_guard CPUS LOG CACHE [NAME=VALUE...]: the guard as a new pod runs it (empty cache, Git over the
# network), on $guard_port (HTTPS) and $guard_ops, with any further settings as environment variables;
# sets guard_pid.
start_guard() {
  local cpus=$1 log=$2 cache=$3
  shift 3
  env Kestrel__Endpoints__Webhook__Url="https://127.0.0.1:$guard_port" \
    Kestrel__Endpoints__Webhook__Certificate__Path="$work/certs/tls.crt" \
    Kestrel__Endpoints__Webhook__Certificate__KeyPath="$work/certs/tls.key" \
    Kestrel__Endpoints__Ops__Url="http://127.0.0.1:$guard_ops" \
    AdmissionGuard__Git__Repository="git://127.0.0.1:$git_port/repo" \
    AdmissionGuard__Git__CacheDirectory="$cache" \
    "$@" \
    taskset -c "$cpus" dotnet "$guard_dll" serve >"$log" 2>&1 &
  guard_pid=$!
  pids+=("$guard_pid")
}

# wrk's latency ("812.00us", "1.52ms", "1.01s") in milliseconds.
to_ms() { awk '{ v = $1; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } printf "%.3f", v }' <<<"$1"; }

# CPU time (clock ticks) of a process, and busy ticks of one core.
proc_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
core_busy() { awk -v c="cpu$1" '$1 == c { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
core_total() { awk -v c="cpu$1" '$1 == c { t = 0; for (i = 2; i <= NF; i++) t += $i; print t }' /proc/stat; }
