/*
 * For fuzz targets whose code under test takes a path: every input is
 * written to one memfd, passed as /proc/self/fd/N.
 */
#ifndef MCTOP_FUZZ_MEMFD_INPUT_H
#define MCTOP_FUZZ_MEMFD_INPUT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static int input_fd = -1;
static char input_path[64];

/* Creates the memfd; aborts if it cannot. */
static void input_open(const char *target) {
  input_fd = memfd_create(target, MFD_CLOEXEC);
  if (input_fd < 0) {
    perror(target);
    abort();
  }
  snprintf(input_path, sizeof(input_path), "/proc/self/fd/%d", input_fd);
}

/* Makes the memfd hold exactly data[0..size); aborts if it cannot. */
static void input_put(const uint8_t *data, size_t size) {
  if (ftruncate(input_fd, 0) != 0)
    abort();
  for (size_t done = 0; done < size;) {
    ssize_t n = pwrite(input_fd, data + done, size - done, (off_t)done);
    if (n <= 0)
      abort();
    done += (size_t)n;
  }
}

#endif /* MCTOP_FUZZ_MEMFD_INPUT_H */
