/*
 * bench/sock_floor: attaches sock_floor.bpf.c's socket filter to the
 * listening TCP socket of a memcached process (taken with pidfd_getfd(2)),
 * so every connection it accepts from then on runs the filter, and holds
 * it until SIGTERM: the floor of a source from the socket bytes that hooks
 * memcached's sockets rather than every system call.
 *
 *   sock_floor PID PORT
 *
 * Prints "attached 1" once attached; at SIGTERM, "segments N bytes M".
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "floor_loader.h"
#include "sock_floor.skel.h"

/* The inode of PID's TCP socket listening on PORT (IPv4 or IPv6), or 0. */
static unsigned long listening_inode(long pid, unsigned port) {
  static const char *const tables[] = {"tcp", "tcp6"};
  unsigned long found = 0;
  for (size_t t = 0; t < 2 && found == 0; t++) {
    char path[64], line[512];
    snprintf(path, sizeof(path), "/proc/%ld/net/%s", pid, tables[t]);
    FILE *f = fopen(path, "r");
    if (f == NULL)
      continue;
    while (found == 0 && fgets(line, sizeof(line), f) != NULL) {
      char local[64];
      unsigned state;
      unsigned long inode;
      /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
      if (sscanf(line, " %*s %63s %*s %x %*s %*s %*s %*s %*s %lu", local,
                 &state, &inode) != 3)
        continue;
      char *colon = strrchr(local, ':');
      if (colon != NULL && state == 0x0A &&
          strtoul(colon + 1, NULL, 16) == port)
        found = inode;
    }
    fclose(f);
  }
  return found;
}

/* PID's descriptor for socket inode, or -1. */
static int fd_of_inode(long pid, unsigned long inode) {
  char dir[64], want[64];
  snprintf(dir, sizeof(dir), "/proc/%ld/fd", pid);
  snprintf(want, sizeof(want), "socket:[%lu]", inode);
  DIR *d = opendir(dir);
  if (d == NULL)
    return -1;
  int fd = -1;
  struct dirent *e;
  while (fd < 0 && (e = readdir(d)) != NULL) {
    char link[128], path[320];
    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    ssize_t n = readlink(path, link, sizeof(link) - 1);
    if (n <= 0)
      continue;
    link[n] = '\0';
    if (strcmp(link, want) == 0)
      fd = atoi(e->d_name);
  }
  closedir(d);
  return fd;
}

int main(int argc, char **argv) {
  long pid, port;
  if (!floor_args(argc, argv, true, &pid, &port))
    return 2;
  unsigned long inode = listening_inode(pid, (unsigned)port);
  int theirs = inode != 0 ? fd_of_inode(pid, inode) : -1;
  int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
  int sock = theirs >= 0 && pidfd >= 0
                 ? (int)syscall(SYS_pidfd_getfd, pidfd, theirs, 0)
                 : -1;
  if (sock < 0) {
    fprintf(stderr, "sock_floor: no listening socket of process %ld on port "
                    "%ld to take (%s)\n",
            pid, port, strerror(errno));
    return 1;
  }
  struct sock_floor_bpf *skel = sock_floor_bpf__open_and_load();
  int prog = skel != NULL ? bpf_program__fd(skel->progs.sock_floor) : -1;
  if (prog < 0 ||
      setsockopt(sock, SOL_SOCKET, SO_ATTACH_BPF, &prog, sizeof(prog)) != 0) {
    fprintf(stderr, "sock_floor: attaching the socket filter failed (%s)\n",
            strerror(errno));
    sock_floor_bpf__destroy(skel);
    return 1;
  }
  floor_hold(1);
  printf("segments %llu bytes %llu\n",
         (unsigned long long)skel->bss->segs_seen,
         (unsigned long long)skel->bss->bytes_seen);
  /* The listener's filter goes; connections accepted meanwhile keep
   * theirs until they close (each run's memcached is fresh). */
  setsockopt(sock, SOL_SOCKET, SO_DETACH_BPF, &prog, sizeof(prog));
  sock_floor_bpf__destroy(skel);
  close(sock);
  close(pidfd);
  return 0;
}
