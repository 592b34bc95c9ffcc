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
#include "series.h"
#include "sites.h"
#include "submit.h"
#include "tracking.h"
#include "uprobe_links.h"

#define RETRY_FIRST TIME_T_TO_CDTIME_T(10)
#define RETRY_MAX TIME_T_TO_CDTIME_T(300)

struct mctop_instance {
  mctop_instance_config_t cfg;
  struct mctop_bpf *skel; /* NULL until loaded */
  mctop_tracking_t tracking;
  mctop_sites_t sites;       /* the attach sites of the loaded object */
  mctop_attacher_t attacher; /* its program, its sites, the link kind */
  bool announced;            /* "tracing" said */
  mctop_drain_t drain;       /* the key table, once loaded */
  mctop_series_t series;
  enum mctop_sort sort;        /* what ranks keys (SortBy, or lookups) */
  uint64_t new_series_refused; /* picks MaxNewSeries turned away, ever */
  cdtime_t next_setup;
  cdtime_t retry_delay;
  mctop_latency_t latency; /* last interval's histograms (Latency) */
};

mctop_instance_t *mctop_instance_new(mctop_instance_config_t *cfg) {
  mctop_instance_t *inst = calloc(1, sizeof(*inst));
  if (inst == NULL)
    return NULL;
  if (mctop_tracking_init(&inst->tracking, cfg) != 0 ||
      mctop_latency_init(&inst->latency) != 0) {
    mctop_latency_free(&inst->latency);
    free(inst);
    return NULL;
  }
  inst->cfg = *cfg;
  memset(cfg, 0, sizeof(*cfg));
  /* After the move: the series module keeps a pointer to the policy. */
  if (mctop_series_init(&inst->series, &inst->cfg.keys, inst->cfg.top_keys) !=
      0) {
    mctop_instance_free(inst);
    return NULL;
  }
  inst->retry_delay = RETRY_FIRST;
  return inst;
}

