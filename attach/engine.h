/*
 * mctop: one traced instance, whatever shows it.
 *
 * An engine owns an instance's BPF object, its probes and its key table.
 * Each tick loads the object if due (retrying with back-off while it
 * fails: a missing privilege leaves the engine idle and logged), follows
 * the processes the config names, drains the table and hands back the
 * interval as a report.  The collectd plugin dispatches the report; the
 * terminal command draws it.  Nothing here includes collectd.
 */
#ifndef MCTOP_ENGINE_H
#define MCTOP_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "key_fields.h"
#include "keyname.h"
#include "latency.h"
#include "mctop.h"
#include "options.h"
#include "probes.h"

typedef struct mctop_engine mctop_engine_t;

/* One series of the interval: a key, or a collapsed series. */
typedef struct {
  char name[MCTOP_KEYNAME_SIZE];         /* as the rules and privacy name it */
  uint64_t values[MCTOP_KEY_FIELDS_NUM]; /* cumulative (collectd's DERIVE) */
  uint64_t interval[MCTOP_KEY_FIELDS_NUM]; /* what it did in this interval */
  double latency; /* the interval's mean, seconds; NaN: none timed */
} mctop_pick_t;

typedef struct {
  struct mctop_totals totals; /* cumulative since the object was loaded */
  struct mctop_totals totals_interval;  /* what this interval added */
  const mctop_pick_t *picks;            /* best first; the engine's */
  size_t picks_num;                     /* at most TopKeys */
  uint64_t other[MCTOP_KEY_FIELDS_NUM]; /* "~other", cumulative */
  uint64_t other_interval[MCTOP_KEY_FIELDS_NUM];
  double other_latency;
  bool latency_read;                       /* Latency on, and latency filled */
  mctop_latency_interval_t latency;        /* per command type */
  unsigned probes[MCTOP_PROBE_COUNT];      /* links per probe, over targets */
  size_t targets;                          /* processes or binaries attached */
  size_t tracked;                          /* keys in the kernel's table */
  double drain_seconds, drain_cpu_seconds; /* this tick's cost */
  uint64_t new_series_refused;             /* MaxNewSeries, ever */
  size_t state_bytes;                      /* user-space per-key state */
} mctop_report_t;

/* Takes ownership of cfg; NULL if out of memory. */
mctop_engine_t *mctop_engine_new(mctop_instance_config_t *cfg);

/* 0: r holds the interval.  1: idle (not loaded yet; retried later, the
 * reason logged).  -1: reading the maps failed (logged). */
int mctop_engine_tick(mctop_engine_t *e, mctop_report_t *r);

const mctop_instance_config_t *mctop_engine_config(const mctop_engine_t *e);

/* The name of the probe counted in mctop_report_t.probes[i]: a USDT probe
 * ("command__get") or a function ("do_item_get"). */
const char *mctop_engine_probe_name(size_t i);

/* The memcached versions of the targets attached, ", "-joined. */
void mctop_engine_versions(const mctop_engine_t *e, char *buf, size_t size);

/* Detaches every probe and frees the maps. */
void mctop_engine_free(mctop_engine_t *e);

#endif /* MCTOP_ENGINE_H */
