/*
 * mctop: one traced instance (see engine.h).
 *
 * Loading the BPF object (open -> configure -> load) happens in the first
 * tick rather than at config time, and is retried with back-off while it
 * fails.  Once loaded, the maps live as long as the engine, and every tick
 * attaches to the processes the config names and detaches from the ones
 * that are gone (tracking.c), so counters stay monotonic across memcached
 * restarts.
 */
#include "engine.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "backoff.h"
#include "drain.h"
#include "errors.h"
#include "interval.h"
#include "log.h"
#include "mctop.skel.h"
#include "sites.h"
#include "tracking.h"
#include "uprobe_links.h"
#include "version.h"

struct mctop_engine {
  mctop_instance_config_t cfg;
  struct mctop_bpf *skel; /* NULL until loaded */
  mctop_tracking_t tracking;
  mctop_sites_t sites;       /* the attach sites of the loaded object */
  mctop_attacher_t attacher; /* its program, its sites, the link kind */
  bool announced;            /* "tracing" said */
  mctop_drain_t drain;       /* the key table, once loaded */
  mctop_interval_t interval; /* what user space keeps of it, once loaded */
  enum mctop_sort sort;      /* what ranks keys (SortBy, or lookups) */
  mctop_backoff_t retry;     /* loading the object again after a failure */
  mctop_latency_t latency;   /* last interval's histograms (Latency) */
  /* Map reads that fail every interval: said with back-off and a count. */
  mctop_complaint_t totals_failed, latency_failed;
};

mctop_engine_t *mctop_engine_new(mctop_instance_config_t *cfg) {
  mctop_engine_t *e = calloc(1, sizeof(*e));
  if (e == NULL)
    return NULL;
  if (mctop_tracking_init(&e->tracking, cfg) != 0 ||
      mctop_latency_init(&e->latency) != 0) {
    mctop_latency_free(&e->latency);
    free(e);
    return NULL;
  }
  e->cfg = *cfg;
  memset(cfg, 0, sizeof(*cfg));
  return e;
}

const mctop_instance_config_t *mctop_engine_config(const mctop_engine_t *e) {
  return &e->cfg;
}

static void teardown(mctop_engine_t *e) {
  mctop_tracking_detach(&e->tracking);
  mctop_interval_free(&e->interval);
  mctop_drain_close(&e->drain);
  mctop_bpf__destroy(e->skel);
  e->skel = NULL;
}

/* The key hash's secret (bpf/key_hash.h), fresh for every load so that
 * no one outside can compute which keys collide.  Never blocks: before the
 * kernel's pool is ready the load fails and is retried. */
static int draw_hash_seed(mctop_engine_t *e) {
  char why[128];
  __u64 seed[2];
  ssize_t n = getrandom(seed, sizeof(seed), GRND_NONBLOCK);
  if (n == (ssize_t)sizeof(seed)) {
    e->skel->rodata->hash_seed[0] = seed[0];
    e->skel->rodata->hash_seed[1] = seed[1];
    return 0;
  }
  MCTOP_ERROR("instance \"%s\": drawing the key hash's secret from "
              "getrandom(2) failed: %s",
              e->cfg.name,
              mctop_strerror(n < 0 ? errno : EIO, why, sizeof(why)));
  return -1;
}

