/*
 * mctop: following traced processes.  Called from the read callback
 * once per interval, so a restarted memcached is traced again within one
 * interval of showing up.
 */
#include "tracking.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "errors.h"
#include "latency.h"
#include "log.h"
#include "procs.h"

static const char *const source_names[] = {
    [MCTOP_SRC_PID] = "PID",
    [MCTOP_SRC_PIDFILE] = "PIDFile",
    [MCTOP_SRC_MATCH] = "ProcessMatch",
    [MCTOP_SRC_BINARY] = "Binary",
};

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int mctop_tracking_init(mctop_tracking_t *t, const mctop_instance_config_t *c) {
  memset(t, 0, sizeof(*t));
  t->pid_logged = calloc(c->pids_num + 1, sizeof(bool));
  t->bin_logged = calloc(c->binaries_num + 1, sizeof(bool));
  t->match = calloc(c->matches_num + 1, sizeof(regex_t));
  if (t->pid_logged == NULL || t->bin_logged == NULL || t->match == NULL ||
      mctop_reaper_init(&t->reaper) != 0) {
    free(t->pid_logged);
    free(t->bin_logged);
    free(t->match);
    return -1;
  }
  for (size_t i = 0; i < c->matches_num; i++) {
    /* Validated at config time; cannot fail here but for memory. */
    if (regcomp(&t->match[i], c->matches[i], REG_EXTENDED | REG_NOSUB) != 0) {
      mctop_tracking_free(t);
      return -1;
    }
    t->match_num++;
  }
  return 0;
}

static void detach_item(mctop_attached_t *a) {
  mctop_detach_all(&a->links);
  mctop_target_free(&a->info);
}

void mctop_tracking_detach(mctop_tracking_t *t) {
  for (size_t i = 0; i < t->num; i++)
    detach_item(&t->items[i]);
  free(t->items);
  t->items = NULL;
  t->num = 0;
}

void mctop_tracking_free(mctop_tracking_t *t) {
  mctop_reaper_stop(&t->reaper);
  mctop_tracking_detach(t);
  for (size_t i = 0; i < t->match_num; i++)
    regfree(&t->match[i]);
  free(t->match);
  free(t->pid_logged);
  free(t->bin_logged);
  memset(t, 0, sizeof(*t));
}

/* The context of one update. */
typedef struct {
  mctop_tracking_t *tracking;
  const mctop_instance_config_t *cfg;
  mctop_attacher_t *attacher; /* the instance's program and sites */
  double now;
  unsigned inspected; /* files parsed in this update */
  /* When debuginfod fetches must end: one DebuginfodTimeout per update,
   * however many targets want one (a flood of processes, each of another
   * build, must not hold the read for minutes). */
  double fetch_until;
} update_t;

/* A target that could not be traced is looked at again after 10 s,
 * doubling to 5 min, like an instance whose BPF program failed to load:
 * debug symbols may be installed, a binary rebuilt. */
#define RETRY_FIRST 10.0
#define RETRY_MAX 300.0

static void back_off(update_t *u, mctop_attached_t *a) {
  a->retry_delay = a->retry_delay > 0 ? 2 * a->retry_delay : RETRY_FIRST;
  if (a->retry_delay > RETRY_MAX)
    a->retry_delay = RETRY_MAX;
  a->retry_at = u->now + a->retry_delay;
  MCTOP_INFO("instance \"%s\": looking at %s again in %.0f s", u->cfg->name,
             a->binary, a->retry_delay);
}

/* Which file a target's path names (for one that can never be traced:
 * it is looked at again only once its file changes). */
static void file_ident(const char *path, mctop_file_ident_t *id) {
  struct stat st;
  memset(id, 0, sizeof(*id));
  if (stat(path, &st) != 0)
    return;
  id->dev = st.st_dev;
  id->ino = st.st_ino;
  id->size = st.st_size;
  id->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
}

static bool same_file(const mctop_attached_t *a) {
  mctop_file_ident_t now;
  file_ident(a->binary, &now);
  return memcmp(&now, &a->ident, sizeof(now)) == 0;
}

/* Inspects the target's binary and attaches it; false when it is gone or
 * must wait (nothing kept). */
static bool inspect_and_attach(update_t *u, mctop_attached_t *a);

/* No site ids free: the attach waits for the reaper, said once. */
static void wait_for_reaper(update_t *u) {
  if (!u->tracking->waiting)
    MCTOP_WARNING("instance \"%s\": attaching waits for detaching to catch "
                  "up: detaching is behind by %zu probes and all %d attach "
                  "sites are in use",
                  u->cfg->name, mctop_reaper_behind(&u->tracking->reaper),
                  MCTOP_SITES_MAX);
  u->tracking->waiting = true;
}

