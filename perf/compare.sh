#!/usr/bin/env bash
# Side by side: the same `mqttcore bench` scenarios against our broker, Mosquitto and the MQTTnet 5.2 server
# (perf/Mqtt.MqttnetServer), each on its own loopback port, run in alternation; one table of medians with ratios.
# What it runs, how long it takes and what it needs: perf/README.md.
set -uo pipefail

usage() {
  cat <<'EOF'
usage: perf/compare.sh [--quick] [--repeat R] [--duration S] [--only LIST] [--brokers LIST] [--out FILE] [--no-build] [--list]
  --quick         short runs: 3 s measured (1 s warmup), 1 repeat, 2,000 idle connections, 500 logins
  --repeat R      runs of each scenario on each broker; the table shows medians (default 3, quick 1)
  --duration S    measured seconds of each message scenario (default 10, quick 3)
  --only LIST     comma-separated scenario names, groups (load, max, latency, curve, idle, logins, ws) or globs ('max-*')
  --brokers LIST  subset of ours,mosquitto,mqttnet (default all three)
  --out FILE      raw JSON lines (default perf/results/compare-DATE.jsonl; the table goes next to it, .txt)
  --no-build      use the existing Release builds
  --list          print the scenarios and exit
env: MQTTCORE_DLL (our broker and, unless BENCH_DLL is set, the generator), BENCH_DLL, MQTTNET_DLL
EOF
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEFAULT_MQTTCORE_DLL=$ROOT/src/Mqtt.Cli/bin/Release/net10.0/mqttcore.dll
DEFAULT_MQTTNET_DLL=$ROOT/perf/Mqtt.MqttnetServer/bin/Release/net10.0/Mqtt.MqttnetServer.dll
MQTTCORE_DLL=${MQTTCORE_DLL:-$DEFAULT_MQTTCORE_DLL}
BENCH_DLL=${BENCH_DLL:-$MQTTCORE_DLL}
MQTTNET_DLL=${MQTTNET_DLL:-$DEFAULT_MQTTNET_DLL}

# Fixed offered load, per publisher (4 publishers, 64 B): low enough that no broker saturates on 2 cores;
# the notes under the table say when one did not keep up.
FANOUT_RATE=1000   # x 4 publishers x 4 subscribers = 16,000 deliveries/s
PAIRS_RATE=3000    # x 4 publishers = 12,000 deliveries/s
# Fan-out curves, 1 publisher: the same 10,000 deliveries/s whatever the number of subscribers (curve-fanout-S), and
# the same rate per subscriber, 50 messages/s, so 500 to 50,000 deliveries/s (curve-rate-S): the second keeps what
# each subscriber's connection sees (how many deliveries share a send) the same at every S.
CURVE_DELIVERIES=10000
CURVE_RATE=50
SCRAM_USER=bench
SCRAM_PASSWORD=bench-password-$RANDOM$RANDOM

QUICK=0
REPEAT=
DURATION=
ONLY=
BROKERS=ours,mosquitto,mqttnet
OUT=
BUILD=1
LIST=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) QUICK=1 ;;
    --repeat) REPEAT=${2:?}; shift ;;
    --duration) DURATION=${2:?}; shift ;;
    --only) ONLY=${2:?}; shift ;;
    --brokers) BROKERS=${2:?}; shift ;;
    --out) OUT=${2:?}; shift ;;
    --no-build) BUILD=0 ;;
    --list) LIST=1 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 1 ;;
  esac
  shift
done

if [[ $QUICK == 1 ]]; then
  REPEAT=${REPEAT:-1} DURATION=${DURATION:-3} WARMUP=1 IDLE_CONNECTIONS=2000 IDLE_HOLD=3 LOGINS=500
else
  REPEAT=${REPEAT:-3} DURATION=${DURATION:-10} WARMUP=2 IDLE_CONNECTIONS=10000 IDLE_HOLD=10 LOGINS=10000
