/*
 * mctop plugin: instance lifecycle.
 *
 * Loading the BPF object (open -> configure -> load) happens in the first
 * read rather than at config time, and is retried with back-off while it
 * fails: a missing privilege leaves the instance idle and logged, never
 * collectd down.  Once loaded, the maps live as long as the instance, and
 * every read attaches to the processes the config names and detaches from
 * the ones that are gone (tracking.c), so counters stay monotonic across
 * memcached restarts.
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
#include "latency.h"
#include "log.h"
#include "mctop.skel.h"
#include "probes.h"
#include "submit.h"
#include "topn.h"
#include "tracking.h"

#define RETRY_FIRST TIME_T_TO_CDTIME_T(10)
#define RETRY_MAX TIME_T_TO_CDTIME_T(300)

/* Evict idle keys once the map is this full (percent). */
#define EVICT_FILL_PERCENT 90

struct mctop_instance {
  mctop_instance_config_t cfg;
  struct mctop_bpf *skel; /* NULL until loaded */
  mctop_tracking_t tracking;
  bool announced; /* "tracing" said */
  mctop_drain_t drain;
  mctop_topn_t topn;
  size_t tracked;       /* keys in the map at the last drain */
  uint64_t slot_misses; /* key_slot_misses at the last drain */
  cdtime_t next_setup;
  cdtime_t retry_delay;
  mctop_latency_t latency; /* last interval's histograms (Latency) */
};

mctop_instance_t *mctop_instance_new(mctop_instance_config_t *cfg) {
  mctop_instance_t *inst = calloc(1, sizeof(*inst));
  if (inst == NULL)
    return NULL;
  if (mctop_drain_init(&inst->drain) != 0 ||
      mctop_topn_init(&inst->topn, cfg->top_keys) != 0 ||
      mctop_tracking_init(&inst->tracking, cfg) != 0 ||
      mctop_latency_init(&inst->latency) != 0) {
    mctop_latency_free(&inst->latency);
    mctop_drain_free(&inst->drain);
    mctop_topn_free(&inst->topn);
    free(inst);
    return NULL;
  }
  inst->cfg = *cfg;
  memset(cfg, 0, sizeof(*cfg));
  inst->retry_delay = RETRY_FIRST;
  return inst;
}

static void teardown(mctop_instance_t *inst) {
  mctop_tracking_detach(&inst->tracking);
  mctop_bpf__destroy(inst->skel);
  inst->skel = NULL;
}

