#!/usr/bin/env bash
# Soak test: the guard under sustained mixed and hostile traffic while Git keeps changing.
#
#   bench/soak.sh                   # 10 minutes at 80 % of the measured peak, 5,000 policies
#   DURATION=60 bench/soak.sh       # a quick run (one minute)
#   LOAD_PERCENT=60 POLICIES=10000 bench/soak.sh
#
# Publishes and starts the guard as bench/load.sh does (Release, ReadyToRun; audit log to a file;
# pinned to SERVER_CPU; Git served by `git daemon` and load from wrk on LOAD_CPU), then:
#   1. peak: wrk as fast as it can for PEAK_DURATION s with the allowed review load.sh uses;
#   2. calibration: short runs of the mix, each connection waiting between requests, the wait tuned
#      until the rate is LOAD_PERCENT % of that peak (wrk has no rate limit of its own);
#   3. the soak: DURATION s of the mix, one wrk run per minute (the wait re-tuned after each), while a
#      new commit is pushed to the served repository every PUSH_EVERY s (the first 15 s in; a port of
#      one policy changes, and one extra policy comes or goes) and announced with POST /refresh.
# The mix (MIX), per 10,000 requests in a fixed shuffled order: 80 % allowed, 15 % denied, 5 % bad:
#   8,000 allowed    the UPDATE review load.sh uses, equal to Git
#   1,500 denied     the same with a port added to the spec
#     240 notjson    not JSON (400)
#     240 kind       object.kind ConfigMap against request.kind NetworkPolicy (400)
#      18 operation  an operation of 100,000 characters, a 107 KB review (400)
#       1 cidr       an ipBlock cidr of 1 MiB in a policy Git declares (400)
#       1 label      a label value of 1 MiB on the denied review (deny)
# (MIX="allowed=9 denied=1", or other counts of these kinds, changes it.) A 1 MiB review costs the
# guard about as much CPU as 55 allowed ones, a 107 KB one 6, a denial 1.7: this mix costs ~1.12
# allowed reviews per request, so 80 % of the allowed-only peak is ~90 % of the mix's own.
# Every answer is checked as it arrives (in wrk's Lua): allowed and denied reviews get the expected
# decision with their uid, each bad kind 400 with its reason, every 400 body is one line of at most
# 512 bytes, every deny message at most 4 KiB. Halfway through each minute one request of every kind
# is also sent with Python and its whole answer checked.
# Per minute it prints requests, rate, latency as wrk saw it (p50, p99, max) and the guard's own p99
# (its histogram on /metrics), 400s, denials, 5xx, errors (socket errors and timeouts, answers
# neither 2xx nor 4xx, 5xx included, wrong answers, answers over their bound), the guard's and wrk's
# CPU, resident memory (VmRSS at the minute's end and the highest of 1 s samples) and gen2
# collections (dotnet_collection_count_total on /metrics); then the pushes and how long each took to
# be in force, and the totals: the peak (VmHWM), the RSS slope (least squares over the minutes after
# the first) and the guard's /status commit against the last one pushed. Exits 1 on any error or
# 5xx, a bad request not answered 400 or deny, an answer over its bound, a failed sample, or a final
# commit that is not the last pushed.
# Everything listens on 127.0.0.1; every loop has a count and a time limit; whatever the script
# started is stopped on exit.
set -euo pipefail

POLICIES=${POLICIES:-5000}
DURATION=${DURATION:-600}
WARMUP=${WARMUP:-10}
PEAK_DURATION=${PEAK_DURATION:-20}
LOAD_PERCENT=${LOAD_PERCENT:-80}
CONNECTIONS=${CONNECTIONS:-32}
PUSH_EVERY=${PUSH_EVERY:-30}
CALIBRATION_RUNS=${CALIBRATION_RUNS:-6}
SERVER_CPU=${SERVER_CPU:-1}
LOAD_CPU=${LOAD_CPU:-0}
STARTUP_LIMIT_S=${STARTUP_LIMIT_S:-60}
AUDIT_LOG=${AUDIT_LOG:-file}
MIX=${MIX:-allowed=8000 denied=1500 notjson=240 kind=240 operation=18 cidr=1 label=1}
for entry in $MIX; do
  [[ $entry =~ ^(allowed|denied|notjson|kind|operation|cidr|label)=[0-9]+$ ]] || { echo "MIX: 'kind=count' with a kind of allowed, denied, notjson, kind, operation, cidr, label; not '$entry'" >&2; exit 2; }
done
[ "$(printf '%s\n' $MIX | awk -F= '{ n += $2 } END { print n + 0 }')" -gt 0 ] || { echo "MIX: no requests" >&2; exit 2; }
for name in POLICIES DURATION WARMUP PEAK_DURATION LOAD_PERCENT CONNECTIONS PUSH_EVERY CALIBRATION_RUNS; do
  [[ ${!name} =~ ^[0-9]+$ ]] || { echo "$name: a whole number, not '${!name}'" >&2; exit 2; }