fi
[[ $REPEAT =~ ^[1-9][0-9]*$ && $DURATION =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: --repeat and --duration take positive integers" >&2; exit 1; }

# name|group|brokers|bench arguments. Order matters: latency needs max-pairs-q1's Mosquitto rate first.
# MQTTnet 5.2 refuses shared subscriptions (SUBACK 0x9E), hence no max-shared-* on it.
SCENARIOS=(
  "load-fanout-q0|load|all|fanout --publishers 4 --subscribers 4 --qos 0 --rate $FANOUT_RATE"
  "load-pairs-q0|load|all|pairs --publishers 4 --qos 0 --rate $PAIRS_RATE"
  "load-fanout-q1|load|all|fanout --publishers 4 --subscribers 4 --qos 1 --rate $FANOUT_RATE"
  "load-pairs-q1|load|all|pairs --publishers 4 --qos 1 --rate $PAIRS_RATE"
  "max-fanout-q0|max|all|fanout --publishers 4 --subscribers 4 --qos 0"
  "max-fanout-q1|max|all|fanout --publishers 4 --subscribers 4 --qos 1"
  "max-pairs-q0|max|all|pairs --publishers 4 --qos 0"
  "max-pairs-q1|max|all|pairs --publishers 4 --qos 1"
  "max-pairs-q2|max|all|pairs --publishers 4 --qos 2"
  "max-fanin-q0|max|all|fanin --publishers 4 --qos 0"
  "max-fanin-q1|max|all|fanin --publishers 4 --qos 1"
  "max-shared-q0|max|ours,mosquitto|shared --publishers 4 --subscribers 4 --qos 0"
  "max-shared-q1|max|ours,mosquitto|shared --publishers 4 --subscribers 4 --qos 1"
  "latency-pairs-q1|latency|all|pairs --publishers 4 --qos 1 --rate LATENCY_RATE"
  "curve-fanout-10|curve|all|fanout --publishers 1 --subscribers 10 --qos 0 --rate $((CURVE_DELIVERIES / 10))"
  "curve-fanout-100|curve|all|fanout --publishers 1 --subscribers 100 --qos 0 --rate $((CURVE_DELIVERIES / 100))"
  "curve-fanout-1000|curve|all|fanout --publishers 1 --subscribers 1000 --qos 0 --rate $((CURVE_DELIVERIES / 1000))"
  "curve-rate-10|curve|all|fanout --publishers 1 --subscribers 10 --qos 0 --rate $CURVE_RATE"
  "curve-rate-100|curve|all|fanout --publishers 1 --subscribers 100 --qos 0 --rate $CURVE_RATE"
  "curve-rate-1000|curve|all|fanout --publishers 1 --subscribers 1000 --qos 0 --rate $CURVE_RATE"
  "idle|idle|all|idle --connections $IDLE_CONNECTIONS --concurrency 32 --hold-seconds $IDLE_HOLD"
  "ws-pairs-q0|ws|ours,mosquitto|pairs --publishers 4 --qos 0 --rate $PAIRS_RATE --ws"
  "ws-pairs-q1|ws|ours,mosquitto|pairs --publishers 4 --qos 1 --rate $PAIRS_RATE --ws"
  "ws-max-pairs-q1|ws|ours,mosquitto|pairs --publishers 4 --qos 1 --ws"
  "connect-anonymous|logins|all|connect --connections $LOGINS --concurrency 16 --auth none"
  "login-plain|logins|ours|connect --connections $LOGINS --concurrency 16 --auth plain -u $SCRAM_USER -P $SCRAM_PASSWORD"
  "login-scram|logins|ours,mqttnet|connect --connections $LOGINS --concurrency 16 --auth scram-sha-256 -u $SCRAM_USER -P $SCRAM_PASSWORD"
)

if [[ $LIST == 1 ]]; then
  for s in "${SCENARIOS[@]}"; do
    IFS='|' read -r name group targets args <<<"$s"
    printf '%-18s %-8s %-15s mqttcore bench %s\n' "$name" "$group" "$targets" "${args//$SCRAM_PASSWORD/PW}"
  done
  exit 0
fi

selected() { # name group: is the scenario in --only (all when --only is not given)?
  [[ -z $ONLY ]] && return 0
  local pattern
  IFS=',' read -ra patterns <<<"$ONLY"
  for pattern in "${patterns[@]}"; do
    # shellcheck disable=SC2053 # globs are intended
    [[ $1 == $pattern || $2 == "$pattern" ]] && return 0
  done
  return 1
}

CASES=()
for s in "${SCENARIOS[@]}"; do
  IFS='|' read -r name group _ _ <<<"$s"
  if selected "$name" "$group"; then CASES+=("$s"); fi
done
[[ ${#CASES[@]} -gt 0 ]] || { echo "compare.sh: --only '$ONLY' selects no scenario (see --list)" >&2; exit 1; }
# The latency rate is half of Mosquitto's closed-loop pairs QoS 1 rate in this run: measure that first.
if [[ " ${CASES[*]} " == *"latency-pairs-q1|"* && " ${CASES[*]} " != *"max-pairs-q1|"* ]]; then
  for s in "${SCENARIOS[@]}"; do [[ $s == max-pairs-q1\|* ]] && CASES=("$s" "${CASES[@]}"); done
fi

IFS=',' read -ra TARGETS <<<"$BROKERS"
for t in "${TARGETS[@]}"; do
  [[ $t == ours || $t == mosquitto || $t == mqttnet ]] || { echo "compare.sh: unknown broker '$t' (ours, mosquitto, mqttnet)" >&2; exit 1; }
done
has_target() { [[ ",$BROKERS," == *",$1,"* ]]; }

# --- what this machine needs -------------------------------------------------------------------------------------
command -v jq >/dev/null || { echo "compare.sh: needs jq: apt-get install jq" >&2; exit 1; }
command -v dotnet >/dev/null || { echo "compare.sh: needs the .NET 10 SDK (dotnet)" >&2; exit 1; }
if has_target mosquitto && ! command -v mosquitto >/dev/null; then
  echo "compare.sh: needs mosquitto: apt-get install mosquitto (or --brokers ours,mqttnet)" >&2; exit 1
fi
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if (( $(ulimit -n) < IDLE_CONNECTIONS + 300 )); then
  echo "compare.sh: ulimit -n is $(ulimit -n): the idle scenario needs $((IDLE_CONNECTIONS + 300)); skipping it" >&2
  NO_IDLE=1
else
  NO_IDLE=0
fi

if [[ $BUILD == 1 ]]; then
  if [[ $MQTTCORE_DLL == "$DEFAULT_MQTTCORE_DLL" || $BENCH_DLL == "$DEFAULT_MQTTCORE_DLL" ]]; then
    echo "building src/Mqtt.Cli (Release)..." >&2
    dotnet build "$ROOT/src/Mqtt.Cli" -c Release -v q -nologo >&2 || { echo "compare.sh: build of src/Mqtt.Cli failed" >&2; exit 1; }
  fi
  if has_target mqttnet && [[ $MQTTNET_DLL == "$DEFAULT_MQTTNET_DLL" ]]; then
    echo "building perf/Mqtt.MqttnetServer (Release)..." >&2
    dotnet build "$ROOT/perf/Mqtt.MqttnetServer" -c Release -v q -nologo >&2 || { echo "compare.sh: build of perf/Mqtt.MqttnetServer failed" >&2; exit 1; }
  fi
fi
for dll in "$MQTTCORE_DLL" "$BENCH_DLL" $(has_target mqttnet && echo "$MQTTNET_DLL"); do
  [[ -f $dll ]] || { echo "compare.sh: $dll not found (build it, or drop --no-build)" >&2; exit 1; }
done
dotnet "$BENCH_DLL" bench --help >/dev/null 2>&1 || {
  echo "compare.sh: $BENCH_DLL has no 'bench' command yet; point BENCH_DLL at a build that has it" >&2; exit 1; }

STAMP=$(date +%Y%m%d-%H%M%S)
OUT=${OUT:-$ROOT/perf/results/compare-$STAMP.jsonl}
mkdir -p "$(dirname "$OUT")"
: >"$OUT"
TABLE=${OUT%.jsonl}.txt
WORK=$(mktemp -d /tmp/mqtt-compare.XXXXXX)

# --- brokers ---------------------------------------------------------------------------------------------------
declare -A PID PORT WS_PORT # WS_PORT: MQTT over WebSocket (ours and Mosquitto; the MQTTnet host has none)
CHILD=
cleanup() {
  local p
  [[ -n $CHILD ]] && kill -TERM "$CHILD" 2>/dev/null
  for p in "${PID[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PID[@]}" $CHILD; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo "compare.sh: interrupted" >&2; exit 130' INT TERM

used_ports=" "
free_port() { # below the ephemeral range, so the generator's own 10,000 connections never take it
  local p
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 12000))
    [[ $used_ports == *" $p "* ]] && continue
    ss -Htan "sport = :$p" 2>/dev/null | grep -q . && continue
    used_ports+="$p "
    echo "$p"; return 0
  done
  return 1
}

wait_listening() { # target: until the port accepts connections, or the broker dies, 30 s at most
  local t=$1
  for _ in $(seq 300); do
    kill -0 "${PID[$t]}" 2>/dev/null || { echo "compare.sh: $t exited:" >&2; tail -20 "$WORK/$t.log" >&2; exit 1; }
    if (exec 3<>"/dev/tcp/127.0.0.1/${PORT[$t]}") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "compare.sh: $t does not listen on 127.0.0.1:${PORT[$t]} after 30 s" >&2; tail -20 "$WORK/$t.log" >&2; exit 1
}

start_ours() {
  PORT[ours]=$(free_port) || exit 1
  rm -rf "$WORK/ours-data"
  mkdir -p "$WORK/ours-data"
  printf '%s\n' "$SCRAM_PASSWORD" | dotnet "$MQTTCORE_DLL" user add "$SCRAM_USER" --data "$WORK/ours-data" --password-stdin >/dev/null ||
    { echo "compare.sh: mqttcore user add failed" >&2; exit 1; }
  WS_PORT[ours]=$(free_port) || exit 1
  dotnet "$MQTTCORE_DLL" broker --listen "127.0.0.1:${PORT[ours]}" --ws-listen "127.0.0.1:${WS_PORT[ours]}" --allow-anonymous --sys-interval 0 --log-level warning \
    --data "$WORK/ours-data" --plain-passwords always >"$WORK/ours.log" 2>&1 &
  PID[ours]=$!
}

start_mosquitto() {
  PORT[mosquitto]=$(free_port) || exit 1
  WS_PORT[mosquitto]=$(free_port) || exit 1
  # Limits as our broker's defaults (src/Mqtt.Broker/BrokerOptions.cs): 1,000 QoS 1/2 messages queued per client,
  # Receive Maximum 100, 1 MiB packets, 100,000 connections, Nagle off, no $SYS, no persistence, quiet log.
  cat >"$WORK/mosquitto.conf" <<EOF
listener ${PORT[mosquitto]} 127.0.0.1
allow_anonymous true
user root
persistence false
sys_interval 0
max_queued_messages 1000
max_inflight_messages 100
max_packet_size 1048576
max_connections 100000
set_tcp_nodelay true
log_dest stderr
log_type error
log_type warning
listener ${WS_PORT[mosquitto]} 127.0.0.1
protocol websockets
EOF
  mosquitto -c "$WORK/mosquitto.conf" >"$WORK/mosquitto.log" 2>&1 &
  PID[mosquitto]=$!
}

start_mqttnet() {
  PORT[mqttnet]=$(free_port) || exit 1
  dotnet "$MQTTNET_DLL" --port "${PORT[mqttnet]}" --scram-user "$SCRAM_USER" --scram-password "$SCRAM_PASSWORD" >"$WORK/mqttnet.log" 2>&1 &
  PID[mqttnet]=$!
}

start_brokers() {
  local t
  for t in "${TARGETS[@]}"; do "start_$t"; done
  for t in "${TARGETS[@]}"; do wait_listening "$t"; echo "$t: pid ${PID[$t]}, 127.0.0.1:${PORT[$t]}" >&2; done
}

stop_brokers() { # SIGTERM, then SIGKILL after 5 s
  local t
  for t in "${!PID[@]}"; do kill -TERM "${PID[$t]}" 2>/dev/null; done
  for t in "${!PID[@]}"; do
    for _ in $(seq 50); do kill -0 "${PID[$t]}" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "${PID[$t]}" 2>/dev/null
    wait "${PID[$t]}" 2>/dev/null
    unset "PID[$t]"
  done
}

start_brokers

# --- runs ------------------------------------------------------------------------------------------------------
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
LATENCY_RATE=

# The per-publisher rate for latency-pairs-q1: half of Mosquitto's median closed-loop pairs QoS 1 rate, 4 publishers.
latency_rate() {
  jq -s '[.[] | select(.case == "max-pairs-q1" and .target == "mosquitto" and .delivered_per_s != null) | .delivered_per_s]
         | sort | if length == 0 then empty else .[(length - 1) / 2 | floor] / 2 / 4 | floor end' "$OUT"
}

run_one() { # case group target repeat args...
  local name=$1 group=$2 target=$3 repeat=$4; shift 4
  local port=${PORT[$target]}
  [[ " $* " == *" --ws "* ]] && port=${WS_PORT[$target]}
  local common=(--host 127.0.0.1 --port "$port" --broker-pid "${PID[$target]}" --json --quiet)
  local limit=$((WARMUP + DURATION + 60))
  case $group in
    idle) limit=$((IDLE_HOLD + 180)) ;;
    logins) limit=300; common+=(--warmup "$WARMUP") ;;
    *) common+=(--size 64 --duration "$DURATION" --warmup "$WARMUP") ;;
  esac
  if ! kill -0 "${PID[$target]}" 2>/dev/null; then
    jq -nc --arg c "$name" --arg g "$group" --arg t "$target" --argjson r "$repeat" \
      '{case: $c, group: $g, target: $t, repeat: $r, error: "broker not running"}' >>"$OUT"
    return
  fi
  timeout -k 10 "$limit" dotnet "$BENCH_DLL" bench "$@" "${common[@]}" >"$WORK/run.json" 2>"$WORK/run.err" &
  CHILD=$!
  wait "$CHILD"
  local rc=$?
  CHILD=
  if [[ $rc == 0 ]] && jq -e 'type == "object"' "$WORK/run.json" >/dev/null 2>&1; then
    jq -c --arg c "$name" --arg g "$group" --arg t "$target" --argjson r "$repeat" \
      '{case: $c, group: $g, target: $t, repeat: $r} + .' "$WORK/run.json" >>"$OUT"
    jq -r --arg c "$name" --arg t "$target" \
      '"  \($c) \($t): " + (if .broker.rss_kib_per_connection != null then "\(.broker.rss_kib_per_connection) KiB/connection"
        elif .connects_per_s != null then "\(.connects_per_s | floor) connects/s"
        else "\(.delivered_per_s | floor) msg/s, broker \(.broker.cpu_us_per_msg) us/msg, lost \(.lost)" end)' "$WORK/run.json" >&2
  else
    local why
    why="exit $rc: $(tail -3 "$WORK/run.err" | tr '\n' ' ')"
    jq -nc --arg c "$name" --arg g "$group" --arg t "$target" --argjson r "$repeat" --arg e "$why" \
      '{case: $c, group: $g, target: $t, repeat: $r, error: $e}' >>"$OUT"
    echo "  $name $target: FAILED ($why)" >&2
  fi
}