static void teardown(mctop_instance_t *inst) {
  mctop_tracking_detach(&inst->tracking);
  mctop_drain_close(&inst->drain, &inst->series);
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
  bool multi = mctop_uprobe_multi_supported();
  if (multi)
    bpf_program__set_expected_attach_type(inst->skel->progs.mctop_site_hit,
                                          MCTOP_TRACE_UPROBE_MULTI);
  /* A new object's histograms start at zero. */
  memset(inst->latency.prev, 0, sizeof(inst->latency.prev));
  size_t nslots = mctop_table_slots(inst->cfg.max_keys);
  inst->skel->rodata->slot_mask = (__u32)(nslots - 1);
  int err = bpf_map__set_max_entries(inst->skel->maps.slots, (__u32)nslots);
  if (err == 0)
    err = bpf_map__set_max_entries(inst->skel->maps.slot_lat,
                                   inst->cfg.latency ? (__u32)nslots : 1);
  if (err == 0)
    err = bpf_map__set_max_entries(inst->skel->maps.names,
                                   mctop_names_ring_bytes(nslots));
  if (err == 0 && !inst->cfg.latency) /* no connection is ever tracked */
    err = bpf_map__set_max_entries(inst->skel->maps.inflight, 1);
  if (err == 0)
    err = mctop_bpf__load(inst->skel);
  if (err == 0)
    err = mctop_drain_open(
        &inst->drain, bpf_map__fd(inst->skel->maps.slots), nslots,
        inst->cfg.latency ? bpf_map__fd(inst->skel->maps.slot_lat) : -1,
        bpf_map__fd(inst->skel->maps.names));
  if (err == 0)
    inst->drain.names_full = &inst->skel->bss->names_full;
  if (err != 0) {
    MCTOP_ERROR("instance \"%s\": loading the BPF program failed: %s. mctop "
                "needs root, or CAP_BPF and CAP_PERFMON, and a kernel with "
                "BPF and uprobes",
                inst->cfg.name, strerror(-err));
    return -1;
  }
  mctop_sites_init(&inst->sites, bpf_map__fd(inst->skel->maps.sites));
  inst->attacher = (mctop_attacher_t){
      .prog = inst->skel->progs.mctop_site_hit,
      .sites = &inst->sites,
      .multi = multi,
  };
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

static double seconds_since(clockid_t clock, const struct timespec *t0) {
  struct timespec t1;
  clock_gettime(clock, &t1);
  return (double)(t1.tv_sec - t0->tv_sec) +
         (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Dispatches the interval's picks, under the names user space keeps. */
static void submit_series(mctop_instance_t *inst) {
  mctop_series_t *s = &inst->series;
  uint64_t values[MCTOP_KEY_FIELDS_NUM];
  char name[MCTOP_KEYNAME_SIZE];
  for (size_t i = 0; i < s->chosen_num; i++) {
    const mctop_candidate_t *c = s->chosen[i];
    if (c->series < 0)
      mctop_key_own_name(&inst->cfg.keys, c->key->name + 1, c->key->name[0],
                         name);
    else
      snprintf(name, sizeof(name), "%s", s->coll[c->series].name);
    mctop_series_values(s, c, values);
    mctop_submit_key(inst->cfg.name, name, values, mctop_series_latency(s, c));
    mctop_series_dispatched(s, c);
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
  int totals_fd = bpf_map__fd(inst->skel->maps.totals);

  clock_gettime(CLOCK_MONOTONIC, &t0);
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu0);
  /* Totals before keys: an event landing between the two reads is then in
   * a key's figures a moment before it is in the totals, which "other"
   * carries as a shortfall and settles the next interval; read the other
   * way round it would be counted in "other" and then again in the key. */
  int err = mctop_read_totals(totals_fd, &totals);
  if (err != 0) {
    MCTOP_ERROR("instance \"%s\": reading the totals map failed: %s",
                inst->cfg.name, strerror(-err));
    return -1;
  }
  mctop_series_begin(&inst->series, inst->sort);
  mctop_drain_keys(&inst->drain, &totals, &inst->series, &res);
  mctop_series_pick(&inst->series);
  mctop_submit_totals(inst->cfg.name, &totals);
  submit_series(inst);
  uint64_t other[MCTOP_KEY_FIELDS_NUM];
  double other_latency;
  mctop_series_end(&inst->series, &totals, other, &other_latency);
  mctop_submit_other(inst->cfg.name, other, other_latency);
  submit_latency(inst);
  unsigned probes[MCTOP_PROBE_COUNT];
  size_t targets = mctop_tracking_count(&inst->tracking, probes);
  mctop_submit_probes(inst->cfg.name, probes, targets);
  inst->new_series_refused += inst->series.dropped_new;
  mctop_health_t health = {
      .tracked = res.tracked,
      .drain_seconds = seconds_since(CLOCK_MONOTONIC, &t0),
      .drain_cpu_seconds = seconds_since(CLOCK_THREAD_CPUTIME_ID, &cpu0),
      .new_series_refused = inst->new_series_refused,
      .state_bytes =
          mctop_series_bytes(&inst->series) + mctop_drain_bytes(&inst->drain),
  };
  mctop_submit_health(inst->cfg.name, &totals, &health);
  return 0;
}

/*
 * Follows the processes, and ranks "calls" by key lookups where a traced
 * memcached fires no command probes for text commands (1.6.40+).
 */
static void follow_targets(mctop_instance_t *inst) {
  mctop_tracking_update(&inst->tracking, &inst->cfg, &inst->attacher);
  enum mctop_sort score = inst->cfg.sort_by;
  if (score == MCTOP_SORT_CALLS &&
      mctop_tracking_lookups_for_calls(&inst->tracking))
    score = MCTOP_SORT_LOOKUPS;
  inst->sort = score;
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
  /* The reaper's queued links use the object and give site ids back: stop
   * it before destroying either. */
  mctop_tracking_free(&inst->tracking);
  teardown(inst);
  mctop_sites_destroy(&inst->sites);
  mctop_series_free(&inst->series);
  mctop_latency_free(&inst->latency);
  mctop_config_free(&inst->cfg);
  free(inst);
}