done
[ "$DURATION" -ge 60 ] || { echo "DURATION: at least 60 (seconds)" >&2; exit 2; }
[ "$LOAD_PERCENT" -ge 1 ] && [ "$LOAD_PERCENT" -le 100 ] || { echo "LOAD_PERCENT: 1-100" >&2; exit 2; }
[ "$PUSH_EVERY" -ge 5 ] || { echo "PUSH_EVERY: at least 5 (seconds)" >&2; exit 2; }
[ "$PEAK_DURATION" -ge 5 ] || { echo "PEAK_DURATION: at least 5 (seconds)" >&2; exit 2; }

root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
bench_require wrk curl git openssl taskset python3
bench_start soak
bench_machine
# What else keeps the machine busy: processes over 5 % of a core in a 2 s sample (top's second frame).
others=$(top -b -n 2 -d 2 -w 200 | awk '/^top -/ { frame++ } frame == 2 && $1 ~ /^[0-9]+$/ && $9 + 0 >= 5 { printf "%s%s (%s%%)", sep, $12, $9; sep = ", " }' || true)
echo "   other processes over 5 % of a core: ${others:-none}"
bench_build
bench_fixtures "$POLICIES"

guard_port=$(free_port); guard_ops=$(free_port)
start_git_daemon "$LOAD_CPU"
guard_url="https://127.0.0.1:$guard_port/validate"
ops="http://127.0.0.1:$guard_ops"
guard_log="$work/guard.log"
[ "$AUDIT_LOG" = null ] && guard_log=/dev/null

echo "== start the guard (cpu $SERVER_CPU): $guard_url, ops $ops, audit log to $guard_log"
started=$(now_ms)
start_guard "$SERVER_CPU" "$guard_log" "$work/cache"
ready_ms=$(first_decision "$guard_url" "$started" '"allowed":true' "$work/review-equal.json" "$ops/status")
echo "   first correct decision after ${ready_ms} ms"

# The bodies of the mix, each kind with its own uid, and the per-kind expectations for Lua and Python.
mkdir -p "$work/mix"
python3 - "$work" <<'EOF'
import json, sys
work = sys.argv[1]
equal = json.load(open(f"{work}/review-equal.json"))
different = json.load(open(f"{work}/review-different.json"))
prefix = equal["request"]["uid"][:-2]
def write(kind, review, uid, change=None):
    review = json.loads(json.dumps(review))
    review["request"]["uid"] = prefix + uid
    if change:
        change(review["request"])
    with open(f"{work}/mix/{kind}.json", "w") as out:
        out.write(json.dumps(review, separators=(",", ":"), ensure_ascii=False))
    return prefix + uid
def kind(request): request["object"]["kind"] = "ConfigMap"
def operation(request): request["operation"] = "U" * 100_000
def cidr(request): request["object"]["spec"]["egress"][2]["to"][0]["ipBlock"]["cidr"] = "1" * (1024 * 1024)
def label(request): request["object"]["metadata"]["labels"]["tier"] = "x" * (1024 * 1024)
uids = {
    "allowed": write("allowed", equal, "01"),
    "denied": write("denied", different, "02"),
    "kind": write("kind", equal, "04", kind),
    "operation": write("operation", equal, "05", operation),
    "cidr": write("cidr", equal, "06", cidr),
    "label": write("label", different, "07", label),
}
with open(f"{work}/mix/notjson.json", "w") as out:
    out.write("this is not JSON {")
# kind expected-answer uid-or-400-reason-prefix
expect = [
    ("allowed", "allow", uids["allowed"]),
    ("denied", "deny", uids["denied"]),
    ("notjson", "400", "body is not JSON"),
    ("kind", "400", "request.object is networking.k8s.io/v1 ConfigMap, but request.kind says"),
    ("operation", "400", "request.operation "),
    ("cidr", "400", "request.object.spec.egress[2].to[0].ipBlock.cidr: invalid CIDR "),
    ("label", "deny", uids["label"]),
]
with open(f"{work}/mix/expect", "w") as out:
    for row in expect:
        out.write(" ".join(row) + "\n")
EOF
printf '%s\n' $MIX >"$work/mix/counts"

# Saturated: the allowed review only, as load.sh's saturated phase.
cat >"$work/saturated.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local file = io.open("$work/review-equal.json", "rb")
wrk.body = file:read("*a")
file:close()
EOF

# The mix. Arguments: the folder of bodies, the mean wait in ms between a connection's answer and its next request.
cat >"$work/mix.lua" <<'EOF'
local dir, mean = nil, 0
local kinds, requests, expect, prefix = {}, {}, {}, {}
local schedule, position = {}, 0
local by_uid = {}
local answers = {}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local function read(path)
  local file = assert(io.open(path, "rb"))
  local text = file:read("*a")
  file:close()
  return text
end