/*
 * The uprobes went on the file that was inspected (attached through its
 * descriptor), but the process may have exec'd another since, or a Binary
 * path been pointed at another file: then they trace nothing wanted.
 * Detached, said, and looked at afresh next interval.
 */
static bool still_inspected(update_t *u, mctop_attached_t *a) {
  int same = mctop_target_check(&a->info);
  if (same == 0 && a->pid > 0 && mctop_proc_start_time(a->pid) != a->start_time)
    same = -ESRCH;
  if (same == 0)
    return true;
  mctop_detach_all(&a->links);
  if (same == -ESTALE)
    MCTOP_WARNING("instance \"%s\": %s changed while it was inspected (the "
                  "process ran another binary, or the path was pointed at "
                  "another file): detached; it is inspected again next "
                  "interval",
                  u->cfg->name, a->info.shown);
  return false;
}

/* Attaches an inspected target; false (and nothing kept) when it is gone
 * or must wait, so that the next interval tries again. */
static bool attach_item(update_t *u, mctop_attached_t *a) {
  const mctop_instance_config_t *c = u->cfg;
  /* Where text commands fire no command probe, "calls" ranks by lookups
   * whenever they are counted, whether Lookups is "auto" or true. */
  bool no_text = !a->info.text_command_probes;
  bool lookups = c->lookups == MCTOP_LOOKUPS_ON ||
                 (c->lookups == MCTOP_LOOKUPS_AUTO && no_text);
  a->lookups_for_calls = lookups && no_text;
  if (c->latency && !u->attacher->quiet)
    mctop_latency_check_target(c->name, &a->info);
  if (a->info.symbols && !u->attacher->quiet)
    MCTOP_NOTICE("instance \"%s\": symbol mode gives no latency, and "
                 "counts gat as a touch and meta gets with "
                 "T/N/R/l/h/u flags as lookups only (README, \"Symbol "
                 "mode\"); a memcached built with --enable-dtrace gives them",
                 c->name);
  int n = mctop_attach_target(u->attacher, c->name, &a->info, lookups,
                              c->latency, &a->links);
  if (n == -ENOSPC)
    wait_for_reaper(u);
  if (n == -E2BIG) { /* said; kept, so that it is not parsed again */
    a->info.never = true;
    n = 0;
  }
  if (n < 0)
    return false;
  if (n > 0 && !still_inspected(u, a))
    return false;
  mctop_target_attached(&a->info);
  u->tracking->waiting = false;
  a->usable = n > 0;
  return true;
}

static bool inspect_and_attach(update_t *u, mctop_attached_t *a) {
  file_ident(a->binary, &a->ident);
  u->inspected++;
  mctop_inspect_opts_t o = {
      .probes = u->cfg->probes,
      .debug_dirs = (const char *const *)u->cfg->debug_dirs,
      .debug_dirs_num = u->cfg->debug_dirs_num,
      .debuginfod_until = u->fetch_until,
  };
  int err = mctop_target_inspect(&a->info, u->cfg->name, a->binary, a->pid, &o);
  if (err == -ESRCH)
    return false; /* exited since it was listed */
  if (err == 0 && !attach_item(u, a)) {
    mctop_target_free(&a->info);
    return false;
  }
  if (!a->usable)
    back_off(u, a);
  return true;
}

/* An untraceable target, due for another look. */
static void retry(update_t *u, mctop_attached_t *a) {
  if (a->usable || u->now < a->retry_at)
    return;
  if (a->info.never && same_file(a)) {
    a->retry_at = u->now + RETRY_MAX;
    return;
  }
  mctop_target_free(&a->info);
  memset(&a->info, 0, sizeof(a->info));
  memset(&a->links, 0, sizeof(a->links));
  if (!inspect_and_attach(u, a))
    a->retry_at = u->now; /* gone or waiting: again next interval */
  else if (a->usable)
    MCTOP_INFO("instance \"%s\": tracing %s now", u->cfg->name, a->binary);
}

/*
 * Bounds a flood of targets (ProcessMatch matches whatever a local user
 * starts with a matching command line): at most MCTOP_TRACED_MAX traced
 * and MCTOP_TARGETS_MAX kept, and at most MCTOP_INSPECT_PER_UPDATE files
 * parsed per interval (the rest wait for the next).  A cap reached is
 * said once until there is room again.
 */
