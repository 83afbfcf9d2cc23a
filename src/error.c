/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

/* The calling thread's last control-plane failure, for
 * photon_last_error_message(). */
static _Thread_local char last_error[512];

PHOTON_API const char *photon_strerror(int code)
{
	switch (code) {
#define PHOTON__STATUS_CASE(name, value, text) \
	case value:                            \
		return text;
		PHOTON_STATUS_TABLE(PHOTON__STATUS_CASE)
#undef PHOTON__STATUS_CASE
	}
	return "unknown status code";
}

PHOTON_API const char *photon_last_error_message(void)
{
	return last_error;
}

static void set_detail(const char *fmt, va_list ap)
{
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
}

/*
 * For the core and the layers built on its public API (photon/error.h)
 * alike. errno is kept: the PHOTON_ESYS paths report it as the failed call
 * left it.
 */
PHOTON_API int photon_set_error(int code, const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	va_start(ap, fmt);
	set_detail(fmt, ap);
	va_end(ap);
	errno = e;
	return code;
}

/* The core's internal name for the same function (internal.h). */
int photon__fail(int code, const char *fmt, ...)
    __attribute__((alias("photon_set_error")));

int photon__fail_errno(int code, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_detail(fmt, ap);
	va_end(ap);
	errno = err;
	return code;
}

void photon__clear_error(void)
{
	last_error[0] = '\0';
}

PHOTON_API unsigned photon_version(void)
{
	return PHOTON_VERSION_NUMBER;
}

PHOTON_API const char *photon_version_string(void)
{
	return PHOTON_VERSION_STRING;
}