function init(args)
  dir, mean = args[1], tonumber(args[2]) or 0
  for line in io.lines(dir .. "/expect") do
    local kind, answer, key = line:match("^(%S+) (%S+) (.*)$")
    table.insert(kinds, kind)
    expect[kind] = answer
    if answer == "400" then prefix[kind] = key else by_uid[key] = kind end
    requests[kind] = wrk.format("POST", wrk.path, { ["Content-Type"] = "application/json" }, read(dir .. "/" .. kind .. ".json"))
    _G["sent_" .. kind], _G["got_" .. kind] = 0, 0
    -- The answers checked before the soak, byte for byte: the same answer again needs no parsing. A deny
    -- names the commit, which the pushes change, so denials are always read in full.
    if answer ~= "deny" then
      answers[read(dir .. "/" .. kind .. ".answer")] = { status = (answer == "400" and 400 or 200), counter = "got_" .. kind }
    end
  end
  kind_list = table.concat(kinds, " ")
  for line in io.lines(dir .. "/counts") do
    local kind, count = line:match("^(%S+)=(%d+)$")
    for _ = 1, tonumber(count) do table.insert(schedule, kind) end
  end
  -- A fixed shuffle: the rare kinds spread through the schedule, the same order in every run.
  math.randomseed(20261206)
  for i = #schedule, 2, -1 do
    local j = math.random(i)
    schedule[i], schedule[j] = schedule[j], schedule[i]
  end
  math.randomseed(os.time())
  wrong, oversized, unknown, s5xx, other, s400, denies = 0, 0, 0, 0, 0, 0, 0
  max400, maxdeny, maxallow = 0, 0, 0
  first_wrong = ""
end

function request()
  position = position % #schedule + 1
  local kind = schedule[position]
  _G["sent_" .. kind] = _G["sent_" .. kind] + 1
  return requests[kind]
end

function delay()
  local whole = math.floor(mean)
  if math.random() < mean - whole then return whole + 1 end
  return whole
end

local function note(problem, body)
  if first_wrong == "" then first_wrong = (problem .. ": " .. body:sub(1, 200)):gsub("%s", " ") end
end

-- Bytes of a JSON string's text once decoded: \uXXXX by its UTF-8 length, other escapes one byte.
local function decoded_bytes(raw)
  local text = raw:gsub("\\u(%x%x%x%x)", function(hex)
    local code = tonumber(hex, 16)
    if code < 0x80 then return "x" elseif code < 0x800 then return "xx" end
    return "xxx"
  end)
  text = text:gsub("\\.", "x")
  return #text
end

local function message_bytes(body)
  local at = body:find('"message":"', 1, true)
  if not at then return -1 end
  local start, i = at + 11, at + 11
  for _ = 1, #body do
    local q = body:find('["\\]', i)
    if not q then return -1 end
    if body:sub(q, q) == "\\" then i = q + 2 else return decoded_bytes(body:sub(start, q - 1)) end
  end
  return -1
end