static bool room_for(update_t *u, mctop_source_t src, pid_t pid) {
  mctop_tracking_t *t = u->tracking;
  size_t traced = 0;
  for (size_t i = 0; i < t->num; i++)
    traced += t->items[i].usable;
  if (u->inspected >= MCTOP_INSPECT_PER_UPDATE)
    return false;
  if (traced < MCTOP_TRACED_MAX && t->num < MCTOP_TARGETS_MAX) {
    t->full_said = false;
    return true;
  }
  if (!t->full_said)
    MCTOP_WARNING("instance \"%s\": not tracing %s %d: this instance traces "
                  "%zu processes and keeps %zu targets (at most %d and %d); "
                  "it traces more as others go. Name memcached by PIDFile or "
                  "a tighter ProcessMatch, or split the processes between "
                  "instances",
                  u->cfg->name, source_names[src], (int)pid, traced, t->num,
                  MCTOP_TRACED_MAX, MCTOP_TARGETS_MAX);
  t->full_said = true;
  return false;
}

/* Inspects and attaches a new target; it is kept even when unusable, so a
 * binary without probes is reported once per retry, not every interval. */
static void add(update_t *u, mctop_source_t src, pid_t pid, uint64_t start,
                const char *path) {
  mctop_tracking_t *t = u->tracking;
  if (!room_for(u, src, pid))
    return;
  mctop_attached_t a;
  memset(&a, 0, sizeof(a));
  a.source = src;
  a.pid = pid;
  a.start_time = start;
  a.seen = true;
  snprintf(a.binary, sizeof(a.binary), "%s", path);
  if (!inspect_and_attach(u, &a))
    return;
  mctop_attached_t *items = realloc(t->items, (t->num + 1) * sizeof(*items));
  if (items == NULL) {
    detach_item(&a);
    return;
  }
  t->items = items;
  t->items[t->num++] = a;
  if (a.usable && pid > 0) {
    t->newest = pid;
    if (!u->attacher->quiet)
      MCTOP_INFO("instance \"%s\": tracing memcached PID %d (from %s)",
                 u->cfg->name, (int)pid, source_names[src]);
  }
}

/* Marks the process as wanted, attaching it if it is new. */
static void want_pid(update_t *u, mctop_source_t src, pid_t pid) {
  uint64_t start = mctop_proc_start_time(pid);
  if (start == 0)
    return;
  for (size_t i = 0; i < u->tracking->num; i++) {
    mctop_attached_t *a = &u->tracking->items[i];
    /* One process named by two sources is traced once. */
    if (a->pid == pid && a->start_time == start) {
      a->seen = true;
      retry(u, a);
      return;
    }
  }
  char exe[64];
  snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
  add(u, src, pid, start, exe);
}

static void want_pids(update_t *u) {
  const mctop_instance_config_t *c = u->cfg;
  for (size_t i = 0; i < c->pids_num; i++) {
    pid_t pid = c->pids[i];
    if (mctop_proc_start_time(pid) == 0) {
      if (!u->tracking->pid_logged[i])
        MCTOP_ERROR("instance \"%s\": PID %d does not exist (is memcached "
                    "running?)",
                    c->name, (int)pid);
      u->tracking->pid_logged[i] = true;
      continue;
    }
    want_pid(u, MCTOP_SRC_PID, pid);
  }
}

static void want_pidfile(update_t *u) {
  const mctop_instance_config_t *c = u->cfg;
  if (c->pidfile == NULL)
    return;
  pid_t pid = mctop_read_pidfile(c->pidfile);
  char why[128];
  if (pid == 0 || mctop_proc_start_time(pid) == 0) {
    if (!u->tracking->pidfile_logged && !u->attacher->quiet)
      MCTOP_WARNING("instance \"%s\": PIDFile %s names no running process "
                    "(%s); waiting for memcached to write it",
                    c->name, c->pidfile,
                    pid != 0 ? "stale PID"
                    : errno == EFTYPE_PIDFILE
                        ? "it is not a regular file: a FIFO, device or "
                          "directory is refused, never read"
                        : mctop_strerror(errno, why, sizeof(why)));
    u->tracking->pidfile_logged = true;
    return;
  }
  u->tracking->pidfile_logged = false;
  want_pid(u, MCTOP_SRC_PIDFILE, pid);
}

static void on_match(pid_t pid, void *arg) {
  want_pid(arg, MCTOP_SRC_MATCH, pid);
}

static bool binary_tracked(update_t *u, const char *path) {
  for (size_t j = 0; j < u->tracking->num; j++) {
    mctop_attached_t *a = &u->tracking->items[j];
    if (a->source == MCTOP_SRC_BINARY && strcmp(a->binary, path) == 0) {
      a->seen = true;
      retry(u, a);
      return true;
    }
  }
  return false;
}

