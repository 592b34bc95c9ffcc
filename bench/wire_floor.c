/*
 * bench/wire_floor: attaches wire_floor.bpf.c's raw tracepoints (every
 * system call's entry and exit) for one memcached process and holds them
 * until SIGTERM: issue 24's floor, the hook and the copy of each socket
 * read, no parsing.
 *
 *   wire_floor PID
 *
 * Prints "attached 2" once attached; at SIGTERM, "reads N bytes M": the
 * reads of the process that returned data while it ran, and their bytes.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "wire_floor.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
  (void)sig;
  stop = 1;
}

int main(int argc, char **argv) {
  char *end = NULL;
  long pid = argc == 2 ? strtol(argv[1], &end, 10) : 0;
  if (argc != 2 || *end != '\0' || pid <= 0) {
    fprintf(stderr, "usage: %s PID (a memcached process)\n", argv[0]);
    return 2;
  }
  struct wire_floor_bpf *skel = wire_floor_bpf__open();
  if (skel != NULL)
    skel->rodata->targ_tgid = (__u32)pid;
  if (skel == NULL || wire_floor_bpf__load(skel) != 0 ||
      wire_floor_bpf__attach(skel) != 0) {
    fprintf(stderr,
            "wire_floor: loading or attaching the raw tracepoints "
            "sys_enter/sys_exit failed (root and a BPF-capable kernel)\n");
    wire_floor_bpf__destroy(skel);
    return 1;
  }
  printf("attached 2\n");
  fflush(stdout);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  while (!stop)
    pause();
  printf("reads %llu bytes %llu\n",
         (unsigned long long)skel->bss->reads_seen,
         (unsigned long long)skel->bss->bytes_seen);
  wire_floor_bpf__destroy(skel);
  return 0;
}