static int load(mctop_instance_t *inst) {
  inst->skel = mctop_bpf__open();
  if (inst->skel == NULL) {
    MCTOP_ERROR("instance \"%s\": opening the BPF object failed: %s",
                inst->cfg.name, strerror(errno));
    return -1;
  }
  inst->skel->rodata->targ_latency = inst->cfg.latency;
  /* A new object's histograms start at zero. */
  memset(inst->latency.prev, 0, sizeof(inst->latency.prev));
  int err = bpf_map__set_max_entries(inst->skel->maps.keys, inst->cfg.max_keys);
  if (err == 0)
    err = bpf_map__set_max_entries(inst->skel->maps.names, inst->cfg.max_keys);
  if (err == 0 && !inst->cfg.latency) /* no connection is ever tracked */
    err = bpf_map__set_max_entries(inst->skel->maps.inflight, 1);
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

/* Loads the BPF object if due; returns 0 once it is loaded. */
static int ensure_loaded(mctop_instance_t *inst) {
  if (inst->skel != NULL)
    return 0;
  cdtime_t now = cdtime();
  if (now < inst->next_setup)
    return -1;
  if (load(inst) == 0) {
    inst->retry_delay = RETRY_FIRST;
    return 0;
  }
  teardown(inst);
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
static void submit_top_keys(mctop_instance_t *inst, uint64_t gen) {
  int names_fd = bpf_map__fd(inst->skel->maps.names);
  struct mctop_key key;
  for (size_t i = 0; i < inst->topn.len; i++) {
    const mctop_candidate_t *c = &inst->topn.items[i];
    /* A key inserted this very instant may not have its name yet: it is
     * dispatched next interval. */
    if (bpf_map_lookup_elem(names_fd, &c->id, &key) == 0 &&
        key.len <= MCTOP_KEY_MAX)
      mctop_submit_key(inst->cfg.name, &key, &c->stats, gen);
  }
}

/* The per-command latency percentiles of the interval (option Latency). */
static void submit_latency(mctop_instance_t *inst) {
  if (!inst->cfg.latency)
    return;
  int err = mctop_latency_submit(
      &inst->latency, bpf_map__fd(inst->skel->maps.latency), inst->cfg.name,
      inst->cfg.percentiles, inst->cfg.percentiles_num);
  if (err != 0)
    MCTOP_ERROR("instance \"%s\": reading the latency map failed: %s",
                inst->cfg.name, strerror(-err));
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
  uint64_t gen = next_generation(inst);
  err = mctop_drain_keys(&inst->drain, bpf_map__fd(inst->skel->maps.keys),
                         bpf_map__fd(inst->skel->maps.names), gen, evict,
                         &inst->topn, &res);
  if (err != 0) {
    MCTOP_ERROR("instance \"%s\": reading the keys map failed: %s",
                inst->cfg.name, strerror(-err));
    return -1;
  }
  inst->tracked = res.tracked - res.evicted;
  inst->slot_misses = totals.key_slot_misses;
  mctop_topn_sort(&inst->topn);
  mctop_submit_totals(inst->cfg.name, &totals);
  submit_top_keys(inst, gen);
  submit_latency(inst);
  unsigned probes[MCTOP_PROBE_COUNT];
  size_t targets = mctop_tracking_count(&inst->tracking, probes);
  mctop_submit_probes(inst->cfg.name, probes, targets);
  mctop_submit_health(inst->cfg.name, &totals, inst->tracked,
                      seconds_since(CLOCK_MONOTONIC, &t0),
                      seconds_since(CLOCK_THREAD_CPUTIME_ID, &cpu0));
  return 0;
}

/*
 * Follows the processes, and ranks "calls" by key lookups where a traced
 * memcached fires no command probes for text commands (1.6.40+).
 */
static void follow_targets(mctop_instance_t *inst) {
  mctop_tracking_update(&inst->tracking, &inst->cfg, inst->skel->obj);
  enum mctop_sort score = inst->cfg.sort_by;
  if (score == MCTOP_SORT_CALLS &&
      mctop_tracking_lookups_for_calls(&inst->tracking))
    score = MCTOP_SORT_LOOKUPS;
  inst->skel->bss->sort_by = score;
  if (!inst->announced) {
    unsigned probes[MCTOP_PROBE_COUNT];
    size_t n = mctop_tracking_count(&inst->tracking, probes);
    MCTOP_INFO("instance \"%s\": tracing %zu target%s, MaxKeys %u, TopKeys "
               "%u by %s",
               inst->cfg.name, n, n == 1 ? "" : "s", inst->cfg.max_keys,
               inst->cfg.top_keys, mctop_sort_by_name(score));
    inst->announced = true;
  }
}

int mctop_instance_read(user_data_t *ud) {
  mctop_instance_t *inst = ud->data;
  if (ensure_loaded(inst) != 0)
    return 0; /* idle: our own back-off, not collectd's */
  follow_targets(inst);
  return drain_and_submit(inst);
}

void mctop_instance_free(void *p) {
  mctop_instance_t *inst = p;
  if (inst == NULL)
    return;
  /* The reaper's queued links use the object: stop it before destroying. */
  mctop_tracking_free(&inst->tracking);
  teardown(inst);
  mctop_drain_free(&inst->drain);
  mctop_topn_free(&inst->topn);
  mctop_latency_free(&inst->latency);
  mctop_config_free(&inst->cfg);
  free(inst);
}
