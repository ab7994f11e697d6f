# lib.sh — what the benchmarks share; sourced by tests/bench/bench_*.sh.

# fresh NAME TEMPLATE: drops NAME, copies TEMPLATE to it and makes it the
# current database (PGDATABASE).
#
# Every measurement starts from the same state: a file-level copy and a
# checkpoint. The default copy strategy (WAL_LOG) writes the whole database
# through shared buffers and the WAL, and the measurement after it would pay
# for flushing that copy's dirty pages and for the checkpoint it provokes.
# After the checkpoint, the first change of a page logs the whole page (a
# full-page image), as it does in production on data written long before the
# job runs: the same cost for a job and for its baselines.
fresh() {
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $1" >/dev/null 2>&1
	psql -X -q -d postgres -v ON_ERROR_STOP=1 -c "CREATE DATABASE $1 TEMPLATE $2 STRATEGY FILE_COPY" >/dev/null
	psql -X -q -d postgres -v ON_ERROR_STOP=1 -c "CHECKPOINT" >/dev/null
	export PGDATABASE=$1
}
