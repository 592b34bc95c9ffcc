/*
 * mctop: one interval, from the kernel's key table to a finished report.
 *
 * The interval owns what user space keeps per slot of the table (a key's
 * name and its series) and names keys, raw and collapsed, in one place.
 * One call (mctop_interval_run) takes the table through the drain (which
 * yields slot records and decides eviction), hands each key's figures to
 * the series module (which ranks, keeps cumulative values and accounts
 * "~other"), names the picks and fills the report: picks, "~other" and the
 * health figures.  The engine adds what only it knows (latency
 * percentiles, probes, targets).  Testable in one call on a table in
 * memory (mctop_drain_use).
 */
#ifndef MCTOP_INTERVAL_H
#define MCTOP_INTERVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drain.h"
#include "key_fields.h"
#include "keyname.h"
#include "keyrules.h"
#include "latency.h"
#include "mctop.h"
#include "names.h"
#include "probes.h"
#include "series.h"

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
  const mctop_pick_t *picks;            /* best first; the interval's */
  size_t picks_num;                     /* at most TopKeys */
  uint64_t other[MCTOP_KEY_FIELDS_NUM]; /* "~other", cumulative */
  uint64_t other_interval[MCTOP_KEY_FIELDS_NUM];
  double other_latency;
  bool latency_read;                       /* Latency on, and latency filled */
  mctop_latency_interval_t latency;        /* per command type */
  unsigned probes[MCTOP_PROBE_COUNT];      /* links per probe, over targets */
  size_t targets;                          /* processes or binaries attached */
  size_t tracked;                          /* keys in the kernel's table */
  double drain_seconds, drain_cpu_seconds; /* this interval's cost */
  uint64_t new_series_refused;             /* MaxNewSeries, ever */
  size_t state_bytes;                      /* user-space per-key state */
} mctop_report_t;

typedef struct {
  const mctop_key_policy_t *policy;
  unsigned top_keys;
  mctop_key_slot_t *keys; /* per slot of the table */
  size_t nslots;
  mctop_names_t names; /* their keys' names */
  bool collapsed_full_said;
  mctop_series_t series;
  mctop_pick_t *picks; /* TopKeys of them */
  struct mctop_totals prev_totals;
  uint64_t prev_other[MCTOP_KEY_FIELDS_NUM];
  uint64_t new_series_refused; /* picks MaxNewSeries turned away, ever */
} mctop_interval_t;

/* For a table of nslots slots; the policy must outlive the interval.
 * 0, or -1 out of memory. */
int mctop_interval_init(mctop_interval_t *iv, const mctop_key_policy_t *policy,
                        unsigned top_keys, size_t nslots);
void mctop_interval_free(mctop_interval_t *iv);

/*
 * One interval: totals are the instance's, read just before (before the
 * keys: an event landing between the two reads is then in a key a moment
 * before it is in the totals, which "other" carries as a shortfall and
 * settles the next interval; read the other way round it would be counted
 * in "other" and then again in the key).  Ranks by sort.  Fills every field
 * of r but the engine's (latency, probes, targets, the drain's cost);
 * r->picks stays valid
 * until the next call.
 */
void mctop_interval_run(mctop_interval_t *iv, mctop_drain_t *d,
                        const struct mctop_totals *totals, enum mctop_sort sort,
                        mctop_report_t *r);

#endif /* MCTOP_INTERVAL_H */
