/*
 * bench/floor: attaches the empty programs of floor.bpf.c to a memcached
 * process through mctop's own attach table (attach/probes.c), the way
 * mctop's default configuration would, and holds them until SIGTERM.
 *
 *   floor PID [lookups]     lookups: also assoc__find (mctop's "Lookups true")
 *             [latency]     also process__command__start/end
 *             [key]         also copy each site's key
 *             [count]       also hash it and add 1 to a 16 MiB table's line
 *             [slots=N]     count: the table has N lines (a power of two;
 *                           262144 unless given), as mctop's has
 *                           for the MaxKeys bench/run gives it
 *             [oldhash]     copy the key and hash it with the old, unkeyed
 *                           hash (no table)
 *             [siphash]     ... with mctop's keyed SipHash-1-3
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
#include "sites.h"
#include "target.h"
#include "uprobe_links.h"

/* "count": as many 64-byte lines as mctop's slots at bench/run's MaxKeys
 * 262144 (16 MiB), unless "slots=N" sizes it for another MaxKeys. */
#define FLOOR_TABLE_SLOTS (1u << 18)
#define FLOOR_TABLE_SLOTS_MAX (1u << 24)

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
  (void)sig;
  stop = 1;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr,
            "usage: %s PID [lookups] [latency] [key] [count] [slots=N] "
            "[oldhash] [siphash]\n",
            argv[0]);
    return 2;
  }
  pid_t pid = (pid_t)atoi(argv[1]);
  char exe[64];
  snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
  mctop_target_t t;
  mctop_inspect_opts_t o = {.probes = MCTOP_PROBES_AUTO};
  if (mctop_target_inspect(&t, "floor", exe, pid, &o) != 0)
    return 1;
  bool lookups = !t.text_command_probes, latency = false, key = false;
  bool count = false;
  unsigned long slots = FLOOR_TABLE_SLOTS;
  unsigned hash = 0; /* floor.bpf.c's HASH_OLD, HASH_SIP */
  for (int i = 2; i < argc; i++) {
    lookups |= strcmp(argv[i], "lookups") == 0;
    latency |= strcmp(argv[i], "latency") == 0;
    key |= strcmp(argv[i], "key") == 0;
    count |= strcmp(argv[i], "count") == 0;
    if (strncmp(argv[i], "slots=", 6) == 0) {
      char *end;
      slots = strtoul(argv[i] + 6, &end, 10);
      /* The program masks the hash: only a power of two is one. */
      if (*end != '\0' || slots == 0 || (slots & (slots - 1)) != 0 ||
          slots > FLOOR_TABLE_SLOTS_MAX) {
        fprintf(stderr, "floor: %s: a power of two up to %u\n", argv[i],
                FLOOR_TABLE_SLOTS_MAX);
        return 2;
      }
    }
    if (strcmp(argv[i], "oldhash") == 0)
      hash = 1;
    else if (strcmp(argv[i], "siphash") == 0)
      hash = 2;
  }
  struct floor_bpf *skel = floor_bpf__open();
  if (skel != NULL) {
    skel->rodata->targ_copy_key = key || count || hash != 0;
    skel->rodata->targ_count_key = count;
    skel->rodata->targ_hash = hash;
    /* Any secret costs the same; mctop draws its own (attach/engine.c). */
    skel->rodata->hash_seed[0] = 0x0706050403020100ULL;
    skel->rodata->hash_seed[1] = 0x0f0e0d0c0b0a0908ULL;
    if (count) { /* the table mctop's bench configuration has */
      skel->rodata->targ_table_mask = (__u32)(slots - 1);
      bpf_map__set_max_entries(skel->maps.table, (__u32)slots);
    }
  }
  bool multi = mctop_uprobe_multi_supported();
  if (skel != NULL && multi)
    bpf_program__set_expected_attach_type(skel->progs.mctop_site_hit,
                                          MCTOP_TRACE_UPROBE_MULTI);
  if (skel == NULL || floor_bpf__load(skel) != 0) {
    fprintf(stderr, "floor: loading the BPF object failed\n");
    return 1;
  }
  mctop_sites_t sites;
  mctop_sites_init(&sites, bpf_map__fd(skel->maps.sites));
  mctop_attacher_t attacher = {
      .prog = skel->progs.mctop_site_hit, .sites = &sites, .multi = multi};
  mctop_links_t links;
  int n = mctop_attach_target(&attacher, "floor", &t, lookups, latency, &links);
  printf("attached %d\n", n);
  fflush(stdout);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  while (!stop && n > 0)
    pause();
  mctop_detach_all(&links);
  mctop_sites_destroy(&sites);
  floor_bpf__destroy(skel);
  mctop_target_free(&t);
  return n > 0 ? 0 : 1;
}