function response(status, headers, body)
  local known = answers[body]
  if known and known.status == status then
    _G[known.counter] = _G[known.counter] + 1
    if status == 400 then
      s400 = s400 + 1
      if #body > max400 then max400 = #body end
    elseif #body > maxallow then
      maxallow = #body
    end
    return
  end
  if status == 200 then
    local uid = body:match('"uid":"([^"]*)"')
    local kind = uid and by_uid[uid]
    if not kind then unknown = unknown + 1; note("200 for an unknown uid", body); return end
    _G["got_" .. kind] = _G["got_" .. kind] + 1
    local allowed = body:find('"allowed":true', 1, true) ~= nil
    if expect[kind] == "allow" then
      if not allowed then wrong = wrong + 1; note(kind .. " not allowed", body) end
      if #body > maxallow then maxallow = #body end
    else
      denies = denies + 1
      if allowed then wrong = wrong + 1; note(kind .. " allowed", body); return end
      local bytes = message_bytes(body)
      if bytes < 0 then wrong = wrong + 1; note(kind .. " deny without a message", body) end
      if bytes > maxdeny then maxdeny = bytes end
      if bytes > 4096 then oversized = oversized + 1; note(kind .. " deny message over 4 KiB", body) end
    end
  elseif status == 400 then
    s400 = s400 + 1
    if #body > max400 then max400 = #body end
    if #body > 512 or body:sub(-1) ~= "\n" or body:find("[\r\n]") ~= #body then oversized = oversized + 1; note("400 not one line of at most 512 bytes", body) end
    for kind, reason in pairs(prefix) do
      if body:sub(1, #reason) == reason then _G["got_" .. kind] = _G["got_" .. kind] + 1; return end
    end
    wrong = wrong + 1
    note("400 with an unexpected reason", body)
  elseif status >= 500 then
    s5xx = s5xx + 1
    note("HTTP " .. status, body)
  else
    other = other + 1
    note("HTTP " .. status, body)
  end
end

function done(summary, latency, requests)
  -- done() runs in wrk's main Lua state, where init() did not: the kinds come from a thread.
  local names = { "wrong", "oversized", "unknown", "s5xx", "other", "s400", "denies", "max400", "maxdeny", "maxallow" }
  for kind in (threads[1]:get("kind_list") or ""):gmatch("%S+") do
    table.insert(names, "sent_" .. kind)
    table.insert(names, "got_" .. kind)
  end
  local totals, first = {}, ""
  for _, thread in ipairs(threads) do
    for _, name in ipairs(names) do
      local value = thread:get(name) or 0
      if name:sub(1, 3) == "max" then
        totals[name] = math.max(totals[name] or 0, value)
      else
        totals[name] = (totals[name] or 0) + value
      end
    end
    if first == "" then first = thread:get("first_wrong") or "" end
  end
  local line = "MIX"
  for _, name in ipairs(names) do line = line .. " " .. name .. "=" .. totals[name] end
  print(line)
  print("FIRST_WRONG " .. first)
end
EOF

# One request of every kind, its whole answer checked (Python's own HTTP client, a new connection each).
cat >"$work/sample.py" <<'EOF'
import http.client, json, ssl, sys
work, port, save = sys.argv[1], int(sys.argv[2]), len(sys.argv) > 3
context = ssl.create_default_context(cafile=f"{work}/certs/ca.crt")
problems, seen = [], []
for line in open(f"{work}/mix/expect"):
    kind, answer, key = line.rstrip("\n").split(" ", 2)
    body = open(f"{work}/mix/{kind}.json", "rb").read()
    try:
        connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
        connection.request("POST", "/validate", body, {"Content-Type": "application/json"})
        reply = connection.getresponse()
        status, data = reply.status, reply.read()
        connection.close()
    except Exception as e:
        problems.append(f"{kind}: {type(e).__name__}: {e}")
        continue
    seen.append(f"{kind}={status}/{len(data)}B")
    if save:
        with open(f"{work}/mix/{kind}.answer", "wb") as out:
            out.write(data)
    if answer == "400":
        if status != 400:
            problems.append(f"{kind}: HTTP {status}, expected 400")
        elif not data.decode("utf-8", "replace").startswith(key):
            problems.append(f"{kind}: 400 for another reason: {data[:120]!r}")
        lines = data.count(b"\n")
        if len(data) > 512 or not data.endswith(b"\n") or lines != 1 or b"\r" in data:
            problems.append(f"{kind}: 400 body not one line of at most 512 bytes ({len(data)} bytes, {lines} line feeds)")
        continue
    if status != 200:
        problems.append(f"{kind}: HTTP {status}, expected 200")
        continue
    response = json.loads(data)["response"]
    if response["uid"] != key:
        problems.append(f"{kind}: uid {response['uid']}, expected {key}")
    if response["allowed"] != (answer == "allow"):
        problems.append(f"{kind}: allowed={response['allowed']}, expected {answer}")
    if answer == "deny":
        message = response.get("status", {}).get("message", "")
        size = len(message.encode("utf-8"))
        seen[-1] += f"(message {size}B)"
        if not message or size > 4096:
            problems.append(f"{kind}: deny message of {size} bytes (1-4096)")
print(("SAMPLE ok " if not problems else "SAMPLE FAIL " + "; ".join(problems) + " | ") + " ".join(seen))
sys.exit(1 if problems else 0)
EOF

echo "== answers of the guard to each kind of the mix"
taskset -c "$LOAD_CPU" python3 "$work/sample.py" "$work" "$guard_port" save | sed 's/^/   /' || { echo "   the mix is not answered as expected before the soak; stopping" >&2; exit 1; }

# wrk_run NAME SECONDS SCRIPT [LUA ARGS...] -> wrk's output in $work/wrk-NAME.log
wrk_run() {
  local name=$1 seconds=$2 script=$3
  shift 3
  timeout $(( seconds + 30 )) taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"${seconds}s" --timeout 5s --latency \
    -s "$script" "$guard_url" -- "$@" >"$work/wrk-$name.log" 2>&1 || { echo "wrk failed:"; cat "$work/wrk-$name.log"; exit 1; }
  if [ "$script" = "$work/mix.lua" ] && ! grep -q '^MIX ' "$work/wrk-$name.log"; then
    echo "wrk printed no counts of the mix:"; cat "$work/wrk-$name.log"; exit 1
  fi
}
wrk_value() { awk -v k="$2" '$1 == k { print $2; exit }' "$work/wrk-$1.log"; }
wrk_rps() { awk '/^Requests\/sec:/ { print $2 }' "$work/wrk-$1.log"; }
wrk_socket_errors() { awk '/Socket errors/ { gsub(",", ""); n = $4 + $6 + $8 + $10 } END { print n + 0 }' "$work/wrk-$1.log"; }
mix_value() { awk -v k="$2" '$1 == "MIX" { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) { print kv[2]; exit } } }' "$work/wrk-$1.log"; }

echo "== peak: ${WARMUP}s warm-up, then ${PEAK_DURATION}s saturated (wrk -t1 -c$CONNECTIONS, the allowed review only)"
wrk_run warmup "$WARMUP" "$work/saturated.lua"
wrk_run peak "$PEAK_DURATION" "$work/saturated.lua"
peak=$(wrk_rps peak)
peak_non2xx=$(awk '/Non-2xx/ { print $5 }' "$work/wrk-peak.log")
peak_errors=$(( $(wrk_socket_errors peak) + ${peak_non2xx:-0} ))
target=$(awk -v p="$peak" -v l="$LOAD_PERCENT" 'BEGIN { printf "%.0f", p * l / 100 }')
echo "   peak $peak req/s (p50 $(to_ms "$(wrk_value peak 50%)") ms, p99 $(to_ms "$(wrk_value peak 99%)") ms); target $LOAD_PERCENT %: $target req/s"
[ "$peak_errors" -eq 0 ] || echo "   WARNING: the peak run had socket errors or non-2xx answers (see $work/wrk-peak.log)"

# next_wait WAIT RATE [GAIN]: the wait (ms) that brings RATE to the target. A connection's cycle is the
# wait plus the answer's latency, so the cycle is moved by the difference between the target's and the
# rate's (by GAIN of it: the soak's minutes take half, so that one slow minute does not swing the next).
next_wait() {
  awk -v w="$1" -v r="$2" -v g="${3:-1}" -v t="$target" -v c="$CONNECTIONS" 'BEGIN {
    if (r <= 0) r = 1
    w += g * c * 1000 * (1 / t - 1 / r)
    if (w < 0) w = 0
    if (w > 1000) w = 1000
    printf "%.3f", w }'
}
wait_ms=$(awk -v t="$target" -v c="$CONNECTIONS" 'BEGIN { w = c * 1000 / t - 0.8; printf "%.3f", (w < 0 ? 0 : w) }')
echo "== calibration: the mix at $target req/s (up to $CALIBRATION_RUNS runs of 5 s; each connection waits between requests)"
for run in $(seq 1 "$CALIBRATION_RUNS"); do
  wrk_run "calibrate-$run" 5 "$work/mix.lua" "$work/mix" "$wait_ms"
  rate=$(wrk_rps "calibrate-$run")
  printf '   wait %6s ms: %8s req/s (%s %% of the target)\n' "$wait_ms" "$rate" "$(awk -v r="$rate" -v t="$target" 'BEGIN { printf "%.1f", r * 100 / t }')"
  wait_ms=$(next_wait "$wait_ms" "$rate")
  awk -v r="$rate" -v t="$target" 'BEGIN { exit !(r > t * 0.98 && r < t * 1.02) }' && break
