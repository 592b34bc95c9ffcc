/*
 * mctop plugin: following traced processes.  Called from the read callback
 * once per interval, so a restarted memcached is traced again within one
 * interval of showing up.
 */
#include "tracking.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "latency.h"
#include "log.h"
#include "procs.h"

static const char *const source_names[] = {
    [MCTOP_SRC_PID] = "PID",
    [MCTOP_SRC_PIDFILE] = "PIDFile",
    [MCTOP_SRC_MATCH] = "ProcessMatch",
    [MCTOP_SRC_BINARY] = "Binary",
};

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

/* Hands a gone target's links to the reaper thread. */
static void retire_item(mctop_tracking_t *t, mctop_attached_t *a) {
  if (a->links.links_num > 0)
    mctop_reaper_give(&t->reaper, a->links.links, a->links.links_num);
  else
    free(a->links.links);
  memset(&a->links, 0, sizeof(a->links));
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

/* Inspects and attaches a new target; it is kept even when unusable, so a
 * binary without probes is reported once, not every interval. */
static void add(mctop_tracking_t *t, const mctop_instance_config_t *c,
                struct bpf_object *obj, mctop_source_t src, pid_t pid,
                uint64_t start, const char *path) {
  mctop_attached_t *items = realloc(t->items, (t->num + 1) * sizeof(*items));
  if (items == NULL)
    return;
  t->items = items;
  mctop_attached_t *a = &items[t->num++];
  memset(a, 0, sizeof(*a));
  a->source = src;
  a->pid = pid;
  a->start_time = start;
  a->seen = true;
  snprintf(a->binary, sizeof(a->binary), "%s", path);
  if (mctop_target_inspect(&a->info, c->name, path, pid) != 0)
    return;
  bool auto_lookups =
      c->lookups == MCTOP_LOOKUPS_AUTO && !a->info.text_command_probes;
  bool lookups = c->lookups == MCTOP_LOOKUPS_ON || auto_lookups;
  a->lookups_for_calls = auto_lookups;
  if (c->latency)
    mctop_latency_check_target(c->name, &a->info);
  a->usable = mctop_attach_target(obj, c->name, &a->info, lookups, c->latency,
                                  &a->links) > 0;
  if (a->usable && pid > 0)
    MCTOP_INFO("instance \"%s\": tracing memcached PID %d (from %s)", c->name,
               (int)pid, source_names[src]);
}

/* Marks the process as wanted, attaching it if it is new. */
static void want_pid(mctop_tracking_t *t, const mctop_instance_config_t *c,
                     struct bpf_object *obj, mctop_source_t src, pid_t pid) {
  uint64_t start = mctop_proc_start_time(pid);
  if (start == 0)
    return;
  for (size_t i = 0; i < t->num; i++) {
    mctop_attached_t *a = &t->items[i];
    /* One process named by two sources is traced once. */
    if (a->pid == pid && a->start_time == start) {
      a->seen = true;
      return;
    }
  }
  char exe[64];
  snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
  add(t, c, obj, src, pid, start, exe);
}

static void want_pids(mctop_tracking_t *t, const mctop_instance_config_t *c,
                      struct bpf_object *obj) {
  for (size_t i = 0; i < c->pids_num; i++) {
    pid_t pid = c->pids[i];
    if (mctop_proc_start_time(pid) == 0) {
      if (!t->pid_logged[i])
        MCTOP_ERROR("instance \"%s\": PID %d does not exist (is memcached "
                    "running?)",
                    c->name, (int)pid);
      t->pid_logged[i] = true;
      continue;
    }
    want_pid(t, c, obj, MCTOP_SRC_PID, pid);
  }
}

static void want_pidfile(mctop_tracking_t *t, const mctop_instance_config_t *c,
                         struct bpf_object *obj) {
  if (c->pidfile == NULL)
    return;
  pid_t pid = mctop_read_pidfile(c->pidfile);
  if (pid == 0 || mctop_proc_start_time(pid) == 0) {
    if (!t->pidfile_logged)
      MCTOP_WARNING("instance \"%s\": PIDFile %s names no running process "
                    "(%s); waiting for memcached to write it",
                    c->name, c->pidfile,
                    pid == 0 ? strerror(errno) : "stale PID");
    t->pidfile_logged = true;
    return;
  }
  t->pidfile_logged = false;
  want_pid(t, c, obj, MCTOP_SRC_PIDFILE, pid);
}

struct match_ctx {
  mctop_tracking_t *t;
  const mctop_instance_config_t *c;
  struct bpf_object *obj;
};

static void on_match(pid_t pid, void *arg) {
  struct match_ctx *m = arg;
  want_pid(m->t, m->c, m->obj, MCTOP_SRC_MATCH, pid);
}

static bool binary_tracked(mctop_tracking_t *t, const char *path) {
  for (size_t j = 0; j < t->num; j++) {
    mctop_attached_t *a = &t->items[j];
    if (a->source == MCTOP_SRC_BINARY && strcmp(a->binary, path) == 0)
      return a->seen = true;
  }
  return false;
}

static void want_binaries(mctop_tracking_t *t, const mctop_instance_config_t *c,
                          struct bpf_object *obj) {
  for (size_t i = 0; i < c->binaries_num; i++) {
    if (binary_tracked(t, c->binaries[i]))
      continue;
    /* A missing binary is looked for again every interval, and said once. */
    if (access(c->binaries[i], R_OK) != 0) {
      if (!t->bin_logged[i])
        MCTOP_ERROR("instance \"%s\": Binary %s: %s", c->name, c->binaries[i],
                    strerror(errno));
      t->bin_logged[i] = true;
      continue;
    }
    t->bin_logged[i] = false;
    add(t, c, obj, MCTOP_SRC_BINARY, -1, 0, c->binaries[i]);
  }
}

/* Drops targets no source names any more, saying why once. */
static void drop_unseen(mctop_tracking_t *t, const char *name) {
  size_t kept = 0;
  for (size_t i = 0; i < t->num; i++) {
    mctop_attached_t *a = &t->items[i];
    if (a->seen) {
      t->items[kept++] = *a;
      continue;
    }
    if (a->usable)
      MCTOP_NOTICE("instance \"%s\": memcached PID %d (from %s) is gone: "
                   "detached; its counts stay in the totals",
                   name, (int)a->pid, source_names[a->source]);
    retire_item(t, a);
  }
  t->num = kept;
}

void mctop_tracking_update(mctop_tracking_t *t,
                           const mctop_instance_config_t *c,
                           struct bpf_object *obj) {
  for (size_t i = 0; i < t->num; i++)
    t->items[i].seen = false;
  want_pids(t, c, obj);
  want_pidfile(t, c, obj);
  struct match_ctx m = {t, c, obj};
  for (size_t i = 0; i < t->match_num; i++)
    mctop_proc_match(&t->match[i], on_match, &m);
  want_binaries(t, c, obj);
  drop_unseen(t, c->name);
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
