/*
 * bench/cg_floor: puts a memcached process in a cgroup v2 directory of its
 * own and attaches cg_floor.bpf.c's cgroup_skb programs to it, ingress and
 * egress, holding them until SIGTERM: the floor of a source from the
 * socket bytes that hooks memcached's cgroup, both ways, with egress in
 * memcached's own send path.
 *
 *   cg_floor PID PORT
 *
 * A socket belongs to the cgroup of the process that made it, and an
 * accepted one to its listener's, whatever cgroup the process moves to
 * later: the programs see memcached's connections only when memcached is
 * moved in before it makes its listening socket (bench/run holds it before
 * exec for that).
 *
 * Prints "attached 1" once attached; at SIGTERM, "segments N bytes M" (with
 * data, both ways) then each way's.  Then memcached goes back to the cgroup
 * it came from and the directory is removed, as on every error path.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "floor_loader.h"
#include "cg_floor.skel.h"

/* Where cgroup2 is mounted (/proc/self/mountinfo: the mount point is the
 * fifth field, the file system type the first after " - "), or false.  On
 * a hybrid hierarchy it is not /sys/fs/cgroup. */
static bool cgroup2_mount(char *out, size_t size) {
  FILE *f = fopen("/proc/self/mountinfo", "r");
  char line[1024];
  bool found = false;
  while (f != NULL && !found && fgets(line, sizeof(line), f) != NULL) {
    char point[512], type[64];
    const char *dash = strstr(line, " - ");
    if (dash != NULL && sscanf(line, "%*s %*s %*s %*s %511s", point) == 1 &&
        sscanf(dash + 3, "%63s", type) == 1 && strcmp(type, "cgroup2") == 0 &&
        strlen(point) < size) {
      strcpy(out, point);
      found = true;
    }
  }
  if (f != NULL)
    fclose(f);
  return found;
}

/* PID's cgroup v2 path ("0::" in /proc/PID/cgroup), or false. */
static bool cgroup_of(long pid, char *out, size_t size) {
  char path[64], line[1024];
  snprintf(path, sizeof(path), "/proc/%ld/cgroup", pid);
  FILE *f = fopen(path, "r");
  bool found = false;
  while (f != NULL && !found && fgets(line, sizeof(line), f) != NULL) {
    if (strncmp(line, "0::", 3) != 0)
      continue;
    line[strcspn(line, "\n")] = '\0';
    if (strlen(line + 3) < size) {
      strcpy(out, line + 3);
      found = true;
    }
  }
  if (f != NULL)
    fclose(f);
  return found;
}

/* Moves process pid (all its threads) into cgroup directory dir. */
static bool move_to(const char *dir, long pid) {
  char path[1024];
  snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
  FILE *f = fopen(path, "w");
  if (f == NULL)
    return false;
  bool ok = fprintf(f, "%ld\n", pid) > 0;
  return fclose(f) == 0 && ok;
}

int main(int argc, char **argv) {
  long pid, port;
  if (!floor_args(argc, argv, true, &pid, &port))
    return 2;
  char mount[512], from[512], home[1100], child[600];
  if (!cgroup2_mount(mount, sizeof(mount)) ||
      !cgroup_of(pid, from, sizeof(from))) {
    fprintf(stderr,
            "cg_floor: no cgroup2 mount, or no cgroup v2 path for "
            "process %ld\n",
            pid);
    return 1;
  }
  snprintf(home, sizeof(home), "%s%s", mount, from);
  snprintf(child, sizeof(child), "%s/mctop-cg-floor-%ld", mount, pid);
  if (mkdir(child, 0755) != 0) {
    fprintf(stderr, "cg_floor: mkdir %s: %s\n", child, strerror(errno));
    return 1;
  }
  int rc = 1, cg = -1;
  bool moved = false;
  struct cg_floor_bpf *skel = NULL;
  struct bpf_link *in = NULL, *out = NULL;
  if (!move_to(child, pid)) {
    fprintf(stderr, "cg_floor: moving process %ld into %s: %s\n", pid, child,
            strerror(errno));
    goto cleanup;
  }
  moved = true;
  cg = open(child, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  skel = cg >= 0 ? cg_floor_bpf__open() : NULL;
  if (skel != NULL)
    skel->rodata->targ_port = (__u16)port;
  if (skel == NULL || cg_floor_bpf__load(skel) != 0 ||
      (in = bpf_program__attach_cgroup(skel->progs.cg_floor_in, cg)) == NULL ||
      (out = bpf_program__attach_cgroup(skel->progs.cg_floor_out, cg)) ==
          NULL) {
    fprintf(stderr, "cg_floor: attaching to %s failed (%s)\n", child,
            strerror(errno));
    goto cleanup;
  }
  floor_hold(1);
  const struct cg_floor_bpf__bss *b = skel->bss;
  printf("segments %llu bytes %llu ingress %llu %llu egress %llu %llu\n",
         (unsigned long long)(b->segs_in + b->segs_out),
         (unsigned long long)(b->bytes_in + b->bytes_out),
         (unsigned long long)b->segs_in, (unsigned long long)b->bytes_in,
         (unsigned long long)b->segs_out, (unsigned long long)b->bytes_out);
  fflush(stdout);
  rc = 0;
cleanup:
  /* Detached before memcached leaves, so no program outlives this run;
   * its connections keep the directory's cgroup until they close, which
   * does not stop the rmdir (each run's memcached is fresh). */
  bpf_link__destroy(out);
  bpf_link__destroy(in);
  cg_floor_bpf__destroy(skel);
  if (cg >= 0)
    close(cg);
  /* ESRCH: memcached already exited, nothing to move back. */
  if (moved && !move_to(home, pid) && errno != ESRCH) {
    fprintf(stderr, "cg_floor: moving process %ld back to %s: %s\n", pid, home,
            strerror(errno));
    rc = 1;
  }
  if (rmdir(child) != 0) {
    fprintf(stderr, "cg_floor: rmdir %s: %s\n", child, strerror(errno));
    rc = 1;
  }
  return rc;
}