for s in "${CASES[@]}"; do
  IFS='|' read -r name group targets args <<<"$s"
  if [[ $group == idle ]]; then
    [[ $NO_IDLE == 1 ]] && continue
    # Fresh brokers: heap grown by the earlier scenarios would absorb the new connections and hide their cost.
    # Then 500 connects, not counted, so that JIT-compiled code and primed pools are not charged to them either.
    echo "restarting the brokers for $name, then 500 connects each to warm them up" >&2
    stop_brokers
    start_brokers
    for t in "${TARGETS[@]}"; do
      timeout -k 10 120 dotnet "$BENCH_DLL" bench connect --connections 500 --concurrency 16 --auth none \
        --host 127.0.0.1 --port "${PORT[$t]}" --json --quiet >/dev/null 2>&1 || echo "  warm-up of $t failed" >&2
    done
  fi
  if [[ $group == latency ]]; then
    LATENCY_RATE=$(latency_rate)
    if [[ -z $LATENCY_RATE || $LATENCY_RATE == 0 ]]; then
      echo "compare.sh: no Mosquitto closed-loop pairs QoS 1 rate measured; skipping $name" >&2; continue
    fi
    args=${args/LATENCY_RATE/$LATENCY_RATE}
  fi
  echo "$name (${args//$SCRAM_PASSWORD/PW})" >&2
  read -ra argv <<<"$args"
  if [[ $group == logins ]]; then
    # The same storm once, not counted: tiered JIT keeps recompiling the login path for the first few thousand
    # connects, which would otherwise be charged to whichever broker or method comes first.
    for t in "${TARGETS[@]}"; do
      [[ $targets == all || ",$targets," == *",$t,"* ]] || continue
      timeout -k 10 300 dotnet "$BENCH_DLL" bench "${argv[@]}" --host 127.0.0.1 --port "${PORT[$t]}" --json --quiet \
        >/dev/null 2>&1 || echo "  warm-up of $t failed" >&2
    done
  fi
  for ((r = 1; r <= REPEAT; r++)); do
    for t in "${TARGETS[@]}"; do
      [[ $targets == all || ",$targets," == *",$t,"* ]] && run_one "$name" "$group" "$t" "$r" "${argv[@]}"
    done
  done
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# --- the table -------------------------------------------------------------------------------------------------
# One row per scenario and metric: the median of each broker's runs, then the two ratios (jq picks, awk lays out).
read -r -d '' TABLE_JQ <<'JQ'
def median: map(select(. != null)) | sort | if length == 0 then null
  elif length % 2 == 1 then .[(length - 1) / 2] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
