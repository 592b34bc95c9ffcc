/*
 * mctop: error numbers as text, safe on any thread (collectd runs read
 * callbacks on several threads at once, and strerror's buffer is shared).
 */
#ifndef MCTOP_ERRORS_H
#define MCTOP_ERRORS_H

#include <stddef.h>

/* The text for errno value err, written to buf if need be; returns it. */
const char *mctop_strerror(int err, char *buf, size_t size);

#endif /* MCTOP_ERRORS_H */
