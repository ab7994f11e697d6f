/*
 * test_metrics.c — common/metrics.c: the exact content of the textfile, the
 * atomic replace (a reader holding the old file keeps a whole old file, no
 * temporary file is left behind), the last-success timestamp carried over
 * from the previous file when a run fails, and exit 73 when the directory
 * cannot be written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "metrics.h"
#include "util.h"

static char dir[64];

static int
setup(void **state)
{
	(void) state;
	snprintf(dir, sizeof(dir), "/tmp/vigil-test-metrics.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	(void) state;
	while (d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' && (de->d_name[1] == '\0' || strcmp(de->d_name, "..") == 0))
			continue;
		char *p = vigil_asprintf("%s/%s", dir, de->d_name);
		unlink(p);
		free(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
	return 0;
}

static char *
read_metrics(const char *job)
{
	char *path = vigil_asprintf("%s/vigil_%s.prom", dir, job);
	vigil_buf b = {0};
	vigil_error err = {0};

	if (vigil_read_file(path, &b, &err) != 0)
		fail_msg("%s", err.msg);
	free(path);
	return b.data;
}

/* Names of the entries of dir, sorted, joined by spaces. */
static char *
list_dir(void)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	vigil_buf b = {0};

	vigil_buf_puts(&b, "");
	for (int i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") != 0 && strcmp(names[i]->d_name, "..") != 0)
			vigil_buf_printf(&b, "%s%s", b.len ? " " : "", names[i]->d_name);
		free(names[i]);
	}
	free(names);
	return b.data;
}

static void
test_content(void **state)
{
	vigil_count counts[] = {{"expired", 120}, {"notices", 37}, {"big", INT64_C(5000000000)}};
	vigil_error err = {0};
	char *text;

	(void) state;
	assert_int_equal(vigil_metrics_write(dir, "expire", 1780272000.25, 1.5, 0, counts, 3, &err), 0);
	text = read_metrics("expire");
	assert_string_equal(text,
		"# HELP vigil_job_last_run_timestamp_seconds Start of the job's last run.\n"
		"# TYPE vigil_job_last_run_timestamp_seconds gauge\n"
		"vigil_job_last_run_timestamp_seconds{job=\"expire\"} 1780272000.250\n"
		"# HELP vigil_job_last_success_timestamp_seconds End of the job's last successful run.\n"
		"# TYPE vigil_job_last_success_timestamp_seconds gauge\n"
		"vigil_job_last_success_timestamp_seconds{job=\"expire\"} 1780272001.750\n"
		"# HELP vigil_job_duration_seconds Duration of the job's last run.\n"
		"# TYPE vigil_job_duration_seconds gauge\n"
		"vigil_job_duration_seconds{job=\"expire\"} 1.500000\n"
		"# HELP vigil_job_exit_code Exit code of the job's last run (0 = success).\n"
		"# TYPE vigil_job_exit_code gauge\n"
		"vigil_job_exit_code{job=\"expire\"} 0\n"
		"# HELP vigil_job_items_total Items the job's last run processed, by kind.\n"
		"# TYPE vigil_job_items_total counter\n"
		"vigil_job_items_total{job=\"expire\",kind=\"expired\"} 120\n"
		"vigil_job_items_total{job=\"expire\",kind=\"notices\"} 37\n"
		"vigil_job_items_total{job=\"expire\",kind=\"big\"} 5000000000\n");
	free(text);

	/* no counts: no items family at all */
	assert_int_equal(vigil_metrics_write(dir, "retain", 1780272000, 0.001, 0, NULL, 0, &err), 0);
	text = read_metrics("retain");
	assert_null(strstr(text, "vigil_job_items_total"));
	assert_non_null(strstr(text, "vigil_job_duration_seconds{job=\"retain\"} 0.001000\n"));
	free(text);

	/* one file per job, nothing else left in the directory */
	text = list_dir();
	assert_string_equal(text, "vigil_expire.prom vigil_retain.prom");
	free(text);
}