def largest: map(select(. != null)) | if length == 0 then null else max end;
def metrics($group):
  if $group == "idle" then
    [["RSS KiB per connection", ["broker", "rss_kib_per_connection"], "median"],
     ["connect failures", ["connect_failures"], "max"]]
  elif $group == "logins" then
    [["connects/s", ["connects_per_s"], "median"],
     ["broker CPU us per connect", ["broker", "cpu_us_per_connect"], "median"],
     ["connect failures", ["connect_failures"], "max"]]
  elif $group == "curve" then
    [["broker CPU us per msg", ["broker", "cpu_us_per_msg"], "median"],
     ["delivered/s", ["delivered_per_s"], "median"],
     ["lost", ["lost"], "max"]]
  else
    [["broker CPU us per msg", ["broker", "cpu_us_per_msg"], "median"],
     ["delivered/s", ["delivered_per_s"], "median"],
     ["lost", ["lost"], "max"],
     ["latency p50 us", ["latency_us", "p50"], "median"],
     ["latency p99 us", ["latency_us", "p99"], "median"],
     ["generator CPU us per msg", ["generator", "cpu_us_per_msg"], "median"]]
  end;
. as $runs
| ($order[] as $case
   | ($runs | map(select(.case == $case))) as $rows
   | select($rows | length > 0)
   | metrics($rows[0].group)[] as [$title, $path, $how]
   | [$case, $title]
     + (["ours", "mosquitto", "mqttnet"] | map(. as $t
         | ($rows | map(select(.target == $t))) as $mine
         | if ($mine | length) == 0 then ""
           elif ($mine | map(select(.error == null)) | length) == 0 then "err"
           else ($mine | map(select(.error == null) | getpath($path))
                 | if $how == "max" then largest else median end) // "" end))
   | @tsv),
  # Open-loop runs that did not sustain their offered rate, or lost messages: their CPU per message is not comparable.
  ($runs | map(select(.error == null and .mode == "open"
      and (.lost > 0 or .sent < 0.97 * .offered_rate * .publishers * .duration_s)))
   | if length > 0 then ["note", "did not sustain the offered rate or lost messages: "
       + (map("\(.case) \(.target) #\(.repeat) (sent \(.sent), lost \(.lost))") | join(", "))] | @tsv else empty end),
  ($runs | map(select(.error != null))
   | if length > 0 then ["note", "failed runs: " + (map("\(.case) \(.target) #\(.repeat): \(.error)") | join("; "))] | @tsv
     else empty end),
  # Target: SCRAM logins at least 0.8x our plain connect rate.
  (([$runs[] | select(.target == "ours" and .error == null and .case == "login-plain") | .connects_per_s] | median) as $plain
  | ([$runs[] | select(.target == "ours" and .error == null and .case == "login-scram") | .connects_per_s] | median) as $scram
  | if $plain != null and $scram != null and $plain > 0 then
      ["note", "ours: SCRAM-SHA-256 / plain connects per second = \($scram / $plain * 100 | round / 100)"] | @tsv else empty end)
JQ
read -r -d '' TABLE_AWK <<'AWK'
function fmt(v) {
  if (v == "" || v == "null") return "-"
  if (v == "err") return "err"
  v += 0
  if (v == int(v) && (v >= 100 || v == 0)) return sprintf("%d", v)
  if (v >= 100) return sprintf("%.0f", v)
  if (v >= 10) return sprintf("%.1f", v)
  return sprintf("%.2f", v)
}
function ratio(a, b) {
  if (a == "" || a == "null" || a == "err" || b == "" || b == "null" || b == "err" || b + 0 == 0) return "-"
  return sprintf("%.2f", a / b)
}
BEGIN { n = 0 }
$1 == "note" { notes[++nn] = $2; next }
{
  n++
  cell[n, 1] = $1; cell[n, 2] = $2; cell[n, 3] = fmt($3); cell[n, 4] = fmt($4); cell[n, 5] = fmt($5)
  # a ratio of message losses or failed connects means nothing
  if ($2 ~ /lost|failures/) { cell[n, 6] = "-"; cell[n, 7] = "-" } else { cell[n, 6] = ratio($3, $4); cell[n, 7] = ratio($3, $5) }
}
END {
  split("scenario|metric|mqttcore|mosquitto|mqttnet|mqttcore/mosquitto|mqttcore/mqttnet", head, "|")
  for (c = 1; c <= 7; c++) { cell[0, c] = head[c]; w[c] = length(head[c]) }
  for (r = 1; r <= n; r++) for (c = 1; c <= 7; c++) if (length(cell[r, c]) > w[c]) w[c] = length(cell[r, c])
  for (r = 0; r <= n; r++) {
    line = "|"
    for (c = 1; c <= 7; c++) {
      text = (r > 0 && c == 1 && cell[r, 1] == cell[r - 1, 1]) ? "" : cell[r, c]
      line = line sprintf(" %" (c <= 2 ? "-" : "") w[c] "s |", text)
    }
    print line
    if (r == 0) {
      line = "|"
      for (c = 1; c <= 7; c++) { dash = ""; for (i = 0; i < w[c]; i++) dash = dash "-"; line = line (c <= 2 ? " " dash " |" : " " substr(dash, 2) ": |") }
      print line
    }
  }
  for (i = 1; i <= nn; i++) print "\n" notes[i]
}
AWK
ORDER=$(for s in "${CASES[@]}"; do echo "${s%%|*}"; done | jq -R . | jq -sc .)
{
  echo "# mqttcore bench: ours vs Mosquitto vs MQTTnet, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -r)"
  echo "# commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), dotnet $(dotnet --version)," \
    "$({ mosquitto -h 2>/dev/null || true; } | head -1), MQTTnet.Server $(sed -n 's/.*"MQTTnet.Server" Version="\([^"]*\)".*/\1/p' "$ROOT/Directory.Packages.props")"
  echo "# load average (1/5/15 min) at start $LOAD_START, at end $LOAD_END"
  echo "# median of $REPEAT run(s) per cell (lost and failures: the largest); ${DURATION} s measured after ${WARMUP} s warmup; 64 B payloads"
  echo "# load-*: 4 publishers at a fixed rate, fanout ${FANOUT_RATE}/s per publisher to 4 subscribers (16,000 deliveries/s), pairs ${PAIRS_RATE}/s per publisher (12,000 deliveries/s)"
  echo "# max-*: closed loop, 16 messages outstanding per publisher (no max-shared-* on MQTTnet: it refuses shared subscriptions); latency-pairs-q1: 4 publishers at ${LATENCY_RATE:-?}/s each (half of Mosquitto's max-pairs-q1)"
  echo "# curve-fanout-S: 1 publisher to S subscribers, $CURVE_DELIVERIES deliveries/s; curve-rate-S: 1 publisher at ${CURVE_RATE}/s to S subscribers; idle: $IDLE_CONNECTIONS connections held ${IDLE_HOLD} s by freshly started brokers; logins: $LOGINS connects, 16 in flight, after ${WARMUP} s of uncounted ones"
  echo "# login-plain, login-scram: ours with a CONNECT password / SCRAM-SHA-256 (4096 iterations); MQTTnet with our SCRAM code in its AUTH exchange"
  echo "# ws-*: as load-pairs-* and max-pairs-q1, every client over WebSocket (ours --ws-listen, Mosquitto protocol websockets; the MQTTnet host has no WebSocket listener)"
  echo
  jq -rs --argjson order "$ORDER" "$TABLE_JQ" "$OUT" | awk -F'\t' "$TABLE_AWK"
} | tee "$TABLE"
echo >&2
echo "raw results: $OUT; table: $TABLE" >&2
