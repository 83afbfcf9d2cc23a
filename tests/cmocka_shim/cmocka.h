/* SPDX-License-Identifier: MIT */
/*
 * The part of cmocka's API the test programs use, for targets that have no
 * cmocka package (riscv64 is not a Debian 12 architecture). The build puts
 * this directory on the include path only when the target's cmocka is not
 * found in a cross build; everywhere else the tests use the real cmocka.
 *
 * Same names, same meaning, same report lines ("[  SKIPPED ]", exit status
 * = number of failed tests); no mocks, no signal catching. An assertion
 * that fails in a thread other than the one running the test ends the
 * program (cmocka would longjmp across threads).
 */
#ifndef PHOTON_CMOCKA_SHIM_H
#define PHOTON_CMOCKA_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*CMUnitTestFunction)(void **state);
typedef int (*CMFixtureFunction)(void **state);

struct CMUnitTest {
	const char *name;
	CMUnitTestFunction test_func;
	CMFixtureFunction setup_func;
	CMFixtureFunction teardown_func;
	void *initial_state;
};

#define cmocka_unit_test(f)             \
	{                               \
#f, f, NULL, NULL, NULL \
	}
#define cmocka_unit_test_setup(f, s) \
	{                            \
#f, f, s, NULL, NULL \
	}
#define cmocka_unit_test_teardown(f, t) \
	{                               \
#f, f, NULL, t, NULL    \
	}
#define cmocka_unit_test_setup_teardown(f, s, t) \
	{                                        \
#f, f, s, t, NULL                \
	}
#define cmocka_unit_test_prestate(f, p) \
	{                               \
#f, f, NULL, NULL, p    \
	}

#define cmocka_run_group_tests(tests, setup, teardown)                     \
	photon_shim_run(#tests, tests, sizeof(tests) / sizeof((tests)[0]), \
			setup, teardown)

int photon_shim_run(const char *group, const struct CMUnitTest *tests, size_t n,
		    CMFixtureFunction setup, CMFixtureFunction teardown);
__attribute__((noreturn, format(printf, 3, 4))) void
photon_shim_fail(const char *file, int line, const char *fmt, ...);
__attribute__((noreturn)) void photon_shim_skip(const char *file, int line);
void photon_shim_int(uintmax_t a, uintmax_t b, int equal, const char *file,
		     int line);
void photon_shim_str(const char *a, const char *b, int equal, const char *file,
		     int line);
void photon_shim_mem(const void *a, const void *b, size_t size,
		     const char *file, int line);
__attribute__((format(printf, 1, 2))) void print_message(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void print_error(const char *fmt, ...);

#define fail()	      photon_shim_fail(__FILE__, __LINE__, "fail()")
#define fail_msg(...) photon_shim_fail(__FILE__, __LINE__, __VA_ARGS__)
#define skip()	      photon_shim_skip(__FILE__, __LINE__)

#define photon_shim_check(c, text) \
	((c) ? (void)0 : photon_shim_fail(__FILE__, __LINE__, "%s", text))
#define assert_true(c)	   photon_shim_check(!!(c), #c)
#define assert_false(c)	   photon_shim_check(!(c), "!(" #c ")")
#define assert_non_null(p) photon_shim_check((p) != NULL, #p " != NULL")
#define assert_null(p)	   photon_shim_check((p) == NULL, #p " == NULL")

#define assert_int_equal(a, b) \
	photon_shim_int((uintmax_t)(a), (uintmax_t)(b), 1, __FILE__, __LINE__)
#define assert_int_not_equal(a, b) \
	photon_shim_int((uintmax_t)(a), (uintmax_t)(b), 0, __FILE__, __LINE__)
#define assert_ptr_equal(a, b)                        \
	photon_shim_int((uintptr_t)(const void *)(a), \
			(uintptr_t)(const void *)(b), 1, __FILE__, __LINE__)
#define assert_ptr_not_equal(a, b)                    \
	photon_shim_int((uintptr_t)(const void *)(a), \
			(uintptr_t)(const void *)(b), 0, __FILE__, __LINE__)
#define assert_string_equal(a, b) photon_shim_str(a, b, 1, __FILE__, __LINE__)
#define assert_string_not_equal(a, b) \
	photon_shim_str(a, b, 0, __FILE__, __LINE__)
#define assert_memory_equal(a, b, size) \
	photon_shim_mem(a, b, size, __FILE__, __LINE__)

#ifdef __cplusplus
}
#endif

#endif /* PHOTON_CMOCKA_SHIM_H */