static void
test_last_success_carried_over(void **state)
{
	vigil_count counts[] = {{"expired", 5}};
	vigil_error err = {0};
	char *text;

	(void) state;
	/* a failure with no previous file: never succeeded */
	assert_int_equal(vigil_metrics_write(dir, "enforce", 1780000000, 2, 70, counts, 1, &err), 0);
	text = read_metrics("enforce");
	assert_non_null(strstr(text, "\nvigil_job_last_success_timestamp_seconds{job=\"enforce\"} 0.000\n"));
	assert_non_null(strstr(text, "\nvigil_job_exit_code{job=\"enforce\"} 70\n"));
	free(text);

	/* a success, then two failures: the success time stays */
	assert_int_equal(vigil_metrics_write(dir, "enforce", 1780000100, 3, 0, counts, 1, &err), 0);
	assert_int_equal(vigil_metrics_write(dir, "enforce", 1780000200, 1, 75, counts, 1, &err), 0);
	assert_int_equal(vigil_metrics_write(dir, "enforce", 1780000300, 1, 69, NULL, 0, &err), 0);
	text = read_metrics("enforce");
	assert_non_null(strstr(text, "\nvigil_job_last_run_timestamp_seconds{job=\"enforce\"} 1780000300.000\n"));
	assert_non_null(strstr(text, "\nvigil_job_last_success_timestamp_seconds{job=\"enforce\"} 1780000103.000\n"));
	assert_non_null(strstr(text, "\nvigil_job_exit_code{job=\"enforce\"} 69\n"));
	free(text);

	/* the next success replaces it */
	assert_int_equal(vigil_metrics_write(dir, "enforce", 1780000400, 0.5, 0, NULL, 0, &err), 0);
	text = read_metrics("enforce");
	assert_non_null(strstr(text, "\nvigil_job_last_success_timestamp_seconds{job=\"enforce\"} 1780000400.500\n"));
	free(text);
}

static void
test_atomic_replace(void **state)
{
	vigil_error err = {0};
	char *path = vigil_asprintf("%s/vigil_escalate.prom", dir);
	struct stat before, after;
	char buf[4096];

	(void) state;
	assert_int_equal(vigil_metrics_write(dir, "escalate", 1780000000, 1, 0, NULL, 0, &err), 0);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &before), 0);
	assert_int_equal(vigil_metrics_write(dir, "escalate", 1780009999, 1, 1, NULL, 0, &err), 0);
	assert_int_equal(stat(path, &after), 0);
	/* a new file was renamed over the old one: a reader of the old file
	 * (the collector mid-scrape) still reads the whole old content */
	assert_true(before.st_ino != after.st_ino);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "1780000000.000"));
	assert_null(strstr(buf, "1780009999"));
	close(fd);
	assert_int_equal(after.st_mode & 0777, 0644);
	char *names = list_dir();
	assert_null(strstr(names, ".vigil_"));
	free(names);
	free(path);
}

static void
test_unwritable(void **state)
{
	vigil_error err = {0};
	char *missing = vigil_asprintf("%s/no/such/dir", dir);
	char *file = vigil_asprintf("%s/plainfile", dir);

	(void) state;
	assert_int_equal(vigil_metrics_write(missing, "expire", 1, 1, 0, NULL, 0, &err), 73);
	assert_int_equal(err.code, 73);
	assert_non_null(strstr(err.msg, "cannot write metrics file "));
	assert_non_null(strstr(err.msg, missing));
	assert_non_null(strstr(err.msg, "No such file or directory"));
	assert_non_null(strstr(err.hint, "metrics.textfile_dir"));

	/* a path through a regular file */
	int fd = open(file, O_WRONLY | O_CREAT, 0644);
	close(fd);
	assert_int_equal(vigil_metrics_write(file, "expire", 1, 1, 0, NULL, 0, &err), 73);
	assert_non_null(strstr(err.msg, "Not a directory"));

	/* a directory without write permission (root ignores modes) */
	if (geteuid() != 0) {
		char *ro = vigil_asprintf("%s/ro", dir);

		assert_int_equal(mkdir(ro, 0555), 0);
		assert_int_equal(vigil_metrics_write(ro, "expire", 1, 1, 0, NULL, 0, &err), 73);
		assert_non_null(strstr(err.msg, "Permission denied"));
		rmdir(ro);
		free(ro);
	}

	/* the target name is a directory: the rename fails, the temporary goes */
	char *blocker = vigil_asprintf("%s/vigil_blocked.prom", dir);
	assert_int_equal(mkdir(blocker, 0755), 0);
	char *sub = vigil_asprintf("%s/x", blocker);
	fd = open(sub, O_WRONLY | O_CREAT, 0644);   /* non-empty: rename cannot replace it */
	close(fd);
	assert_int_equal(vigil_metrics_write(dir, "blocked", 1, 1, 0, NULL, 0, &err), 73);
	assert_non_null(strstr(err.msg, "cannot rename "));
	char *names = list_dir();
	assert_null(strstr(names, ".vigil_"));
	free(names);
	unlink(sub);
	rmdir(blocker);
	free(sub);
	free(blocker);
	unlink(file);
	free(file);
	free(missing);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_content, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_success_carried_over, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwritable, setup, teardown),
	};

	return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
