# Helpers of bench/render-startup.sh (build, publish, fixtures, git daemon); sourced, not run.
#
#   bench_need wrk curl taskset:util-linux  # installs what is missing with apt-get (command:package)
#   bench_work admissionguard-load          # a temporary folder in $work; whatever is in $pids is stopped on exit,
#                                           # and the folder removed unless KEEP_WORK is set
#   bench_build dotnet build ...            # output to $work/build.log, shown only on failure
#   bench_publish_guard                     # the guard as the Dockerfile publishes it; sets guard_dll
#   start_git_daemon CPU PORT               # git daemon serving the repositories under $work; sets git_pid
#   first_decision URL STARTED EXPECT REVIEW [STATUS_URL [PID]]  # gives up at once when PID has ended
#   decision URL REVIEW                     # "allowed":true or "allowed":false
#
# first_decision and decision trust $work/certs/ca.crt; first_decision gives up after STARTUP_LIMIT_S
# seconds and polls every POLL_S seconds (default 0.02).

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

bench_need() {
  local need=() entry
  for entry in "$@"; do
    command -v "${entry%%:*}" >/dev/null || need+=("${entry#*:}")
  done
  if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]}"
    apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
  fi
}

bench_work() {
  work=$(mktemp -d "/tmp/$1.XXXXXX")
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
  if [ -n "${KEEP_WORK:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}

# Stops one process this script started, and forgets it.
bench_stop() {
  local pid=$1 kept=() p
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for p in "${pids[@]}"; do
    [ "$p" = "$pid" ] || kept+=("$p")
  done
  pids=("${kept[@]}")
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
now_ms() { date +%s%3N; }

bench_build() {
  "$@" >>"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
}

bench_publish_guard() {
  bench_build dotnet publish "$bench_root/src/AdmissionGuard/AdmissionGuard.csproj" -c Release -r linux-x64 --self-contained false -o "$work/guard" -v quiet -nologo
  guard_dll="$work/guard/admissionguard.dll"
}

start_git_daemon() {
  taskset -c "$1" git daemon --reuseaddr --export-all --listen=127.0.0.1 --port="$2" --base-path="$work" "$work" >>"$work/git-daemon.log" 2>&1 &
  git_pid=$!
  pids+=("$git_pid")
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && break; sleep 0.05; done
}

# Polls until the server answers the review as expected; prints milliseconds since $2. With a
# status URL ($5), polls that (plain HTTP on the ops port) until a baseline is loaded first, so the
# poll does not load the server's one core with a TLS handshake every few milliseconds.
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

decision() {
  curl -s --max-time 5 --cacert "$work/certs/ca.crt" -H 'Content-Type: application/json' \
    --data-binary @"$2" "$1" | grep -o '"allowed":[a-z]*' || true
}
