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
#   BENCH_PROCESSES     Switchboard servers per scenario (default: 1). More than
#                       one needs PostgreSQL (BENCH_DATABASE=postgres, or a
#                       postgres:// BENCH_DATABASE_URL): the servers share the
#                       scenario's database, listen on BENCH_PORT, BENCH_PORT+1,
#                       …, each with a data dir of its own, one master key
#                       (SWITCHBOARD_SECRET_KEY) and one bootstrap key; the
#                       first is started (and migrates) before the others.
#                       sbbench spreads the load over all of them (setup calls
#                       go to the first) and counts what went missing or
#                       arrived twice across them: the delivery line's
#                       missing and duplicates (webhook-ids), inbound-ack's
#                       and e2e-reply's missing and duplicates (bot replies
#                       per chat). After each scenario (whatever the number
#                       of servers) run.sh prints each server's CPU seconds
#                       during it (/proc/PID/stat) and their total, and the
#                       warnings and errors in the servers' logs (and in
#                       PostgreSQL's, with BENCH_DATABASE=postgres)
#   BENCH_DATABASE      sqlite (default) or postgres: run.sh then starts a
#                       throwaway PostgreSQL of its own in the temp dir, with
#                       its durable defaults (fsync, synchronous_commit and
#                       full_page_writes on), and gives each server a fresh
#                       database, so no earlier run's rows slow the next
#   BENCH_PG_STATS      1 (with postgres): print pg_stat_statements' top 15
#                       statements by total time after each scenario
#   BENCH_DATABASE_URL  SWITCHBOARD_DATABASE_URL of a database you run
#                       yourself (used as it is, not reset)
#   BENCH_RATE_LIMIT    SWITCHBOARD_RATE_LIMIT and _BURST, so the per-key
#                       limiter does not cap the run (default: 1000000;
#                       empty keeps the server's defaults)
#   BENCH_ENDPOINTS     delivery: webhook endpoints (default: 10)
#   BENCH_E2E_RATE      end-to-end: open-loop updates per second (default: 1000;
#                       end-to-end always runs open loop, whatever BENCH_RATE)
#   BENCH_USERS         inbound-ack, end-to-end: Telegram users (default: 1000)
#   BENCH_BOT_INTENTS   inbound-ack, end-to-end: a CSV of text,category rows for
#                       the bot's intents (e.g. Banking77's train split,
#                       bot/builtin/classify/testdata/banking77/train.csv);
#                       default: one intent
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
PROCESSES=${BENCH_PROCESSES:-1}
RATE_LIMIT=${BENCH_RATE_LIMIT-1000000}
DATABASE=${BENCH_DATABASE:-sqlite}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/sbbench.XXXXXX")
BIN=$TMP/bin
PIDS=()
SB_PIDS=() # the Switchboard servers of the current scenario
SB_LOGS=() # and their logs
URLS=      # their base URLs, comma-separated
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
	local i
	# Newest first: the servers before the database they use.
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		stop_pid "${PIDS[i]}"
	done
	stop_postgres
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

# port_is_free reports whether nothing answers on 127.0.0.1:$1.
port_is_free() {
	local rc=0
	curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$1/" || rc=$?
	[[ $rc == 7 ]]
}

# wait_ready waits up to 60 s for GET /readyz on port $2 to answer 200
# while the server (pid $1) is alive.
wait_ready() {
	for _ in $(seq 300); do
		if ! kill -0 "$1" 2>/dev/null; then
			return 1
		fi
		if curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$2/readyz"; then
			return 0
		fi
		sleep 0.2
	done
	return 1
}