static int load(mctop_engine_t *e) {
  char why[128];
  e->skel = mctop_bpf__open();
  if (e->skel == NULL) {
    MCTOP_ERROR("instance \"%s\": opening the BPF object failed: %s",
                e->cfg.name, mctop_strerror(errno, why, sizeof(why)));
    return -1;
  }
  if (draw_hash_seed(e) != 0)
    return -1;
  e->skel->rodata->targ_latency = e->cfg.latency;
  bool multi = mctop_uprobe_multi_supported();
  if (multi)
    bpf_program__set_expected_attach_type(e->skel->progs.mctop_site_hit,
                                          MCTOP_TRACE_UPROBE_MULTI);
  /* A new object's histograms start at zero. */
  memset(e->latency.prev, 0, sizeof(e->latency.prev));
  size_t nslots = mctop_table_slots(e->cfg.max_keys);
  __u32 nbuckets = (__u32)mctop_table_buckets(nslots);
  e->skel->rodata->nbuckets = nbuckets;
  int err = bpf_map__set_max_entries(e->skel->maps.slots, nbuckets);
  if (err == 0)
    err = bpf_map__set_max_entries(e->skel->maps.buckets, nbuckets);
  if (err == 0)
    err = bpf_map__set_max_entries(e->skel->maps.knocks, nbuckets);
  if (err == 0)
    err = bpf_map__set_max_entries(e->skel->maps.slot_lat,
                                   e->cfg.latency ? (__u32)nslots : 1);
  if (err == 0)
    err = bpf_map__set_max_entries(e->skel->maps.names,
                                   mctop_names_ring_bytes(e->cfg.max_keys));
  if (err == 0 && !e->cfg.latency) /* no connection is ever tracked */
    err = bpf_map__set_max_entries(e->skel->maps.inflight, 1);
  if (err == 0)
    err = mctop_bpf__load(e->skel);
  if (err == 0)
    err = mctop_drain_open(
        &e->drain,
        &(mctop_table_fds_t){
            .slots = bpf_map__fd(e->skel->maps.slots),
            .buckets = bpf_map__fd(e->skel->maps.buckets),
            .knocks = bpf_map__fd(e->skel->maps.knocks),
            .lat = e->cfg.latency ? bpf_map__fd(e->skel->maps.slot_lat) : -1,
            .names = bpf_map__fd(e->skel->maps.names),
        },
        nslots, e->cfg.max_keys);
  if (err == 0) {
    e->drain.names_full = &e->skel->bss->names_full;
    e->drain.admit_knocks_at = &e->skel->data->admit_knocks;
    e->drain.home_first_at = &e->skel->data->home_first;
  }
  /* The interval keeps a pointer to the config's key policy. */
  if (err == 0 && mctop_interval_init(&e->interval, &e->cfg.keys,
                                      e->cfg.top_keys, nslots) != 0)
    err = -ENOMEM;
  if (err != 0) {
    MCTOP_ERROR("instance \"%s\": loading the BPF program failed: %s. mctop "
                "needs root, or CAP_BPF and CAP_PERFMON, and a kernel with "
                "BPF and uprobes",
                e->cfg.name, mctop_strerror(-err, why, sizeof(why)));
    return -1;
  }
  mctop_sites_init(&e->sites, bpf_map__fd(e->skel->maps.sites));
  e->attacher = (mctop_attacher_t){
      .prog = e->skel->progs.mctop_site_hit,
      .sites = &e->sites,
      .multi = multi,
  };
  return 0;
}

/* Loads the BPF object if due; returns 0 once it is loaded.  A failed
 * load is tried again after MCTOP_RETRY_FIRST, doubling to
 * MCTOP_RETRY_MAX. */
static int ensure_loaded(mctop_engine_t *e) {
  if (e->skel != NULL)
    return 0;
  double now = mctop_now();
  if (!mctop_backoff_due(&e->retry, now))
    return -1;
  if (load(e) == 0) {
    mctop_backoff_reset(&e->retry);
    return 0;
  }
  teardown(e);
  double wait =
      mctop_backoff_failed(&e->retry, now, MCTOP_RETRY_FIRST, MCTOP_RETRY_MAX);
  MCTOP_WARNING("instance \"%s\": not tracing; retrying in %.0f s", e->cfg.name,
                wait);
  return -1;
}

