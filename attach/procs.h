/*
 * mctop: what /proc says about processes.  Used to notice a traced
 * memcached exiting or being replaced (PID reuse), and to find processes
 * for ProcessMatch.
 */
#ifndef MCTOP_PROCS_H
#define MCTOP_PROCS_H

#include <errno.h>
#include <regex.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The process's start time (clock ticks since boot, /proc/PID/stat field
 * 22), which tells a process from a later one that got the same PID; 0 if
 * the process does not exist. */
uint64_t mctop_proc_start_time(pid_t pid);

/* Reads a PID file; returns the PID or 0 (with errno) if there is none.
 * errno is EFTYPE_PIDFILE when the path is not a regular file (a FIFO, a
 * device, a directory): refused without blocking. */
#define EFTYPE_PIDFILE EISDIR
pid_t mctop_read_pidfile(const char *path);

/* Calls fn for every process whose command line (arguments joined by
 * spaces) matches re.  Returns the number of matches. */
size_t mctop_proc_match(const regex_t *re, void (*fn)(pid_t, void *),
                        void *arg);

#endif /* MCTOP_PROCS_H */