done

# Pushes a new commit every PUSH_EVERY s (the first 15 s in, so that pushes fall between the per-minute
# samples), asks for a refresh, and waits up to 25 s for /status to show it. Log: k pushed_ms sha objects in_force_ms|-
pusher() {
  local repo=$work/repo k at now sha objects shown
  local policy=$repo/clusters/prod/team-000/svc-00001.yaml extra=$repo/clusters/prod/team-soak/soak-extra.yaml
  for k in $(seq 1 $(( DURATION / PUSH_EVERY + 1 ))); do
    at=$(( soak_started + 15000 + (k - 1) * PUSH_EVERY * 1000 ))
    [ "$at" -le $(( soak_ends - 5000 )) ] || break
    now=$(now_ms)
    [ "$at" -le "$now" ] || sleep "$(awk -v d=$(( at - now )) 'BEGIN { printf "%.3f", d / 1000 }')"
    sed -i -E "s/^    - port: (9090|2[0-9]{4})\$/    - port: $(( 20000 + k ))/" "$policy"
    if [ -e "$extra" ]; then
      rm "$extra"
      objects=$POLICIES
    else
      mkdir -p "$(dirname "$extra")"
      printf 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: soak-extra\n  namespace: team-soak\nspec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - port: %d\n' "$(( 30000 + k ))" >"$extra"
      objects=$(( POLICIES + 1 ))
    fi
    if ! { git -C "$repo" add -A && git -C "$repo" -c user.name=soak -c user.email=soak@example.invalid -c commit.gpgsign=false -c gc.auto=0 \
        commit -q -m "soak push $k: svc-00001 ingress port $(( 20000 + k ))"; } >>"$work/push-errors.log" 2>&1; then
      echo "$k $(now_ms) - - -" >>"$work/pushes"
      continue
    fi
    sha=$(git -C "$repo" rev-parse HEAD)
    at=$(now_ms)
    curl -s -o /dev/null --max-time 5 -X POST "$ops/refresh" || true
    shown=-
    for _ in $(seq 1 100); do
      if grep -q "\"commit\": *\"$sha\"" <<<"$(curl -s --max-time 2 "$ops/status" || true)"; then shown=$(( $(now_ms) - at )); break; fi
      sleep 0.25
    done
    echo "$k $at $sha $objects $shown" >>"$work/pushes"
  done
}

