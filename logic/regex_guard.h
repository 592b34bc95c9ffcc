/*
 * mctop: bounding what a ProcessMatch or KeyPattern expression may cost.
 * glibc's regcomp() copies a repeated subexpression once per repetition, so
 * stacked or nested repetitions grow exponentially ("x" followed by 22 '+' took
 * 2.9 GB and 32 s; found by tests/fuzz/fuzz_options.c).  A typo in
 * collectd.conf or on mctop's command line must not take collectd, or the
 * host's memory, down with it.
 */
#ifndef MCTOP_REGEX_GUARD_H
#define MCTOP_REGEX_GUARD_H

#include <stddef.h>

#define MCTOP_REGEX_MAX_LEN 256
/* Copies of atoms regcomp may make, estimated: far above any sensible
 * process pattern, far below trouble (each copy is a few dozen bytes). */
#define MCTOP_REGEX_MAX_COST 4096

/* 0 if re is cheap to compile; else -1 with why naming the problem. */
int mctop_regex_check(const char *re, char *why, size_t why_size);

#endif /* MCTOP_REGEX_GUARD_H */
