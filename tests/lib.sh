# tests/lib.sh — assertions and helpers for vigil's integration tests.
#
# Each tests/integration/t_*.sh sources this file, calls `newdb` to get its own
# database cloned from the migrated template, runs the real binaries in bin/
# and checks exit codes, output and the rows left behind. It ends with
# `done_testing`, which prints "N passed, N failed" and fails the file if any
# check failed. tests/run-integration provides the cluster (PGHOST etc.).

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BIN=${BIN:-$TOP/bin}
PATH=$BIN:$PATH
export TOP BIN
_pass=0
_fail=0
_tname=$(basename "$0" .sh)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vigil-t.XXXXXX")
chmod 755 "$TMP"
trap 'rm -rf "$TMP"' EXIT

# newdb [NAME]: a fresh database cloned from the migrated template; sets
# PGDATABASE so psql and the programs (libpq environment) use it.
newdb() {
	local name=${1:-$_tname}
	name=$(echo "$name" | tr -c 'a-z0-9_\n' '_')
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $name" >/dev/null 2>&1
	psql -X -q -d postgres -v ON_ERROR_STOP=1 -c "CREATE DATABASE $name TEMPLATE vigil_template" >/dev/null || {
		echo "not ok - cannot create database $name"; exit 1; }
	export PGDATABASE=$name
}

# emptydb [NAME]: a fresh database with no schema at all.
emptydb() {
	local name=${1:-${_tname}_empty}
	name=$(echo "$name" | tr -c 'a-z0-9_\n' '_')
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $name" >/dev/null 2>&1
	psql -X -q -d postgres -v ON_ERROR_STOP=1 -c "CREATE DATABASE $name TEMPLATE template0" >/dev/null
	export PGDATABASE=$name
}

# load_samples: the fixture of samples/ into the current database.
load_samples() {
	psql -X -q -v ON_ERROR_STOP=1 -f "$TOP/samples/fixture.sql" >/dev/null || {
		echo "not ok - cannot load samples"; exit 1; }
}

# q SQL: run one statement, print rows unaligned, '|' separated.
q() { psql -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"; }

pass() { _pass=$((_pass + 1)); echo "ok - $1"; }
fail() { _fail=$((_fail + 1)); echo "not ok - $1"; shift; for l in "$@"; do echo "#   $l"; done; }

# is GOT WANT DESC
is() {
	if [ "$1" = "$2" ]; then pass "$3"; else fail "$3" "got:  '$1'" "want: '$2'"; fi
}

# isnt GOT UNWANTED DESC
isnt() {
	if [ "$1" != "$2" ]; then pass "$3"; else fail "$3" "got unwanted '$1'"; fi
}

# like TEXT REGEX DESC
like() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then pass "$3"; else fail "$3" "text: '$1'" "does not match: $2"; fi
}

# unlike TEXT REGEX DESC
unlike() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then fail "$3" "text: '$1'" "matches: $2"; else pass "$3"; fi
}

# run CMD...: runs a command, sets RC, OUT (stdout) and ERR (stderr).
run() {
	"$@" >"$TMP/out" 2>"$TMP/err"
	RC=$?
	OUT=$(cat "$TMP/out")
	ERR=$(cat "$TMP/err")
}

# exits WANT_RC DESC CMD...: runs CMD and checks its exit code.
exits() {
	local want=$1 desc=$2
	shift 2
	run "$@"
	if [ "$RC" = "$want" ]; then pass "$desc"; else
		fail "$desc" "exit $RC, want $want" "stdout: $(head -c 600 "$TMP/out")" "stderr: $(head -c 600 "$TMP/err")"
	fi
}

# program_help_ok PROG / program_version_ok PROG / program_options_handling_ok PROG
program_help_ok() {
	exits 0 "$1 --help exits 0" "$1" --help
	like "$OUT" "Usage:" "$1 --help shows usage"
	like "$OUT" "Example" "$1 --help shows an example"
}
program_version_ok() {
	exits 0 "$1 --version exits 0" "$1" --version
	like "$OUT" "^$1 [0-9]" "$1 --version prints name and version"
}
program_options_handling_ok() {
	exits 64 "$1 rejects an unknown option" "$1" --no-such-option
	like "$ERR" "no-such-option" "$1 names the unknown option"
}

# kill_after MS CMD...: starts CMD in the background, SIGKILLs it after MS
# milliseconds and waits until the server has dropped its session (and so
# its advisory lock). Returns 0 when the kill hit a running process, 1 when
# CMD had already finished.
kill_after() {
	local ms=$1 pid rc
	shift
	"$@" >/dev/null 2>&1 &
	pid=$!
	sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rc=$?
	for _ in $(seq 100); do
		[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")" = 0 ] && break
		sleep 0.1
	done
	[ "$rc" = 137 ]
}

# runs_in STATUS: the ids of the current database's job_runs rows in STATUS,
# space-separated in id order ('' when there are none).
runs_in() { q "SELECT coalesce(string_agg(id::text, ' ' ORDER BY id), '') FROM vigil.job_runs WHERE status = '$1'"; }

# Kill trials: call note_left_running after each kill_after and
# check_abandoned after the rerun that follows. A kill can land before the
# run recorded its start (slow start-up under the sanitizers) or after it
# recorded its outcome; neither leaves a 'running' row, so "killed" is not
# the number of runs the next run must mark abandoned. The rows a kill left
# 'running' are, and the rerun must mark exactly those. ABANDON_BAD collects
# mismatches, ABANDONED counts the rows marked.
ABANDON_BAD=""
ABANDONED=0
_left=""
note_left_running() { _left="$_left $(runs_in running)"; }
check_abandoned() {
	local want got
	want=$(echo $(printf '%s\n' $_left | sort -nu))
	got=$(runs_in abandoned)
	[ "$want" = "$got" ] || ABANDON_BAD="$ABANDON_BAD abandoned [$got], left running [$want];"
	ABANDONED=$((ABANDONED + $(echo $got | wc -w)))
	_left=""
}

done_testing() {
	echo "$_tname: $_pass passed, $_fail failed"
	[ "$_fail" = 0 ]
}