# Resident memory every second: ms rss_kb
rss_sampler() {
  local key value unit
  for _ in $(seq 1 $(( DURATION + 120 ))); do
    [ "$(now_ms)" -lt $(( soak_ends + 60000 )) ] || break
    while read -r key value unit; do
      if [ "$key" = VmRSS: ]; then echo "$(now_ms) $value" >>"$work/rss"; break; fi
    done <"/proc/$guard_pid/status" || break
    sleep 1
  done
}

# metrics FILE: the guard's /metrics into FILE; gen2 FILE: its count of gen2 collections.
metrics() { curl -s --max-time 5 -o "$1" "$ops/metrics" || : >"$1"; }
gen2() { awk '/^dotnet_collection_count_total\{generation="2"\}/ { print $2 }' "$1"; }
# guard_p99 BEFORE AFTER: the guard's own p99 of POST /validate between two /metrics (the upper bound of the
# admissionguard_validate_duration_seconds bucket that holds it, in ms; decisions only, not the 400s).
guard_p99() {
  awk '/^admissionguard_validate_duration_seconds_bucket/ {
      match($0, /le="[^"]*"/); le = substr($0, RSTART + 4, RLENGTH - 5)
      if (FILENAME == ARGV[1]) before[le] = $2; else { after[le] = $2; order[++n] = le }
    }
    END {
      total = after["+Inf"] - before["+Inf"]
      if (total <= 0) { print "-"; exit }
      for (i = 1; i <= n; i++) if (after[order[i]] - before[order[i]] >= 0.99 * total) { le = order[i]; break }
      if (le == "+Inf") print ">1638"; else printf "%g\n", le * 1000
    }' "$1" "$2"
}
status_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$guard_pid/status"; }

minutes=$(( (DURATION + 59) / 60 ))
metrics "$work/metrics-0"
echo "== soak: ${DURATION}s ($minutes minute(s)) of the mix at $target req/s, wrk -t1 -c$CONNECTIONS, a commit pushed every ${PUSH_EVERY}s"
echo "   mix (requests per $(printf '%s\n' $MIX | awk -F= '{ n += $2 } END { print n }') in a fixed shuffled order): $MIX"
: >"$work/pushes"; : >"$work/rss"; : >"$work/minutes"
sample_failures=0
soak_started=$(now_ms)
soak_ends=$(( soak_started + DURATION * 1000 ))
pusher &
pusher_pid=$!
pids+=("$pusher_pid")
rss_sampler &
pids+=($!)
echo "   (latencies as wrk saw them; guard_p99: the guard's own, from its histogram, at most this many ms; cpu%: the"
echo "   guard's CPU time in % of one core; wrk%: how busy wrk's core was; rss_MB at the minute's end, max_MB the"
echo "   highest of its 1 s samples; gen2: collections since start; samples: the Python check of every kind)"
printf '   %6s %9s %7s %7s %8s %8s %9s %6s %6s %4s %6s %5s %5s %7s %7s %5s %7s\n' \
  minute requests req/s p50_ms p99_ms max_ms guard_p99 400s denies 5xx errors cpu% wrk% rss_MB max_MB gen2 samples
for minute in $(seq 1 "$minutes"); do
  seconds=$(( DURATION - (minute - 1) * 60 ))
  [ "$seconds" -le 60 ] || seconds=60
  ticks0=$(proc_ticks "$guard_pid"); lb0=$(core_busy "$LOAD_CPU"); lt0=$(core_total "$LOAD_CPU"); minute_started=$(now_ms)
  ( sleep $(( seconds / 2 )); taskset -c "$LOAD_CPU" python3 "$work/sample.py" "$work" "$guard_port" >"$work/sample-$minute.log" 2>&1 ) &
  sampler_pid=$!
  pids+=("$sampler_pid")
  wrk_run "minute-$minute" "$seconds" "$work/mix.lua" "$work/mix" "$wait_ms"
  if ! kill -0 "$guard_pid" 2>/dev/null; then
    echo "== FAILED: the guard exited during minute $minute; the end of its log:"
    [ "$guard_log" = /dev/null ] || tail -n 20 "$guard_log" | cut -c1-400
    exit 1
  fi
  cpu=$(awk -v t=$(( $(proc_ticks "$guard_pid") - ticks0 )) -v hz="$(getconf CLK_TCK)" -v ms=$(( $(now_ms) - minute_started )) 'BEGIN { printf "%.0f", t / hz * 100000 / ms }')
  wrk_busy=$(( ($(core_busy "$LOAD_CPU") - lb0) * 100 / ($(core_total "$LOAD_CPU") - lt0 + 1) ))
  rss_kb=$(status_kb VmRSS)
  max_kb=$(awk -v from="$minute_started" -v now="$(now_ms)" '$1 >= from && $1 <= now && $2 > m { m = $2 } END { print m + 0 }' "$work/rss")
  [ "$max_kb" -ge "$rss_kb" ] || max_kb=$rss_kb
  metrics "$work/metrics-$minute"
  collections=$(gen2 "$work/metrics-$minute")
  wait "$sampler_pid" && sample=ok || { sample=FAIL; sample_failures=$(( sample_failures + 1 )); }
  name="minute-$minute"
  requests=$(awk '/requests in/ { print $1 }' "$work/wrk-$name.log")
  rate=$(wrk_rps "$name")
  socket=$(wrk_socket_errors "$name")
  errors=$(( socket + $(mix_value "$name" s5xx) + $(mix_value "$name" other) + $(mix_value "$name" wrong) + $(mix_value "$name" unknown) + $(mix_value "$name" oversized) ))
  printf '   %6s %9s %7.0f %7s %8s %8s %9s %6s %6s %4s %6s %5s %5s %7.1f %7.1f %5s %7s\n' \
    "$minute" "$requests" "$rate" "$(to_ms "$(wrk_value "$name" 50%)")" "$(to_ms "$(wrk_value "$name" 99%)")" \
    "$(to_ms "$(awk '/^    Latency/ { print $4 }' "$work/wrk-$name.log")")" "$(guard_p99 "$work/metrics-$(( minute - 1 ))" "$work/metrics-$minute")" "$(mix_value "$name" s400)" "$(mix_value "$name" denies)" \
    "$(mix_value "$name" s5xx)" "$errors" "$cpu" "$wrk_busy" "$(awk -v k="$rss_kb" 'BEGIN { print k / 1024 }')" "$(awk -v k="$max_kb" 'BEGIN { print k / 1024 }')" \
    "$collections" "$sample"
  echo "$minute $seconds $requests $rate $(to_ms "$(wrk_value "$name" 99%)") $rss_kb $max_kb $collections $errors $(mix_value "$name" s5xx) $socket" >>"$work/minutes"
  [ "$minute" -eq "$minutes" ] || wait_ms=$(next_wait "$wait_ms" "$rate" 0.5)
