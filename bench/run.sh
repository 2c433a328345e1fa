#!/usr/bin/env bash
# bench/run.sh — build the benchmark binaries, start a ceiling server and a
# Switchboard server on loopback (temp data dir, bootstrap key), run the
# scenarios for a bounded time each, print the figures, stop the servers.
#
#   bench/run.sh                      # from the module root, or: make bench
#   BENCH_DURATION=10s BENCH_CONCURRENCY=32 bench/run.sh
#   BENCH_RATE=500 bench/run.sh       # open loop at 500 req/s instead
#
# Environment (all optional):
#   BENCH_SCENARIOS     scenarios to run         (default: ceiling api-write api-read delivery
#                       inbound-ack end-to-end)
#   BENCH_DURATION      measured time per scenario (default: 5s; at most 10m)
#   BENCH_WARMUP        unmeasured load first     (default: 1s)
#   BENCH_CONCURRENCY   -c of sbbench             (default: 16)
#   BENCH_RATE          open-loop req/s; 0 = closed loop (default: 0)
#   BENCH_PORT          Switchboard's loopback port (default: 18080)
#   BENCH_DATABASE_URL  SWITCHBOARD_DATABASE_URL (default: SQLite in the temp dir)
#   BENCH_RATE_LIMIT    SWITCHBOARD_RATE_LIMIT and _BURST, so the per-key
#                       limiter does not cap the run (default: 1000000;
#                       empty keeps the server's defaults)
#   BENCH_ENDPOINTS     delivery: webhook endpoints (default: 10)
#   BENCH_E2E_RATE      end-to-end: open-loop updates per second (default: 1000;
#                       end-to-end always runs open loop, whatever BENCH_RATE)
#   BENCH_USERS         inbound-ack, end-to-end: Telegram users (default: 1000)
#   BENCH_JSON          1: also append JSON results to bench/results/
#   BENCH_KEEP          1: keep the temp dir (logs, database)
#
# Exit status: 0 if every scenario ran (errors inside a run are printed, not
# fatal), 1 if a build, a server or a scenario failed.
set -euo pipefail

cd "$(dirname "$0")/.."

SCENARIOS=${BENCH_SCENARIOS:-ceiling api-write api-read delivery inbound-ack end-to-end}
DURATION=${BENCH_DURATION:-5s}
WARMUP=${BENCH_WARMUP:-1s}
CONCURRENCY=${BENCH_CONCURRENCY:-16}
RATE=${BENCH_RATE:-0}
PORT=${BENCH_PORT:-18080}
RATE_LIMIT=${BENCH_RATE_LIMIT-1000000}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/sbbench.XXXXXX")
BIN=$TMP/bin
PIDS=()
STATUS=0
RESULTS=

log() { printf 'run.sh: %s\n' "$*" >&2; }

# stop_pid sends SIGTERM to a process we started, waits up to 15 s for it
# to drain, then kills it, and forgets it so that cleanup cannot signal a
# later process that reuses its id.
stop_pid() {
	local pid=$1 p kept=()
	if kill -TERM "$pid" 2>/dev/null; then
		for _ in $(seq 75); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	for p in "${PIDS[@]}"; do
		[[ $p == "$pid" ]] || kept+=("$p")
	done
	PIDS=("${kept[@]}")
}

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		stop_pid "$pid"
	done
	if [[ ${BENCH_KEEP:-} == 1 ]]; then
		log "kept $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wants reports whether scenario $1 was asked for.
wants() { [[ " $SCENARIOS " == *" $1 "* ]]; }

# needs_switchboard reports whether a scenario against Switchboard was asked for.
needs_switchboard() {
	[[ " $SCENARIOS " == *" api-"* || " $SCENARIOS " == *" delivery "* ||
		" $SCENARIOS " == *" inbound-ack "* || " $SCENARIOS " == *" end-to-end "* ]]
}

