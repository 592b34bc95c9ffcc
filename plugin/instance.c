/*
 * mctop plugin: instance lifecycle.
 *
 * Setting up (open -> configure -> load -> attach) happens in the first read
 * rather than at config time, and is retried with back-off while it fails:
 * a memcached that is not running yet, or a missing privilege, leaves the
 * instance idle and logged, never collectd down.
 */
#include "instance.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "drain.h"
#include "log.h"
#include "mctop.skel.h"
#include "probes.h"
#include "submit.h"
#include "target.h"
#include "topn.h"

#define RETRY_FIRST TIME_T_TO_CDTIME_T(10)
#define RETRY_MAX TIME_T_TO_CDTIME_T(300)

/* Evict idle keys once the map is this full (percent). */
#define EVICT_FILL_PERCENT 90

struct mctop_instance {
  mctop_instance_config_t cfg;
  struct mctop_bpf *skel;  /* NULL while not set up */
  mctop_target_t *targets; /* inspected binaries, while set up */
  size_t targets_num;
  bool lookups;          /* assoc__find attached */
  enum mctop_sort score; /* what the kernel ranks by */
  mctop_links_t links;
  mctop_drain_t drain;
  mctop_topn_t topn;
  size_t tracked;       /* keys in the map at the last drain */
  uint64_t slot_misses; /* key_slot_misses at the last drain */
  cdtime_t next_setup;
  cdtime_t retry_delay;
};

mctop_instance_t *mctop_instance_new(mctop_instance_config_t *cfg) {
  mctop_instance_t *inst = calloc(1, sizeof(*inst));
  if (inst == NULL)
    return NULL;
  if (mctop_drain_init(&inst->drain) != 0 ||
      mctop_topn_init(&inst->topn, cfg->top_keys) != 0) {
    mctop_drain_free(&inst->drain);
    free(inst);
    return NULL;
  }
  inst->cfg = *cfg;
  memset(cfg, 0, sizeof(*cfg));
  inst->retry_delay = RETRY_FIRST;
  return inst;
}

static void teardown(mctop_instance_t *inst) {
  mctop_detach_all(&inst->links);
  for (size_t i = 0; i < inst->targets_num; i++)
    mctop_target_free(&inst->targets[i]);
  free(inst->targets);
  inst->targets = NULL;
  inst->targets_num = 0;
  mctop_bpf__destroy(inst->skel);
  inst->skel = NULL;
}

static int read_pidfile(const char *path, pid_t *pid) {
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    MCTOP_ERROR("cannot open PIDFile %s: %s", path, strerror(errno));
    return -1;
  }
  long v = 0;
  int ok = fscanf(f, "%ld", &v) == 1 && v > 0 && v <= MCTOP_PID_MAX;
  fclose(f);
  if (!ok) {
    MCTOP_ERROR("PIDFile %s does not hold a process ID", path);
    return -1;
  }
  *pid = (pid_t)v;
  return 0;
}

static void add_target(mctop_instance_t *inst, const char *path, pid_t pid) {
  mctop_target_t *t =
      realloc(inst->targets, (inst->targets_num + 1) * sizeof(*t));
  if (t == NULL)
    return;
  inst->targets = t;
  if (mctop_target_inspect(&t[inst->targets_num], inst->cfg.name, path, pid) ==
      0)
    inst->targets_num++;
}

static void add_pid(mctop_instance_t *inst, pid_t pid) {
  char exe[64];
  snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
  if (access(exe, F_OK) != 0) {
    MCTOP_ERROR("instance \"%s\": PID %d: %s (is memcached running?)",
                inst->cfg.name, (int)pid, strerror(errno));
    return;
  }
  add_target(inst, exe, pid);
}

/* Finds and inspects every configured target; returns how many are usable. */
static size_t find_targets(mctop_instance_t *inst) {
  for (size_t i = 0; i < inst->cfg.pids_num; i++)
    add_pid(inst, inst->cfg.pids[i]);
  pid_t pid;
  if (inst->cfg.pidfile != NULL && read_pidfile(inst->cfg.pidfile, &pid) == 0)
    add_pid(inst, pid);
  for (size_t i = 0; i < inst->cfg.binaries_num; i++)
    add_target(inst, inst->cfg.binaries[i], -1);
  return inst->targets_num;
}

/*
 * Where text and meta commands fire no command probe (memcached 1.6.40+),
 * key lookups are the only per-key signal: count them (Lookups "auto"), and
 * rank "calls" by them.
 */
static void choose_probes(mctop_instance_t *inst) {
  bool full = true;
  for (size_t i = 0; i < inst->targets_num; i++)
    full = full && inst->targets[i].text_command_probes;
  inst->lookups = inst->cfg.lookups == MCTOP_LOOKUPS_ON ||
                  (inst->cfg.lookups == MCTOP_LOOKUPS_AUTO && !full);
  inst->score = inst->cfg.sort_by;
  if (inst->score == MCTOP_SORT_CALLS && !full && inst->lookups)
    inst->score = MCTOP_SORT_LOOKUPS;
}

static int attach_targets(mctop_instance_t *inst) {
  int probes = 0;
  for (size_t i = 0; i < inst->targets_num; i++)
    probes +=
        mctop_attach_target(inst->skel->obj, inst->cfg.name, &inst->targets[i],
                            inst->lookups, &inst->links);
  return probes;
}