# as_postgres runs a command as the postgres user when run.sh runs as root
# (PostgreSQL refuses to run as root), else as it is.
as_postgres() {
	if [[ $(id -u) == 0 ]]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# start_postgres starts a PostgreSQL cluster of its own in $TMP/pg,
# listening on a Unix socket there only, with PostgreSQL's durable
# defaults, and pg_stat_statements loaded for BENCH_PG_STATS.
start_postgres() {
	local bin
	bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
	if [[ -z $bin || ! -x $bin/initdb ]]; then
		log "BENCH_DATABASE=postgres needs PostgreSQL's server (Debian: apt-get install postgresql)"
		return 1
	fi
	PG_BIN=$bin
	PG_DIR=$TMP/pg
	mkdir -p "$PG_DIR"
	if [[ $(id -u) == 0 ]]; then
		chmod o+x "$TMP" # the postgres user must reach its own directory
		chown postgres: "$PG_DIR"
	fi
	as_postgres "$bin/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C --no-instructions >"$TMP/initdb.log" 2>&1 || {
		cat "$TMP/initdb.log" >&2
		return 1
	}
	if ! as_postgres "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w -t 30 \
		-o "-k $PG_DIR -c listen_addresses= -c max_connections=200 -c shared_preload_libraries=pg_stat_statements" \
		start >/dev/null; then
		log "PostgreSQL did not start:"
		tail -n 20 "$PG_DIR/postgres.log" >&2
		return 1
	fi
	log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') ready (durable settings)"
}

# stop_postgres stops the cluster start_postgres started, if it did.
stop_postgres() {
	if [[ -n ${PG_DIR:-} && -f $PG_DIR/data/postmaster.pid ]]; then
		as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null || true
	fi
}

# psql_admin runs one SQL command as the cluster's superuser.
psql_admin() {
	PGOPTIONS='-c client_min_messages=warning' as_postgres "$PG_BIN/psql" -q -X -v ON_ERROR_STOP=1 -h "$PG_DIR" -U postgres -d "${2:-postgres}" -c "$1"
}

# fresh_database creates an empty database $1 (dropping an earlier one)
# and prints its URL.
fresh_database() {
	psql_admin "DROP DATABASE IF EXISTS $1" >&2 &&
		psql_admin "CREATE DATABASE $1" >&2 &&
		psql_admin "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" "$1" >&2 &&
		echo "postgres://postgres@/$1?host=$PG_DIR&sslmode=disable"
}

# pg_stats prints the statements of database $1 that took the most time.
pg_stats() {
	[[ $DATABASE == postgres && ${BENCH_PG_STATS:-} == 1 ]] || return 0
	log "pg_stat_statements, top 15 by total time ($1):"
	psql_admin "SELECT calls, round(total_exec_time::numeric, 1) AS total_ms,
		round(mean_exec_time::numeric, 3) AS mean_ms, rows, left(regexp_replace(query, '\s+', ' ', 'g'), 110) AS query
		FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
		WHERE d.datname = '$1' ORDER BY total_exec_time DESC LIMIT 15" "$1" >&2 || true
}

