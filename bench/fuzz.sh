#!/usr/bin/env bash
# Fuzzes one of AdmissionGuard's input readers with afl++ and SharpFuzz (see docs/security.md).
#
#   bench/fuzz.sh TARGET MINUTES        TARGET: review, policy or manifest
#
# Installs afl++ (Debian) and the sharpfuzz tool (.config/dotnet-tools.json) when missing, publishes
# bench/AdmissionGuard.Fuzz, instruments the assemblies under test, builds a seed corpus from the
# repository's real inputs, runs afl-fuzz for MINUTES and prints a summary. Each run keeps its seeds,
# findings and log in bench/fuzz-out/TARGET/TIMESTAMP/ (or under $FUZZ_OUT); crashes/ and hangs/ there
# are replayed at the end with their exceptions. Not part of CI.
#
# Settings: FUZZ_OUT (findings root), FUZZ_TIMEOUT_MS (afl's -t; a run slower than this is a hang,
# default 2000), AFL_NO_AFFINITY (default 1: do not pin to a core on a shared machine).
set -euo pipefail

usage() { echo "usage: bench/fuzz.sh review|policy|manifest MINUTES" >&2; exit 2; }
[ $# -eq 2 ] || usage
target=$1
minutes=$2
case "$target" in review | policy | manifest) ;; *) usage ;; esac
[[ "$minutes" =~ ^[0-9]+$ ]] && [ "$minutes" -gt 0 ] || usage

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if ! command -v afl-fuzz >/dev/null; then
  echo "== installing afl++"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq afl++ >/dev/null
fi
dotnet tool restore >/dev/null

out=${FUZZ_OUT:-$root/bench/fuzz-out}/$target
bin=$out/bin
run=$out/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out" "$run"

# A fresh publish each time: sharpfuzz refuses an assembly it has already instrumented.
echo "== publishing bench/AdmissionGuard.Fuzz to $bin"
rm -rf "$bin"
dotnet publish bench/AdmissionGuard.Fuzz/AdmissionGuard.Fuzz.csproj -c Release -o "$bin" -nologo -v q >"$run/publish.log" 2>&1 ||
  { tail -20 "$run/publish.log"; exit 1; }

# The product's own code always; YamlDotNet too for manifests, whose parser is most of what runs.
assemblies=(AdmissionGuard.Core.dll admissionguard.dll)
[ "$target" = manifest ] && assemblies+=(YamlDotNet.dll)
for assembly in "${assemblies[@]}"; do
  echo "== instrumenting $assembly"
  dotnet tool run sharpfuzz "$bin/$assembly" >"$run/instrument-$assembly.log" 2>&1 ||
    { cat "$run/instrument-$assembly.log"; exit 1; }
done

fuzz=("$(command -v dotnet)" "$bin/AdmissionGuard.Fuzz.dll" "$target")
shared=$root/../shared
case "$target" in
  review | policy)
    sources=(tests/AdmissionGuard.Tests/Fixtures/apiserver examples/reviews)
    [ -d "$shared/fixtures/apiserver" ] && sources+=("$shared/fixtures/apiserver")
    ;;
  manifest)
    sources=(examples/gitops)
    [ -d "$shared/corpus" ] && sources+=("$shared/corpus")
    ;;
esac
"${fuzz[@]}" --seeds "$run/seeds" "${sources[@]}"

export AFL_SKIP_BIN_CHECK=1                      # the target is `dotnet`, not an afl-compiled binary
export AFL_SKIP_CPUFREQ=1                        # no CPU governor to set on a VM
export AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1   # whatever core_pattern says
export AFL_NO_UI=1                               # status lines to the log, not a curses screen
export AFL_FORKSRV_INIT_TMOUT=${AFL_FORKSRV_INIT_TMOUT:-60000}   # .NET start-up and JIT on a busy machine
export AFL_NO_AFFINITY=${AFL_NO_AFFINITY:-1}
timeout_ms=${FUZZ_TIMEOUT_MS:-2000}
seconds=$((minutes * 60))

echo "== afl-fuzz $target for $minutes min (log: $run/afl.log)"
set +e
afl-fuzz -i "$run/seeds" -o "$run/findings" -t "$timeout_ms" -m none -V "$seconds" \
  -x "$bin/Dictionaries/$target.dict" -- "${fuzz[@]}" >"$run/afl.log" 2>&1
afl_rc=$?
set -e

stats=$run/findings/default/fuzzer_stats
if [ ! -f "$stats" ]; then
  tail -40 "$run/afl.log"
  echo "afl-fuzz exited $afl_rc without statistics" >&2
  exit 1
fi

stat() { sed -nE "s/^$1 +: (.*)$/\\1/p" "$stats" | head -1; }
execs=$(stat execs_done)
run_time=$(stat run_time)
[ -n "$run_time" ] || run_time=$(($(stat last_update) - $(stat start_time)))
crashes=$(stat saved_crashes)
[ -n "$crashes" ] || crashes=$(stat unique_crashes)
hangs=$(stat saved_hangs)
[ -n "$hangs" ] || hangs=$(stat unique_hangs)
corpus=$(stat corpus_count)
[ -n "$corpus" ] || corpus=$(stat paths_total)
per_second=$(awk -v e="$execs" -v t="$run_time" 'BEGIN { printf "%.0f", (t > 0 ? e / t : 0) }')

{
  echo "target        $target"
  echo "minutes       $minutes (afl-fuzz ran ${run_time}s, exit $afl_rc)"
  echo "execs         $execs"
  echo "execs/s       $per_second"
  echo "corpus        $corpus (seeds: $(find "$run/seeds" -type f | wc -l))"
  echo "edges found   $(stat edges_found) ($(stat bitmap_cvg) of the map, stability $(stat stability))"
  echo "crashes       $crashes"
  echo "hangs         $hangs"
  echo "findings      $run/findings/default"
} | tee "$run/summary.txt"

# Replay what afl-fuzz kept, outside it, so each finding shows its exception (or its time).
for kind in crashes hangs; do
  dir=$run/findings/default/$kind
  if [ -n "$(find "$dir" -type f ! -name README.txt 2>/dev/null | head -1)" ]; then
    echo "== replaying $kind (full output: $run/replay-$kind.txt)"
    "${fuzz[@]}" --replay "$dir" --slow-ms "$timeout_ms" >"$run/replay-$kind.txt" 2>&1 || true
    grep -A1 -E '^(crash|slow|hang) ' "$run/replay-$kind.txt" | grep -vE '^(crash|slow|hang|--)' |
      sed -E 's/^ +//' | sort | uniq -c | sort -rn | head -20 | tee -a "$run/summary.txt"
    tail -1 "$run/replay-$kind.txt" | tee -a "$run/summary.txt"
  fi
done
