/* SPDX-License-Identifier: MIT */
/*
 * The architecture dispatch (src/arch.h, src/cpu.c): which hardware monitor
 * wait was detected, and that its instructions run. Cross builds run this
 * under qemu-user, so the AArch64 exclusive load + WFE and the RISC-V
 * PAUSE (or LR.D + WRS.STO where the kernel reports Zawrs) execute there;
 * qemu does not reorder memory, so this is code-path evidence only.
 */
#include "util.h"

#include "arch.h"
#include "testing.h"

static uint64_t word;
static uint64_t want;
static int sleeps;

static void set_hook(photon__test_hook_fn fn)
{
	__atomic_store_n(&photon__test_hook, fn, __ATOMIC_RELEASE);
}

static int teardown(void **state)
{
	(void)state;
	set_hook(NULL);
	return 0;
}

static void test_monitor_kind(void **state)
{
	const char *name = photon_wait_monitor_name();

	(void)state;
	print_message("hardware monitor wait: %s\n", name);
	switch (photon__monitor_kind()) {
	case PHOTON__MONITOR_NONE:
		assert_string_equal(name, "none");
		break;
	case PHOTON__MONITOR_MWAITX:
		assert_string_equal(name, "mwaitx");
		break;
	case PHOTON__MONITOR_UMWAIT:
		assert_string_equal(name, "umwait");
		break;
	case PHOTON__MONITOR_WFE:
		assert_string_equal(name, "wfe");
		break;
	case PHOTON__MONITOR_WRS:
		assert_string_equal(name, "wrs");
		break;
	}
#if defined(__aarch64__)
	/* Always there at EL0: this is the path the cross run executes. */
	assert_int_equal(photon__monitor_kind(), PHOTON__MONITOR_WFE);
#elif defined(__riscv)
	/* WRS only when the kernel reports Zawrs; PAUSE bursts otherwise. */
	assert_true(photon__monitor_kind() == PHOTON__MONITOR_WRS ||
		    photon__monitor_kind() == PHOTON__MONITOR_NONE);
#endif
}

/* Already at or past `want`: returns without reaching the wait. */
static void count_sleep(enum photon__test_point point, void *arg)
{
	(void)arg;
	if (point == PHOTON__TP_MONITOR_SLEEP)
		sleeps++;
}

static void test_monitor_ready_returns(void **state)
{
	(void)state;
	word = 8;
	sleeps = 0;
	set_hook(count_sleep);
	photon__monitor_wait(&word, 8, 1000);
	photon__monitor_wait(&word, 3, 1000);
	set_hook(NULL);
	assert_int_equal(sleeps, 0);
}

/*
 * Below `want`: the wait arms, re-checks, reaches the hardware wait and
 * executes it. The store that ends the wait lands at the sleep point, from
 * this thread, before the instruction: the wait still ends (the
 * instructions are bounded), and the caller's loop sees the value.
 */
static void store_at_sleep(enum photon__test_point point, void *arg)
{
	if (point != PHOTON__TP_MONITOR_SLEEP)
		return;
	assert_ptr_equal(arg, &word);
	sleeps++;
	__atomic_store_n(&word, want, __ATOMIC_RELEASE);
}

static void test_monitor_waits_then_sees_store(void **state)
{
	(void)state;
	word = 2;
	want = 4;
	sleeps = 0;
	set_hook(store_at_sleep);
	while (__atomic_load_n(&word, __ATOMIC_ACQUIRE) < want)
		photon__monitor_wait(&word, want, 10000);
	set_hook(NULL);
	assert_int_equal(sleeps, 1);
	assert_int_equal(word, 4);
	print_message("%s: re-checked below want, waited once\n",
		      photon_wait_monitor_name());
}

static void test_cpu_relax(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 1000; i++)
		photon__cpu_relax();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_monitor_kind),
		cmocka_unit_test_teardown(test_monitor_ready_returns, teardown),
		cmocka_unit_test_teardown(test_monitor_waits_then_sees_store,
					  teardown),
		cmocka_unit_test(test_cpu_relax),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