# start_switchboard starts BENCH_PROCESSES servers on one fresh database
# (data dir $TMP/$1, default data, and $1-2, $1-3, … for the others); more
# environment settings may follow. It sets SB_PIDS, SB_LOGS, URLS, PIDS_CSV
# and KEY.
start_switchboard() {
	local name=${1:-data}
	shift || true
	local p port
	for ((p = 0; p < PROCESSES; p++)); do
		port=$((PORT + p))
		if ! port_is_free "$port"; then
			log "something already listens on 127.0.0.1:$port (set BENCH_PORT)"
			return 1
		fi
	done
	KEY=sbk_bench_$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
	# One master key for all the servers: each must read the secrets
	# (channel tokens) the others stored.
	local secret
	secret=$(head -c 32 /dev/urandom | base64)
	local env=(
		SWITCHBOARD_BOOTSTRAP_KEY="$KEY"
		SWITCHBOARD_SECRET_KEY="$secret"
		"$@"
	)
	if [[ $DATABASE == postgres ]]; then
		local url
		url=$(fresh_database "sb_${name//-/_}") || return 1
		env+=(SWITCHBOARD_DATABASE_URL="$url")
	elif [[ -n ${BENCH_DATABASE_URL:-} ]]; then
		env+=(SWITCHBOARD_DATABASE_URL="$BENCH_DATABASE_URL")
	fi
	if [[ -n $RATE_LIMIT ]]; then
		env+=(SWITCHBOARD_RATE_LIMIT="$RATE_LIMIT" SWITCHBOARD_RATE_BURST="$RATE_LIMIT")
	fi
	SB_PIDS=()
	SB_LOGS=()
	URLS=
	PG_LOG_MARK=$(pg_log_lines)
	local dir pid
	# One after the other: the first migrates the database and creates the
	# bootstrap key, the others find them there.
	for ((p = 0; p < PROCESSES; p++)); do
		port=$((PORT + p))
		dir=$TMP/$name
		((p == 0)) || dir=$TMP/$name-$((p + 1))
		mkdir -p "$dir"
		env "${env[@]}" SWITCHBOARD_ADDR="127.0.0.1:$port" SWITCHBOARD_DATA_DIR="$dir" \
			"$BIN/switchboard" serve >"$dir.log" 2>&1 &
		pid=$!
		PIDS+=("$pid")
		SB_PIDS+=("$pid")
		SB_LOGS+=("$dir.log")
		if ! wait_ready "$pid" "$port"; then
			log "switchboard on port $port did not become ready; its log:"
			tail -n 40 "$dir.log" >&2
			return 1
		fi
		URLS+=${URLS:+,}http://127.0.0.1:$port
	done
	SB_PID=${SB_PIDS[0]}
	PIDS_CSV=$(
		IFS=,
		echo "${SB_PIDS[*]}"
	)
}

# stop_switchboard stops the servers start_switchboard started.
stop_switchboard() {
	local pid
	for pid in "${SB_PIDS[@]}"; do
		stop_pid "$pid"
	done
	SB_PIDS=()
}