done
soak_ended=$(now_ms)

# The last push may still be waiting for its refresh: the pusher stops by itself within 25 s of it.
for _ in $(seq 1 60); do kill -0 "$pusher_pid" 2>/dev/null || break; sleep 0.5; done
hwm_kb=$(status_kb VmHWM)
final_rss_kb=$(status_kb VmRSS)
metrics "$work/metrics-end"
final_gen2=$(gen2 "$work/metrics-end")
last_sha=$(git -C "$work/repo" rev-parse HEAD)
status_json=$(curl -s --max-time 5 "$ops/status")
final_commit=$(grep -o '"commit": *"[0-9a-f]*"' <<<"$status_json" | grep -o '[0-9a-f]\{40\}' || true)
final_objects=$(grep -o '"objectCount": *[0-9]*' <<<"$status_json" | grep -o '[0-9]*$' || true)
expected_objects=$(awk 'END { print $4 }' "$work/pushes")

echo
echo "== pushes (a commit every ${PUSH_EVERY}s, then POST /refresh; seconds until /status showed it)"
awk '{ printf "   push %2d  %s  %s policies  %s\n", $1, substr($3, 1, 12), $4, ($5 == "-" ? "NOT SHOWN within 25 s" : sprintf("in force after %.2f s", $5 / 1000)) }' "$work/pushes"
[ -s "$work/push-errors.log" ] && { echo "   push errors:"; sed 's/^/   /' "$work/push-errors.log"; }
for minute in $(seq 1 "$minutes"); do
  grep -q '^SAMPLE ok' "$work/sample-$minute.log" || { echo "   minute $minute sample:"; sed 's/^/     /' "$work/sample-$minute.log"; }
done

echo
echo "== per kind (answers counted as they arrived; 'sent' includes up to $CONNECTIONS requests in flight when each minute's run stopped)"
python3 - "$work" "$minutes" <<'EOF'
import sys
work, minutes = sys.argv[1], int(sys.argv[2])
totals = {}
for m in range(1, minutes + 1):
    for line in open(f"{work}/wrk-minute-{m}.log"):
        if line.startswith("MIX "):
            for pair in line.split()[1:]:
                key, value = pair.split("=")
                value = float(value)
                totals[key] = max(totals.get(key, 0), value) if key.startswith("max") else totals.get(key, 0) + value
expect = {}
for line in open(f"{work}/mix/expect"):
    kind, answer, _ = line.rstrip("\n").split(" ", 2)
    expect[kind] = answer
print(f"   {'kind':10} {'expected':8} {'sent':>10} {'answered':>10}")
for kind, answer in expect.items():
    print(f"   {kind:10} {answer:8} {totals[f'sent_{kind}']:10.0f} {totals[f'got_{kind}']:10.0f}")
print(f"   largest answers: allowed {totals['maxallow']:.0f} B, deny message {totals['maxdeny']:.0f} B (bound 4096), 400 body {totals['max400']:.0f} B (bound 512)")
with open(f"{work}/kinds", "w") as out:
    for kind in expect:
        out.write(f"{kind} {totals[f'sent_{kind}']:.0f} {totals[f'got_{kind}']:.0f}\n")
    out.write(f"wrong {totals['wrong'] + totals['unknown']:.0f}\noversized {totals['oversized']:.0f}\n")