/* The interval: totals, keys, then the engine's own figures. */
static int drain(mctop_engine_t *e, mctop_report_t *r) {
  double t0 = mctop_clock_seconds(CLOCK_MONOTONIC);
  double cpu0 = mctop_clock_seconds(CLOCK_THREAD_CPUTIME_ID);
  char why[128];
  struct mctop_totals totals; /* before the keys: see interval.h */
  int err = mctop_read_totals(bpf_map__fd(e->skel->maps.totals), &totals);
  if (err != 0) {
    mctop_complain_at(&e->totals_failed, t0, MCTOP_LOG_ERR,
                      "instance \"%s\": reading the totals map failed: %s",
                      e->cfg.name, mctop_strerror(-err, why, sizeof(why)));
    return -1;
  }
  mctop_release(&e->totals_failed, MCTOP_LOG_NOTICE,
                "instance \"%s\": reading the totals map works again",
                e->cfg.name);
  mctop_interval_run(&e->interval, &e->drain, &totals, e->sort, r);
  if (e->cfg.latency) {
    err = mctop_latency_read(&e->latency, bpf_map__fd(e->skel->maps.latency),
                             e->cfg.percentiles, e->cfg.percentiles_num,
                             &r->latency);
    r->latency_read = err == 0;
    if (err != 0)
      mctop_complain_at(&e->latency_failed, t0, MCTOP_LOG_ERR,
                        "instance \"%s\": reading the latency map failed: %s",
                        e->cfg.name, mctop_strerror(-err, why, sizeof(why)));
    else
      mctop_release(&e->latency_failed, MCTOP_LOG_NOTICE,
                    "instance \"%s\": reading the latency map works again",
                    e->cfg.name);
  }
  r->targets = mctop_tracking_count(&e->tracking, r->probes);
  r->drain_seconds = mctop_clock_seconds(CLOCK_MONOTONIC) - t0;
  r->drain_cpu_seconds = mctop_clock_seconds(CLOCK_THREAD_CPUTIME_ID) - cpu0;
  return 0;
}

/*
 * Follows the processes, and ranks "calls" by key lookups where a traced
 * memcached fires no command probes for text commands (1.6.40+).
 */
static void follow_targets(mctop_engine_t *e) {
  mctop_tracking_update(&e->tracking, &e->cfg, &e->attacher);
  enum mctop_sort score = e->cfg.sort_by;
  if (score == MCTOP_SORT_CALLS &&
      mctop_tracking_lookups_for_calls(&e->tracking))
    score = MCTOP_SORT_LOOKUPS;
  e->sort = score;
  if (!e->announced) {
    unsigned probes[MCTOP_PROBE_COUNT];
    size_t n = mctop_tracking_count(&e->tracking, probes);
    MCTOP_INFO("instance \"%s\": tracing %zu target%s, MaxKeys %u, TopKeys "
               "%u by %s",
               e->cfg.name, n, n == 1 ? "" : "s", e->cfg.max_keys,
               e->cfg.top_keys, mctop_sort_by_name(score));
    e->announced = true;
  }
}

int mctop_engine_tick(mctop_engine_t *e, mctop_report_t *r) {
  memset(r, 0, sizeof(*r));
  if (ensure_loaded(e) != 0)
    return 1; /* idle: our own back-off */
  follow_targets(e);
  return drain(e, r);
}

const char *mctop_engine_probe_name(size_t i) { return mctop_probe_name(i); }

void mctop_engine_versions(const mctop_engine_t *e, char *buf, size_t size) {
  size_t n = 0;
  if (size > 0)
    buf[0] = '\0';
  for (size_t i = 0; i < e->tracking.num; i++) {
    const mctop_attached_t *a = &e->tracking.items[i];
    if (!a->usable || a->info.version[0] == '\0' ||
        mctop_version_listed(buf, a->info.version))
      continue;
    int w = snprintf(buf + n, n < size ? size - n : 0, "%s%s", n ? ", " : "",
                     a->info.version);
    if (w > 0)
      n += (size_t)w;
  }
}

void mctop_engine_free(mctop_engine_t *e) {
  if (e == NULL)
    return;
  /* The reaper's queued links use the object and give site ids back: stop
   * it before destroying either. */
  mctop_tracking_free(&e->tracking);
  teardown(e);
  mctop_sites_destroy(&e->sites);
  mctop_latency_free(&e->latency);
  mctop_config_free(&e->cfg);
  free(e);
}