static int load(mctop_instance_t *inst) {
  inst->skel = mctop_bpf__open();
  if (inst->skel == NULL) {
    MCTOP_ERROR("instance \"%s\": opening the BPF object failed: %s",
                inst->cfg.name, strerror(errno));
    return -1;
  }
  inst->skel->rodata->sort_by = inst->score;
  int err = bpf_map__set_max_entries(inst->skel->maps.keys, inst->cfg.max_keys);
  if (err == 0)
    err = bpf_map__set_max_entries(inst->skel->maps.names, inst->cfg.max_keys);
  if (err == 0)
    err = mctop_bpf__load(inst->skel);
  if (err != 0) {
    MCTOP_ERROR("instance \"%s\": loading the BPF program failed: %s. mctop "
                "needs root, or CAP_BPF and CAP_PERFMON, and a kernel with "
                "BPF and uprobes",
                inst->cfg.name, strerror(-err));
    return -1;
  }
  return 0;
}

static int setup(mctop_instance_t *inst) {
  if (find_targets(inst) == 0) {
    teardown(inst);
    return -1;
  }
  choose_probes(inst);
  if (load(inst) != 0 || attach_targets(inst) == 0) {
    teardown(inst);
    return -1;
  }
  MCTOP_INFO("instance \"%s\": tracing with %zu probe links, MaxKeys %u, "
             "TopKeys %u by %s%s",
             inst->cfg.name, inst->links.links_num, inst->cfg.max_keys,
             inst->cfg.top_keys, mctop_sort_by_name(inst->score),
             inst->lookups ? ", counting key lookups" : "");
  return 0;
}

/* Sets up if due; returns 0 once the instance is tracing. */
static int ensure_setup(mctop_instance_t *inst) {
  if (inst->skel != NULL)
    return 0;
  cdtime_t now = cdtime();
  if (now < inst->next_setup)
    return -1;
  if (setup(inst) == 0) {
    inst->retry_delay = RETRY_FIRST;
    return 0;
  }
  MCTOP_WARNING("instance \"%s\": not tracing; retrying in %.0f s",
                inst->cfg.name, CDTIME_T_TO_DOUBLE(inst->retry_delay));
  inst->next_setup = now + inst->retry_delay;
  inst->retry_delay *= 2;
  if (inst->retry_delay > RETRY_MAX)
    inst->retry_delay = RETRY_MAX;
  return -1;
}

/* Starts a new ranking generation; returns the one just finished. */
static uint64_t next_generation(mctop_instance_t *inst) {
  uint64_t gen = inst->skel->bss->drain_gen;
  __atomic_store_n(&inst->skel->bss->drain_gen, gen + 1, __ATOMIC_RELEASE);
  return gen;
}

static double seconds_since(clockid_t clock, const struct timespec *t0) {
  struct timespec t1;
  clock_gettime(clock, &t1);
  return (double)(t1.tv_sec - t0->tv_sec) +
         (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Names only the keys that are dispatched: O(TopKeys) lookups. */
static void submit_top_keys(mctop_instance_t *inst) {
  int names_fd = bpf_map__fd(inst->skel->maps.names);
  struct mctop_key key;
  for (size_t i = 0; i < inst->topn.len; i++) {
    const mctop_candidate_t *c = &inst->topn.items[i];
    /* A key inserted this very instant may not have its name yet: it is
     * dispatched next interval. */
    if (bpf_map_lookup_elem(names_fd, &c->id, &key) == 0 &&
        key.len <= MCTOP_KEY_MAX)
      mctop_submit_key(inst->cfg.name, &key, &c->stats);
  }
}

static int drain_and_submit(mctop_instance_t *inst) {
  struct timespec t0, cpu0;
  struct mctop_totals totals;
  mctop_drain_result_t res;

  clock_gettime(CLOCK_MONOTONIC, &t0);
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu0);
  int err = mctop_read_totals(bpf_map__fd(inst->skel->maps.totals), &totals);
  if (err != 0) {
    MCTOP_ERROR("instance \"%s\": reading the totals map failed: %s",
                inst->cfg.name, strerror(-err));
    return -1;
  }
  bool evict =
      inst->tracked * 100 >= (size_t)inst->cfg.max_keys * EVICT_FILL_PERCENT ||
      totals.key_slot_misses > inst->slot_misses;
  mctop_topn_reset(&inst->topn);
  err = mctop_drain_keys(&inst->drain, bpf_map__fd(inst->skel->maps.keys),
                         bpf_map__fd(inst->skel->maps.names),
                         next_generation(inst), evict, &inst->topn, &res);
  if (err != 0) {
    MCTOP_ERROR("instance \"%s\": reading the keys map failed: %s",
                inst->cfg.name, strerror(-err));
    return -1;
  }
  inst->tracked = res.tracked - res.evicted;
  inst->slot_misses = totals.key_slot_misses;
  mctop_topn_sort(&inst->topn);
  mctop_submit_totals(inst->cfg.name, &totals);
  submit_top_keys(inst);
  mctop_submit_probes(inst->cfg.name, inst->links.attached);
  mctop_submit_health(inst->cfg.name, &totals, inst->tracked,
                      seconds_since(CLOCK_MONOTONIC, &t0),
                      seconds_since(CLOCK_THREAD_CPUTIME_ID, &cpu0));
  return 0;
}

int mctop_instance_read(user_data_t *ud) {
  mctop_instance_t *inst = ud->data;
  if (ensure_setup(inst) != 0)
    return 0; /* idle: our own back-off, not collectd's */
  return drain_and_submit(inst);
}

void mctop_instance_free(void *p) {
  mctop_instance_t *inst = p;
  if (inst == NULL)
    return;
  teardown(inst);
  mctop_drain_free(&inst->drain);
  mctop_topn_free(&inst->topn);
  mctop_config_free(&inst->cfg);
  free(inst);
}
