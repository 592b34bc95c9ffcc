/*
 * mctop: the processes and binaries an instance traces, kept in step
 * with the system on every read: a PID that exits is detached (and said so
 * once), a PIDFile that names a new memcached is followed, ProcessMatch
 * attaches to processes as they appear and detaches as they go.  The BPF
 * maps outlive all of this, so counters stay monotonic across restarts.
 * A memcached restarting in a loop is followed the same way, with one log
 * line for the loop instead of lines per restart (restarts.h).
 */
#ifndef MCTOP_TRACKING_H
#define MCTOP_TRACKING_H

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>

#include "backoff.h"
#include "options.h"
#include "probes.h"
#include "reaper.h"
#include "restarts.h"
#include "target.h"

typedef enum {
  MCTOP_SRC_PID,
  MCTOP_SRC_PIDFILE,
  MCTOP_SRC_MATCH,
  MCTOP_SRC_BINARY,
} mctop_source_t;

/* Caps a flood of matching processes cannot push (see room_for in
 * tracking.c): traced processes (with MCTOP_TARGET_SITES_MAX, half the
 * site ids), targets kept (traced or waiting for a retry), and files
 * parsed per interval. */
#define MCTOP_TRACED_MAX 8
#define MCTOP_TARGETS_MAX 64
#define MCTOP_INSPECT_PER_UPDATE 16

/* Which file a path named when it was inspected. */
typedef struct {
  uint64_t dev, ino;
  int64_t size, mtime_ns;
} mctop_file_ident_t;

typedef struct {
  mctop_source_t source;
  pid_t pid;           /* -1 for a Binary */
  uint64_t start_time; /* tells this process from a later one with its PID */
  char binary[PATH_MAX];
  mctop_target_t info;
  mctop_file_ident_t ident; /* binary's file at the last inspection */
  bool usable; /* inspected and attached; false: looked at again later */
  mctop_backoff_t retry;  /* when unusable: when it is looked at again */
  bool lookups_for_calls; /* ranks "calls" by lookups (no text probes) */
  mctop_links_t links;
  bool seen;
} mctop_attached_t;

typedef struct {
  mctop_attached_t *items;
  size_t num;
  mctop_reaper_t reaper; /* detaches gone processes off the read path */
  regex_t *match;        /* compiled ProcessMatch expressions */
  size_t match_num;
  bool *pid_logged; /* per configured PID: "does not exist" said */
  bool *bin_logged; /* per Binary: its failure said */
  bool pidfile_logged;
  mctop_restarts_t restarts;
  pid_t newest;   /* the process attached last, for the loop's log lines */
  bool waiting;   /* an attach waits for site ids: said once */
  bool full_said; /* a cap of room_for reached: said once */
} mctop_tracking_t;

int mctop_tracking_init(mctop_tracking_t *t, const mctop_instance_config_t *c);
void mctop_tracking_free(mctop_tracking_t *t);

/* Attaches what the config names and is there now, detaches what is gone.
 * a's quiet field is managed here. */
void mctop_tracking_update(mctop_tracking_t *t,
                           const mctop_instance_config_t *c,
                           mctop_attacher_t *a);

/* Sums the links of every target per probe (for the probe gauges), and
 * returns how many targets are attached. */
size_t mctop_tracking_count(const mctop_tracking_t *t,
                            unsigned attached[MCTOP_PROBE_COUNT]);

/* True if some attached target counts lookups in place of text probes. */
bool mctop_tracking_lookups_for_calls(const mctop_tracking_t *t);

/* Detaches everything. */
void mctop_tracking_detach(mctop_tracking_t *t);

#endif /* MCTOP_TRACKING_H */