build() {
	log "building sbbench and ceiling"
	go build -o "$BIN/" ./bench/cmd/sbbench ./bench/cmd/ceiling
	if needs_switchboard; then
		log "building ./cmd/switchboard"
		if ! go build -o "$BIN/switchboard" ./cmd/switchboard; then
			log "cannot build ./cmd/switchboard: skipping the API scenarios"
			SCENARIOS=${SCENARIOS//api-write/}
			SCENARIOS=${SCENARIOS//api-read/}
			SCENARIOS=${SCENARIOS//delivery/}
			SCENARIOS=${SCENARIOS//inbound-ack/}
			SCENARIOS=${SCENARIOS//end-to-end/}
			STATUS=1
		fi
	fi
}

# sbbench runs one scenario with the shared settings; extra flags follow.
sbbench() {
	local name=$1
	shift
	local args=(-scenario "$name" -c "$CONCURRENCY" -d "$DURATION" -warmup "$WARMUP" "$@")
	if [[ $RATE != 0 ]]; then
		args+=(-rate "$RATE")
	fi
	if [[ -n $RESULTS ]]; then
		args+=(-out "$RESULTS")
	fi
	if ! "$BIN/sbbench" "${args[@]}"; then
		log "scenario $name failed"
		STATUS=1
	fi
}

# wait_for_line waits up to 10 s for file $1 to contain a line matching $2
# and prints its last field.
wait_for_line() {
	local line
	for _ in $(seq 50); do
		line=$(grep -m1 "$2" "$1" 2>/dev/null || true)
		if [[ -n $line ]]; then
			echo "${line##* }"
			return 0
		fi
		sleep 0.2
	done
	return 1
}

run_ceiling() {
	"$BIN/ceiling" -addr 127.0.0.1:0 -lifetime 15m >"$TMP/ceiling.log" 2>&1 &
	local pid=$!
	PIDS+=("$pid")
	local url
	if ! url=$(wait_for_line "$TMP/ceiling.log" "listening on"); then
		log "ceiling server did not start:"
		cat "$TMP/ceiling.log" >&2
		STATUS=1
		return
	fi
	sbbench ceiling -url "$url"
	stop_pid "$pid"
}

# port_is_free reports whether nothing answers on 127.0.0.1:$PORT.
port_is_free() {
	local rc=0
	curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/" || rc=$?
	[[ $rc == 7 ]]
}

# wait_ready waits up to 60 s for GET /readyz to answer 200 while the
# server (pid $1) is alive.
wait_ready() {
	for _ in $(seq 300); do
		if ! kill -0 "$1" 2>/dev/null; then
			return 1
		fi
		if curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/readyz"; then
			return 0
		fi
		sleep 0.2
	done
	return 1
}

# start_switchboard starts a server on a fresh data dir ($1, default data);
# more environment settings may follow.
start_switchboard() {
	local dir=$TMP/${1:-data}
	shift || true
	if ! port_is_free; then
		log "something already listens on 127.0.0.1:$PORT (set BENCH_PORT)"
		return 1
	fi
	KEY=sbk_bench_$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
	local env=(
		SWITCHBOARD_ADDR="127.0.0.1:$PORT"
		SWITCHBOARD_DATA_DIR="$dir"
		SWITCHBOARD_BOOTSTRAP_KEY="$KEY"
		"$@"
	)
	if [[ -n ${BENCH_DATABASE_URL:-} ]]; then
		env+=(SWITCHBOARD_DATABASE_URL="$BENCH_DATABASE_URL")
	fi
	if [[ -n $RATE_LIMIT ]]; then
		env+=(SWITCHBOARD_RATE_LIMIT="$RATE_LIMIT" SWITCHBOARD_RATE_BURST="$RATE_LIMIT")
	fi
	mkdir -p "$dir"
	env "${env[@]}" "$BIN/switchboard" serve >"$dir.log" 2>&1 &
	SB_PID=$!
	PIDS+=("$SB_PID")
	if ! wait_ready "$SB_PID"; then
		log "switchboard did not become ready; its log:"
		tail -n 40 "$dir.log" >&2
		return 1
	fi
}

run_api() {
	# The bench channel's replies go to a sink of sbbench's on loopback.
	if ! start_switchboard data SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE=true; then
		STATUS=1
		return
	fi
	local name
	for name in api-write api-read; do
		if wants "$name"; then
			SWITCHBOARD_API_KEY=$KEY sbbench "$name" -url "http://127.0.0.1:$PORT"
		fi
	done
	stop_pid "$SB_PID"
}

# run_delivery runs the delivery scenario against a server of its own, on
# a fresh data dir, that may deliver to the sinks on loopback.
run_delivery() {
	if ! start_switchboard data-delivery SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE=true; then
		STATUS=1
		return
	fi
	SWITCHBOARD_API_KEY=$KEY sbbench delivery -url "http://127.0.0.1:$PORT" -pid "$SB_PID" -endpoints "${BENCH_ENDPOINTS:-10}"
	stop_pid "$SB_PID"
}

# run_pipeline runs inbound-ack and end-to-end, each against a server of
# its own on a fresh data dir: signed Telegram updates at a channel's hook,
# answered by a builtin bot through a fake Bot API that sbbench runs.
# end-to-end runs open loop at BENCH_E2E_RATE.
run_pipeline() {
	local name args
	for name in inbound-ack end-to-end; do
		wants "$name" || continue
		# The fake Bot API listens on loopback: the address policy must
		# allow it, as for any platform on a private network.
		if ! start_switchboard "data-$name" SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE=true; then
			STATUS=1
			return
		fi
		args=(-scenario "$name" -url "http://127.0.0.1:$PORT" -d "$DURATION" -warmup "$WARMUP" -users "${BENCH_USERS:-1000}")
		if [[ $name == end-to-end ]]; then
			args+=(-rate "${BENCH_E2E_RATE:-1000}" -c "$((CONCURRENCY > 64 ? CONCURRENCY : 64))")
		else
			args+=(-c "$CONCURRENCY")
			[[ $RATE != 0 ]] && args+=(-rate "$RATE")
		fi
		[[ -n $RESULTS ]] && args+=(-out "$RESULTS")
		if ! SWITCHBOARD_API_KEY=$KEY "$BIN/sbbench" "${args[@]}"; then
			log "scenario $name failed"
			STATUS=1
		fi
		stop_pid "$SB_PID"
	done
}

main() {
	build
	if [[ ${BENCH_JSON:-} == 1 ]]; then
		mkdir -p bench/results
		RESULTS=bench/results/$(date -u +%Y%m%dT%H%M%SZ).jsonl
		log "JSON results go to $RESULTS"
	fi
	log "scenarios: $SCENARIOS; -c $CONCURRENCY -d $DURATION -rate $RATE on $(nproc) cores"
	if wants ceiling; then
		run_ceiling
	fi
	if wants api-write || wants api-read; then
		run_api
	fi
	if wants delivery; then
		run_delivery
	fi
	if wants inbound-ack || wants end-to-end; then
		run_pipeline
	fi
	exit "$STATUS"
}

main
