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

#include "floor_loader.h"
#include "wire_floor.skel.h"

int main(int argc, char **argv) {
  long pid, port;
  if (!floor_args(argc, argv, false, &pid, &port))
    return 2;
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
  floor_hold(2);
  printf("reads %llu bytes %llu\n",
         (unsigned long long)skel->bss->reads_seen,
         (unsigned long long)skel->bss->bytes_seen);
  wire_floor_bpf__destroy(skel);
  return 0;
}
