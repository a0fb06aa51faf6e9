# Helpers of bench/render-startup.sh, on top of bench/lib.sh (free_port, now_ms, bench_cleanup, start_git_daemon,
# first_decision, decision, check_decisions); sourced, not run.
#
#   bench_work admissionguard-load          # a temporary folder in $work; whatever is in $pids is stopped on exit,
#                                           # and the folder removed unless KEEP_WORK=1
#   bench_quiet dotnet build ...            # output to $work/build.log, shown only on failure
#   bench_publish_guard                     # the guard as the Dockerfile publishes it; sets guard_dll
#   bench_stop PID                          # stops one process this script started, and forgets it

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
root=$bench_root
source "$bench_root/bench/lib.sh"

bench_work() {
  work=$(mktemp -d "/tmp/$1.XXXXXX")
  pids=()
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
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

bench_quiet() {
  "$@" >>"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
}

bench_publish_guard() {
  bench_quiet dotnet publish "$bench_root/src/AdmissionGuard/AdmissionGuard.csproj" -c Release -r linux-x64 --self-contained false -o "$work/guard" -v quiet -nologo
  guard_dll="$work/guard/admissionguard.dll"
}
