/*
 * metrics.c — the textfile writer. The last-success timestamp must survive a
 * failed run (an alert fires on "no success within two periods"), so a
 * failed run carries it over from the file it replaces.
 */
#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static double
previous_success(const char *path)
{
	FILE *fp = fopen(path, "r");
	char line[512];
	double v = 0;

	if (fp == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp))
		if (strncmp(line, "vigil_job_last_success_timestamp_seconds{", 41) == 0) {
			char *sp = strrchr(line, ' ');
			if (sp)
				v = strtod(sp + 1, NULL);
		}
	fclose(fp);
	return v;
}

int
vigil_metrics_write(const char *dir, const char *job, double run_ts, double duration,
					int exit_code, const vigil_count *counts, size_t ncounts, vigil_error *err)
{
	char *path = vigil_asprintf("%s/vigil_%s.prom", dir, job);
	char *tmp = vigil_asprintf("%s/.vigil_%s.prom.%d", dir, job, (int) getpid());
	vigil_buf b = {0};
	double success = exit_code == 0 ? run_ts + duration : previous_success(path);
	int rc = 0, fd = -1;

	vigil_buf_printf(&b,
		"# HELP vigil_job_last_run_timestamp_seconds Start of the job's last run.\n"
		"# TYPE vigil_job_last_run_timestamp_seconds gauge\n"
		"vigil_job_last_run_timestamp_seconds{job=\"%s\"} %.3f\n"
		"# HELP vigil_job_last_success_timestamp_seconds End of the job's last successful run.\n"
		"# TYPE vigil_job_last_success_timestamp_seconds gauge\n"
		"vigil_job_last_success_timestamp_seconds{job=\"%s\"} %.3f\n"
		"# HELP vigil_job_duration_seconds Duration of the job's last run.\n"
		"# TYPE vigil_job_duration_seconds gauge\n"
		"vigil_job_duration_seconds{job=\"%s\"} %.6f\n"
		"# HELP vigil_job_exit_code Exit code of the job's last run (0 = success).\n"
		"# TYPE vigil_job_exit_code gauge\n"
		"vigil_job_exit_code{job=\"%s\"} %d\n",
		job, run_ts, job, success, job, duration, job, exit_code);
	if (ncounts) {
		/* The name ends in _total (DESIGN §7), which promtool's lint accepts
		 * only on a counter: each run restarts it, which rate() reads as a reset. */
		vigil_buf_puts(&b,
			"# HELP vigil_job_items_total Items the job's last run processed, by kind.\n"
			"# TYPE vigil_job_items_total counter\n");
		for (size_t i = 0; i < ncounts; i++)
			vigil_buf_printf(&b, "vigil_job_items_total{job=\"%s\",kind=\"%s\"} %lld\n", job,
							 counts[i].name, (long long) counts[i].value);
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = vigil_error_set(err, VIGIL_EXIT_CANTCREAT, "cannot write metrics file %s: %s", tmp, strerror(errno));
		vigil_error_hint(err, "create metrics.textfile_dir and make it writable, or set it to \"\"");
		goto done;
	}
	if (write(fd, b.data, b.len) != (ssize_t) b.len || fsync(fd) != 0) {
		rc = vigil_error_set(err, VIGIL_EXIT_CANTCREAT, "cannot write metrics file %s: %s", tmp, strerror(errno));
		goto done;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = vigil_error_set(err, VIGIL_EXIT_CANTCREAT, "cannot write metrics file %s: %s", tmp, strerror(errno));
		goto done;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		rc = vigil_error_set(err, VIGIL_EXIT_CANTCREAT, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
done:
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		unlink(tmp);
	vigil_buf_free(&b);
	free(path);
	free(tmp);
	return rc;
}
