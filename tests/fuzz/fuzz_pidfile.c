/*
 * libFuzzer target: mctop_read_pidfile() (attach/procs.c), which reads the
 * PID that memcached (or whoever owns the file) wrote into the PIDFile of
 * the config.
 *
 * mctop_read_pidfile() takes a path, so each input is written to one memfd
 * and passed as /proc/self/fd/N.  The result is compared with a reference
 * parser written here; any difference calls abort().
 */
#define _GNU_SOURCE /* memfd_create */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pid_max.h"
#include "procs.h"

/* mctop_read_pidfile() reads at most this many bytes (its buffer less the
 * NUL); what follows in the file is never seen. */
#define PIDFILE_READ 31

static int pid_fd = -1;
static char pid_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  pid_fd = memfd_create("mctop-fuzz-pidfile", MFD_CLOEXEC);
  if (pid_fd < 0) {
    perror("fuzz_pidfile: memfd_create");
    abort();
  }
  snprintf(pid_path, sizeof(pid_path), "/proc/self/fd/%d", pid_fd);
  return 0;
}

static void fail(const char *what, long got, long want) {
  fprintf(stderr, "fuzz_pidfile: %s (got %ld, want %ld)\n", what, got, want);
  abort();
}

static bool space(uint8_t c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/* The PID the first PIDFILE_READ bytes hold, read as a C string: optional
 * white space, an optional '+', decimal digits, optional white space, the
 * end; 1..MCTOP_PID_MAX, else 0. */
static long reference(const uint8_t *p, size_t size) {
  size_t n = size < PIDFILE_READ ? size : PIDFILE_READ;
  const uint8_t *nul = memchr(p, '\0', n);
  size_t i = 0, len = nul != NULL ? (size_t)(nul - p) : n;
  long v = 0;
  while (i < len && space(p[i]))
    i++;
  if (i < len && p[i] == '+')
    i++;
  size_t digits = 0;
  for (; i < len && p[i] >= '0' && p[i] <= '9'; i++, digits++) {
    v = v * 10 + (p[i] - '0');
    if (v > MCTOP_PID_MAX)
      v = MCTOP_PID_MAX + 1; /* saturate: too big either way */
  }
  while (i < len && space(p[i]))
    i++;
  if (digits == 0 || i != len || v < 1 || v > MCTOP_PID_MAX)
    return 0;
  return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (ftruncate(pid_fd, 0) != 0 ||
      pwrite(pid_fd, data, size, 0) != (ssize_t)size)
    fail("writing the memfd failed", 0, 0);
  long got = (long)mctop_read_pidfile(pid_path);
  long want = reference(data, size);
  if (got < 0 || got > MCTOP_PID_MAX)
    fail("PID out of 0..4194304", got, want);
  if (got != want)
    fail("PID differs from the reference parser's", got, want);
  return 0;
}