EOF
first_wrong=$(grep -h '^FIRST_WRONG .' "$work"/wrk-minute-*.log | head -1 | cut -d' ' -f2- || true)
[ -z "$first_wrong" ] || echo "   first wrong answer: $first_wrong"

echo
echo "== totals"
python3 - "$work/minutes" "$target" "$peak" "$LOAD_PERCENT" "$hwm_kb" "$final_rss_kb" "$final_gen2" <<'EOF' | tee "$work/totals"
import sys
rows = [line.split() for line in open(sys.argv[1])]
target, peak, percent = float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
hwm, rss, gen2 = int(sys.argv[5]) / 1024, int(sys.argv[6]) / 1024, sys.argv[7]
seconds = sum(int(r[1]) for r in rows)
requests = sum(int(r[2]) for r in rows)
errors = sum(int(r[8]) for r in rows)
s5xx = sum(int(r[9]) for r in rows)
rate = requests / seconds
print(f"   requests {requests} in {seconds} s: {rate:.0f} req/s ({rate * 100 / peak:.1f} % of the {peak:.0f} req/s peak; target {percent} %: {target:.0f})")
if rate < target * 0.95:
    print(f"   NOTE: the rate stayed under the target: the guard or wrk ran out of CPU (see the cpu% and wrk% columns)")
print(f"   errors {errors} (0 required), 5xx {s5xx} (0 required)")
print(f"   p99 per minute: {min(float(r[4]) for r in rows):.2f}-{max(float(r[4]) for r in rows):.2f} ms")
later = [(int(r[0]), int(r[5]) / 1024) for r in rows[1:] if int(r[1]) >= 30]
if len(later) >= 2:
    n = len(later)
    mx = sum(m for m, _ in later) / n
    my = sum(v for _, v in later) / n
    slope = sum((m - mx) * (v - my) for m, v in later) / sum((m - mx) ** 2 for m, _ in later)
    print(f"   RSS slope {slope:+.2f} MB/min (least squares over minutes {later[0][0]}-{later[-1][0]}: {min(v for _, v in later):.1f}-{max(v for _, v in later):.1f} MB)")
else:
    print("   RSS slope n/a (needs two minutes after the first: DURATION >= 180)")
print(f"   RSS at the end {rss:.1f} MB, peak (VmHWM) {hwm:.1f} MB; highest 1 s sample {max(int(r[6]) for r in rows) / 1024:.1f} MB; gen2 collections {gen2}")
EOF
audit=n/a
if [ "$AUDIT_LOG" != null ]; then audit="$(wc -l <"$guard_log") lines, $(( $(stat -c %s "$guard_log") / 1024 / 1024 )) MB"; fi
echo "   audit log: $audit"
echo "   final commit: ${final_commit:-none} (${final_objects:-?} policies); last pushed: $last_sha ($expected_objects policies); $(( $(wc -l <"$work/pushes") )) pushes"

failures=()
total_errors=$(awk '{ n += $9 } END { print n + 0 }' "$work/minutes")
total_5xx=$(awk '{ n += $10 } END { print n + 0 }' "$work/minutes")
[ "$total_errors" -eq 0 ] || failures+=("$total_errors errors")
[ "$total_5xx" -eq 0 ] || failures+=("$total_5xx answers 5xx")
while read -r kind sent got; do
  case $kind in
    wrong) [ "$sent" -eq 0 ] || failures+=("$sent wrong answers") ;;
    oversized) [ "$sent" -eq 0 ] || failures+=("$sent answers over their bound") ;;
    *)
      [ "$got" -gt 0 ] || [ "$sent" -eq 0 ] || failures+=("no answer for $kind")
      [ "$got" -le "$sent" ] && [ $(( sent - got )) -le $(( CONNECTIONS * minutes )) ] || failures+=("$kind: $sent sent, $got answered as expected") ;;
  esac
done <"$work/kinds"
[ "$sample_failures" -eq 0 ] || failures+=("$sample_failures minute(s) with a failed sample")
[ "$final_commit" = "$last_sha" ] || failures+=("the guard's commit ${final_commit:-none} is not the last pushed $last_sha")
[ "${final_objects:-}" = "$expected_objects" ] || failures+=("the guard has ${final_objects:-?} policies, the last push $expected_objects")
grep -q ' -$' "$work/pushes" && failures+=("$(grep -c ' -$' "$work/pushes") push(es) not in force within 25 s")
[ "$(wc -l <"$work/pushes")" -gt 0 ] || failures+=("no push")
if [ ${#failures[@]} -gt 0 ]; then
  echo "== FAILED: $(IFS=';'; echo "${failures[*]}" | sed 's/;/; /g')"
  exit 1
fi
echo "== passed: no errors, no 5xx, every bad request answered 400 or deny within its bound, the last push in force"
