/*
 * bench/floor: attaches the empty programs of floor.bpf.c to a memcached
 * process through mctop's own attach table (plugin/probes.c), the way
 * mctop's default configuration would, and holds them until SIGTERM.
 *
 *   floor PID [lookups]     lookups: also assoc__find (mctop's "Lookups true")
 *
 * Prints "attached N" once attached.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "floor.skel.h"
#include "probes.h"
#include "target.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
  (void)sig;
  stop = 1;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s PID [lookups] [latency]\n", argv[0]);
    return 2;
  }
  pid_t pid = (pid_t)atoi(argv[1]);
  char exe[64];
  snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
  mctop_target_t t;
  if (mctop_target_inspect(&t, "floor", exe, pid) != 0)
    return 1;
  bool lookups = !t.text_command_probes, latency = false;
  for (int i = 2; i < argc; i++) {
    lookups |= strcmp(argv[i], "lookups") == 0;
    latency |= strcmp(argv[i], "latency") == 0;
  }
  struct floor_bpf *skel = floor_bpf__open_and_load();
  if (skel == NULL) {
    fprintf(stderr, "floor: loading the BPF object failed\n");
    return 1;
  }
  mctop_links_t links = {0};
  int n = mctop_attach_target(skel->obj, "floor", &t, lookups, latency, &links);
  printf("attached %d\n", n);
  fflush(stdout);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  while (!stop && n > 0)
    pause();
  mctop_detach_all(&links);
  floor_bpf__destroy(skel);
  mctop_target_free(&t);
  return n > 0 ? 0 : 1;
}