# cpu_ticks prints the CPU time (user + system, in clock ticks) process $1
# has used so far, from /proc/$1/stat (fields 14 and 15; the name in
# parentheses may hold spaces, so count from its end).
cpu_ticks() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || {
		echo 0
		return
	}
	local rest=(${stat##*) })
	echo $((rest[11] + rest[12]))
}

# cpu_mark notes the CPU time of each server so far (CPU_MARK).
cpu_mark() {
	CPU_MARK=()
	local pid
	for pid in "${SB_PIDS[@]}"; do
		CPU_MARK+=("$(cpu_ticks "$pid")")
	done
}

# cpu_report prints the CPU seconds each server used since cpu_mark, and
# their total, for scenario $1.
cpu_report() {
	local hz i used total=0 line=
	hz=$(getconf CLK_TCK)
	for i in "${!SB_PIDS[@]}"; do
		used=$(($(cpu_ticks "${SB_PIDS[i]}") - CPU_MARK[i]))
		total=$((total + used))
		line+=" :$((PORT + i)) $(awk -v t="$used" -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }')s"
	done
	log "$1: server CPU$line, total $(awk -v t="$total" -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }')s"
}

# pg_log_lines prints the number of lines of run.sh's PostgreSQL's log
# (0 without one).
pg_log_lines() {
	if [[ -n ${PG_DIR:-} && -r $PG_DIR/postgres.log ]]; then
		wc -l <"$PG_DIR/postgres.log"
	else
		echo 0
	fi
}

# log_problems prints how many warnings and errors each server logged, and
# the first few, and the errors run.sh's PostgreSQL logged meanwhile (lock
# timeouts, deadlocks, …), by kind.
log_problems() {
	local f n
	for f in "${SB_LOGS[@]}"; do
		n=$(grep -c -E 'level=(WARN|ERROR)|"level":"(WARN|ERROR)"' "$f" || true)
		if ((n > 0)); then
			log "$(basename "$f"): $n warnings and errors, the first:"
			grep -m3 -E 'level=(WARN|ERROR)|"level":"(WARN|ERROR)"' "$f" | cut -c1-300 >&2
		fi
	done
	if [[ -n ${PG_DIR:-} && -r $PG_DIR/postgres.log ]]; then
		n=$(tail -n +"$((PG_LOG_MARK + 1))" "$PG_DIR/postgres.log" | grep -c 'ERROR:' || true)
		if ((n > 0)); then
			log "PostgreSQL logged $n errors meanwhile, by kind:"
			tail -n +"$((PG_LOG_MARK + 1))" "$PG_DIR/postgres.log" | grep -o 'ERROR:.*' | sort | uniq -c | sort -rn | head -n 5 >&2
		fi
	fi
}

# sbbench_on_servers runs a scenario against the servers with the
# bootstrap key, and reports their CPU time during it.
sbbench_on_servers() {
	local name=$1
	shift
	cpu_mark
	SWITCHBOARD_API_KEY=$KEY sbbench "$name" -url "$URLS" "$@"
	cpu_report "$name"
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
			sbbench_on_servers "$name"
		fi
	done
	pg_stats sb_data
	stop_switchboard
	log_problems
}

# run_delivery runs the delivery scenario against a server of its own, on
# a fresh data dir, that may deliver to the sinks on loopback.
run_delivery() {
	if ! start_switchboard data-delivery SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE=true; then
		STATUS=1
		return
	fi
	sbbench_on_servers delivery -pid "$PIDS_CSV" -endpoints "${BENCH_ENDPOINTS:-10}"
	pg_stats sb_data_delivery
	stop_switchboard
	log_problems
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
		args=(-scenario "$name" -url "$URLS" -d "$DURATION" -warmup "$WARMUP" -users "${BENCH_USERS:-1000}")
		[[ -n ${BENCH_BOT_INTENTS:-} ]] && args+=(-bot-intents "$BENCH_BOT_INTENTS")
		if [[ $name == end-to-end ]]; then
			args+=(-rate "${BENCH_E2E_RATE:-1000}" -c "$((CONCURRENCY > 64 ? CONCURRENCY : 64))")
		else
			args+=(-c "$CONCURRENCY")
			[[ $RATE != 0 ]] && args+=(-rate "$RATE")
		fi
		[[ -n $RESULTS ]] && args+=(-out "$RESULTS")
		cpu_mark
		if ! SWITCHBOARD_API_KEY=$KEY "$BIN/sbbench" "${args[@]}"; then
			log "scenario $name failed"
			STATUS=1
		fi
		cpu_report "$name"
		pg_stats "sb_data_${name//-/_}"
		stop_switchboard
		log_problems
	done
}

main() {
	if ! [[ $PROCESSES =~ ^[1-9][0-9]*$ ]]; then
		log "BENCH_PROCESSES must be a positive whole number"
		exit 1
	fi
	if ((PROCESSES > 1)) && [[ $DATABASE != postgres && ${BENCH_DATABASE_URL:-} != postgres* ]]; then
		log "BENCH_PROCESSES=$PROCESSES needs a PostgreSQL database that the servers share: BENCH_DATABASE=postgres, or a postgres:// BENCH_DATABASE_URL (SQLite is one process's)"
		exit 1
	fi
	build
	if [[ ${BENCH_JSON:-} == 1 ]]; then
		mkdir -p bench/results
		RESULTS=bench/results/$(date -u +%Y%m%dT%H%M%SZ).jsonl
		log "JSON results go to $RESULTS"
	fi
	log "scenarios: $SCENARIOS; -c $CONCURRENCY -d $DURATION -rate $RATE on $(nproc) cores, $DATABASE, $PROCESSES server(s) per scenario"
	if [[ $DATABASE == postgres ]] && needs_switchboard; then
		start_postgres || exit 1
	elif [[ $DATABASE != sqlite && $DATABASE != postgres ]]; then
		log "BENCH_DATABASE must be sqlite or postgres"
		exit 1
	fi
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
