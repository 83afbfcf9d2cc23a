/* SPDX-License-Identifier: MIT */
/* The runner and the checks of the cmocka subset (cmocka.h beside it). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmocka.h"

enum outcome { PASSED, FAILED, SKIPPED };

static jmp_buf test_env;
static pthread_t test_thread;
static int in_test;

/* Leaves the running test with an outcome; from any other thread, ends the
 * program (the test's stack is not this thread's to unwind). */
__attribute__((noreturn)) static void leave(enum outcome o)
{
	if (in_test && pthread_equal(pthread_self(), test_thread))
		longjmp(test_env, (int)o + 1);
	fflush(stdout);
	fprintf(stderr, "[  FAILED  ] outside the test's thread: exiting\n");
	exit(1);
}

void photon_shim_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "[  ERROR   ] --- ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n[   LINE   ] --- %s:%d: error: Failure!\n", file,
		line);
	leave(FAILED);
}

void photon_shim_skip(const char *file, int line)
{
	(void)file;
	(void)line;
	leave(SKIPPED);
}

void photon_shim_int(uintmax_t a, uintmax_t b, int equal, const char *file,
		     int line)
{
	if ((a == b) != equal)
		photon_shim_fail(file, line, "%#jx %s %#jx", a,
				 equal ? "!=" : "==", b);
}

void photon_shim_str(const char *a, const char *b, int equal, const char *file,
		     int line)
{
	int same = a && b ? strcmp(a, b) == 0 : a == b;

	if (same != equal)
		photon_shim_fail(file, line, "\"%s\" %s \"%s\"",
				 a ? a : "(null)",
				 equal ? "!=" : "==", b ? b : "(null)");
}

void photon_shim_mem(const void *a, const void *b, size_t size,
		     const char *file, int line)
{
	const unsigned char *x = a, *y = b;
	size_t i;

	for (i = 0; i < size; i++)
		if (x[i] != y[i])
			photon_shim_fail(file, line,
					 "%zu bytes differ at offset %zu: "
					 "%#x != %#x",
					 size, i, x[i], y[i]);
}

void print_message(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

void print_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

/* Runs one fixture or test body; the outcome it left with. */
static enum outcome run_one(void (*body)(void **), int (*fixture)(void **),
			    void **state)
{
	volatile enum outcome o = PASSED;
	int jumped;

	test_thread = pthread_self();
	in_test = 1;
	jumped = setjmp(test_env);
	if (jumped)
		o = (enum outcome)(jumped - 1);
	else if (body)
		body(state);
	else if (fixture(state) != 0)
		o = FAILED;
	in_test = 0;
	return o;
}

int photon_shim_run(const char *group, const struct CMUnitTest *tests, size_t n,
		    CMFixtureFunction setup, CMFixtureFunction teardown)
{
	enum outcome *got = calloc(n ? n : 1, sizeof(*got));
	void *group_state = NULL;
	size_t i, failed = 0, skipped = 0;

	(void)group;
	if (!got)
		return 1;
	printf("[==========] Running %zu test(s).\n", n);
	if (setup && run_one(NULL, setup, &group_state) != PASSED) {
		printf("[  FAILED  ] group setup\n");
		free(got);
		return (int)(n ? n : 1);
	}
	for (i = 0; i < n; i++) {
		const struct CMUnitTest *t = &tests[i];
		void *state = t->initial_state ? t->initial_state : group_state;
		enum outcome o = PASSED;

		printf("[ RUN      ] %s\n", t->name);
		fflush(stdout);
		if (t->setup_func)
			o = run_one(NULL, t->setup_func, &state);
		if (o == PASSED)
			o = run_one(t->test_func, NULL, &state);
		if (t->teardown_func &&
		    run_one(NULL, t->teardown_func, &state) != PASSED)
			o = FAILED;
		got[i] = o;
		printf("%s %s\n",
		       o == PASSED    ? "[       OK ]"
		       : o == SKIPPED ? "[  SKIPPED ]"
				      : "[  FAILED  ]",
		       t->name);
		fflush(stdout);
		failed += o == FAILED;
		skipped += o == SKIPPED;
	}
	if (teardown && run_one(NULL, teardown, &group_state) != PASSED)
		failed++;
	printf("[==========] %zu test(s) run.\n", n);
	printf("[  PASSED  ] %zu test(s).\n", n - failed - skipped);
	for (i = 0; i < n; i++)
		if (got[i] != PASSED)
			printf("%s %s\n",
			       got[i] == SKIPPED ? "[  SKIPPED ]"
						 : "[  FAILED  ]",
			       tests[i].name);
	free(got);
	return (int)failed;
}
