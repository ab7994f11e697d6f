/*
 * metrics.h — the Prometheus textfile of DESIGN §7, for node_exporter's
 * textfile collector: `<dir>/vigil_<job>.prom`, rewritten atomically (a
 * temporary file in the same directory, fsync, rename) so the collector never
 * reads half a file.
 *
 *	vigil_job_last_run_timestamp_seconds{job="expire"}
 *	vigil_job_last_success_timestamp_seconds{job="expire"}  (kept from the
 *	    previous file when this run failed)
 *	vigil_job_duration_seconds{job="expire"}
 *	vigil_job_exit_code{job="expire"}
 *	vigil_job_items_total{job="expire",kind="expired"}      (one per count)
 */
#ifndef VIGIL_METRICS_H
#define VIGIL_METRICS_H

#include "vigil.h"

/* A named count of what a run did ("expired" = 120). */
typedef struct vigil_count {
	char name[40];
	int64_t value;
} vigil_count;

/*
 * Writes the metrics of one run. run_ts is the run's start (Unix seconds),
 * duration its length in seconds. Returns 0, or 73 with err filled when the
 * file cannot be written.
 */
int vigil_metrics_write(const char *dir, const char *job, double run_ts, double duration,
						int exit_code, const vigil_count *counts, size_t ncounts, vigil_error *err);

#endif