static void want_binaries(update_t *u) {
  const mctop_instance_config_t *c = u->cfg;
  for (size_t i = 0; i < c->binaries_num; i++) {
    if (binary_tracked(u, c->binaries[i]))
      continue;
    /* A missing binary is looked for again every interval, and said once. */
    if (access(c->binaries[i], R_OK) != 0) {
      char why[128];
      if (!u->tracking->bin_logged[i])
        MCTOP_ERROR("instance \"%s\": Binary %s: %s", c->name, c->binaries[i],
                    mctop_strerror(errno, why, sizeof(why)));
      u->tracking->bin_logged[i] = true;
      continue;
    }
    u->tracking->bin_logged[i] = false;
    add(u, MCTOP_SRC_BINARY, -1, 0, c->binaries[i]);
  }
}

/* One process of a restart loop is gone: counted, and the loop said once. */
static void note_exit(update_t *u, const mctop_attached_t *a, double now) {
  if (mctop_restarts_exit(&u->tracking->restarts, now)) {
    MCTOP_WARNING("instance \"%s\": memcached (from %s, now PID %d) "
                  "restarted %u times in the last minute; detaching is "
                  "behind by %zu probes. mctop follows every new process and "
                  "says no more of each one until memcached has run for a "
                  "minute",
                  u->cfg->name, source_names[a->source],
                  (int)u->tracking->newest,
                  mctop_restarts_recent(&u->tracking->restarts, now),
                  mctop_reaper_behind(&u->tracking->reaper));
    u->attacher->quiet = true;
  }
}

/* Drops targets no source names any more, saying why once. */
static void drop_unseen(update_t *u, double now) {
  mctop_tracking_t *t = u->tracking;
  size_t kept = 0;
  for (size_t i = 0; i < t->num; i++) {
    mctop_attached_t *a = &t->items[i];
    if (a->seen) {
      t->items[kept++] = *a;
      continue;
    }
    if (a->pid > 0)
      note_exit(u, a, now);
    if (a->usable && !u->attacher->quiet)
      MCTOP_NOTICE("instance \"%s\": memcached PID %d (from %s) is gone: "
                   "detached; its counts stay in the totals",
                   u->cfg->name, (int)a->pid, source_names[a->source]);
    mctop_reaper_give(&t->reaper, &a->links);
    mctop_target_free(&a->info);
  }
  t->num = kept;
}

/* Ends a restart loop once memcached has run for a whole window. */
static void check_loop_end(update_t *u, double now) {
  bool ended;
  u->attacher->quiet =
      mctop_restarts_looping(&u->tracking->restarts, now, &ended);
  if (ended)
    MCTOP_NOTICE("instance \"%s\": memcached has not restarted for a minute "
                 "(%u restarts in the loop); tracing PID %d",
                 u->cfg->name, u->tracking->restarts.loop_exits,
                 (int)u->tracking->newest);
}

void mctop_tracking_update(mctop_tracking_t *t,
                           const mctop_instance_config_t *c,
                           mctop_attacher_t *a) {
  double now = now_seconds();
  update_t u = {
      .tracking = t,
      .cfg = c,
      .attacher = a,
      .now = now,
      .fetch_until = now + c->debuginfod_timeout,
  };
  for (size_t i = 0; i < t->num; i++)
    t->items[i].seen = false;
  check_loop_end(&u, now);
  want_pids(&u);
  want_pidfile(&u);
  for (size_t i = 0; i < t->match_num; i++)
    mctop_proc_match(&t->match[i], on_match, &u);
  want_binaries(&u);
  /* Gone ones last: a successor found above is attached before its
   * predecessor's link is handed to the reaper. */
  drop_unseen(&u, now);
}

size_t mctop_tracking_count(const mctop_tracking_t *t,
                            unsigned attached[MCTOP_PROBE_COUNT]) {
  size_t n = 0;
  memset(attached, 0, MCTOP_PROBE_COUNT * sizeof(attached[0]));
  for (size_t i = 0; i < t->num; i++) {
    if (!t->items[i].usable)
      continue;
    n++;
    for (size_t p = 0; p < MCTOP_PROBE_COUNT; p++)
      attached[p] += t->items[i].links.attached[p];
  }
  return n;
}

bool mctop_tracking_lookups_for_calls(const mctop_tracking_t *t) {
  for (size_t i = 0; i < t->num; i++)
    if (t->items[i].usable && t->items[i].lookups_for_calls)
      return true;
  return false;
}
