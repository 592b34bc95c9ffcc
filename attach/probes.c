/*
 * mctop: attaching the BPF program to memcached's probes.
 */
#include "probes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"
#include "usdt_args.h"

#define PROVIDER "memcached"

/* No such argument (enum mctop_site_arg slots a probe does not fill). */
#define NO_ARG (-1)

/*
 * Probe name in memcached_dtrace.d -> the event it reports, the number of
 * arguments it has (a binary whose probe has another count is from a
 * memcached whose probes differ: not attached), and which of them goes in
 * each slot of enum mctop_site_arg (connid, key, keylen, size).
 */
static const struct {
  const char *usdt;
  unsigned event; /* enum mctop_event */
  unsigned nargs;
  signed char from[MCTOP_SITE_ARGS];
  bool lookup;  /* attached only when key lookups are counted */
  bool latency; /* attached only with option Latency */
} probe_table[MCTOP_USDT_PROBES] = {
#define CMD(name, cmd)                                                         \
  { name, MCTOP_EV_CMD + cmd, 5, {0, 1, 2, 3, NO_ARG}, false, false }
    /* (connid, key, keylen, size, casid) */
    CMD("command__get", MCTOP_CMD_GET),
    CMD("command__set", MCTOP_CMD_SET),
    CMD("command__add", MCTOP_CMD_ADD),
    CMD("command__replace", MCTOP_CMD_REPLACE),
    CMD("command__append", MCTOP_CMD_APPEND),
    CMD("command__prepend", MCTOP_CMD_PREPEND),
    CMD("command__cas", MCTOP_CMD_CAS),
    CMD("command__touch", MCTOP_CMD_TOUCH),
#undef CMD
    /* (connid, key, keylen, value): the value is not a size */
    {"command__incr",
     MCTOP_EV_CMD + MCTOP_CMD_INCR,
     4,
     {0, 1, 2, NO_ARG, NO_ARG},
     false,
     false},
    {"command__decr",
     MCTOP_EV_CMD + MCTOP_CMD_DECR,
     4,
     {0, 1, 2, NO_ARG, NO_ARG},
     false,
     false},
    /* (connid, key, keylen) */
    {"command__delete",
     MCTOP_EV_CMD + MCTOP_CMD_DELETE,
     3,
     {0, 1, 2, NO_ARG, NO_ARG},
     false,
     false},
    /* (key, keylen, depth) */
    {"assoc__find",
     MCTOP_EV_LOOKUP,
     3,
     {NO_ARG, 0, 1, NO_ARG, NO_ARG},
     true,
     false},
    /* (connid, request, size) and (connid, response, size) */
    {"process__command__start",
     MCTOP_EV_CMD_START,
     3,
     {0, NO_ARG, NO_ARG, NO_ARG, NO_ARG},
     false,
     true},
    {"process__command__end",
     MCTOP_EV_CMD_END,
     3,
     {0, NO_ARG, NO_ARG, NO_ARG, NO_ARG},
     false,
     true},
};

const char *mctop_probe_name(size_t i) {
  return i < MCTOP_USDT_PROBES
             ? probe_table[i].usdt
             : mctop_fn_name((enum mctop_fn)(i - MCTOP_USDT_PROBES));
}

/* One uprobe to put on a target: where, and what the program reads there. */
typedef struct {
  struct mctop_site spec; /* the event and its arguments' places */
  uint64_t offset;        /* file offset of the probed instruction */
  uint64_t ref_ctr;       /* the USDT semaphore's file offset, or 0 */
  bool ret;               /* a return probe */
} planned_site_t;

/* The sites being put together for one target. */
typedef struct {
  planned_site_t *site;
  size_t num, cap;
} plan_t;

static void plan_free(plan_t *p) {
  free(p->site);
  memset(p, 0, sizeof(*p));
}

static int plan_alloc(plan_t *p, size_t cap) {
  memset(p, 0, sizeof(*p));
  p->cap = cap;
  p->site = calloc(cap + 1, sizeof(*p->site));
  return p->site != NULL ? 0 : -ENOMEM;
}

/* The site of table row row at call site s, or -1 with err set. */
static int site_spec(size_t row, const mctop_usdt_site_t *s,
                     struct mctop_site *out, char *err, size_t errlen) {
  struct mctop_arg_spec args[MCTOP_USDT_ARGS_MAX];
  int n =
      mctop_usdt_parse_args(s->args, args, MCTOP_USDT_ARGS_MAX, err, errlen);
  if (n < 0)
    return -1;
  memset(out, 0, sizeof(*out));
  out->event = probe_table[row].event;
  for (size_t slot = 0; slot < MCTOP_SITE_ARGS; slot++) {
    int from = probe_table[row].from[slot];
    if (from == NO_ARG)
      continue; /* kind MCTOP_ARG_NONE */
    if (from >= n) {
      snprintf(err, errlen, "argument %d is missing from \"%s\"", from + 1,
               s->args);
      return -1;
    }
    out->arg[slot] = args[from];
  }
  return 0;
}

/* Adds every call site of table row row; all or none. */
static int plan_row(plan_t *p, size_t row, const mctop_target_t *t,
                    const char *instance) {
  size_t first = p->num;
  for (size_t i = 0; i < t->notes.site_num; i++) {
    const mctop_usdt_site_t *s = &t->notes.site_list[i];
    if (strcmp(t->notes.names[s->name], probe_table[row].usdt) != 0)
      continue;
    char err[256];
    if (p->num >= p->cap ||
        site_spec(row, s, &p->site[p->num].spec, err, sizeof(err)) != 0) {
      if (p->num >= p->cap)
        snprintf(err, sizeof(err), "too many call sites");
      MCTOP_ERROR("instance \"%s\": " PROVIDER ":%s in %s, call site at file "
                  "offset 0x%llx: %s; the probe is not attached, so that no "
                  "count comes from only some of its call sites",
                  instance, probe_table[row].usdt, t->shown,
                  (unsigned long long)s->offset, err);
      p->num = first;
      return -1;
    }
    p->site[p->num].offset = s->offset;
    p->site[p->num].ref_ctr = s->sema_offset;
    p->site[p->num].ret = false;
    p->num++;
  }
  return p->num > first ? 0 : -1;
}

static void append(char *list, size_t size, const char *name) {
  size_t used = strlen(list);
  snprintf(list + used, size - used, " %s", name);
}

/* Symbol mode: every function row, at the function or the caller that
 * stands in for it (target.c chose). */
static void plan_functions(plan_t *p, const char *instance,
                           const mctop_target_t *t, mctop_links_t *links,
                           char *attached, char *absent, size_t listlen) {
  for (size_t f = 0; f < MCTOP_FN_COUNT; f++) {
    const char *name = mctop_fn_name((enum mctop_fn)f);
    const char *site = t->fn_site[f] ? t->fn_site[f] : name;
    uint64_t off = t->fns[f].offset;
    if (!mctop_fn_wanted((enum mctop_fn)f, t->release))
      continue;
    if (off == 0) {
      append(absent, listlen, name);
      continue;
    }
    size_t first = p->num;
    for (size_t r = 0; r < MCTOP_FN_ROWS; r++) {
      const mctop_fn_row_t *row = &mctop_fn_rows[r];
      if (row->fn != (enum mctop_fn)f || p->num >= p->cap)
        continue;
      planned_site_t *ps = &p->site[p->num];
      if (mctop_fn_site(row, t->release, &ps->spec) != 0) {
        MCTOP_ERROR("instance \"%s\": %s in %s: symbol mode reads x86-64 "
                    "registers only; not attached",
                    instance, site, t->shown);
        p->num = first;
        break;
      }
      ps->offset = off;
      ps->ref_ctr = 0;
      ps->ret = row->ret;
      p->num++;
    }
    if (p->num == first)
      continue;
    /* A caller standing in for an inlined function says so. */
    char label[96];
    if (strcmp(site, name) != 0)
      snprintf(label, sizeof(label), "%s(for inlined %s)", site, name);
    else
      snprintf(label, sizeof(label), "%s", name);
    append(attached, listlen, label);
    links->attached[MCTOP_USDT_PROBES + f] = 1;
  }
}

/* Chooses the rows and their sites; fills attached[] and the lists. */
static void plan_target(plan_t *p, const char *instance,
                        const mctop_target_t *t, bool lookups, bool latency,
                        mctop_links_t *links, char *attached, char *absent,
                        size_t listlen) {
  for (size_t i = 0; i < MCTOP_USDT_PROBES; i++) {
    if ((probe_table[i].lookup && !lookups) ||
        (probe_table[i].latency && !latency))
      continue;
    unsigned nargs = mctop_usdt_nargs(&t->notes, probe_table[i].usdt);
    if (!mctop_usdt_has(&t->notes, probe_table[i].usdt))
      append(absent, listlen, probe_table[i].usdt);
    else if (nargs != probe_table[i].nargs)
      MCTOP_ERROR("instance \"%s\": " PROVIDER ":%s in %s takes %u arguments "
                  "where memcached 1.6 has %u: this memcached's probes "
                  "differ, so it is not attached (mctop reads the "
                  "arguments by position)",
                  instance, probe_table[i].usdt, t->shown, nargs,
                  probe_table[i].nargs);
    else if (plan_row(p, i, t, instance) == 0) {
      append(attached, listlen, probe_table[i].usdt);
      links->attached[i] = 1;
    }
  }
}

/* True when the target was one process and it is gone. */
static bool process_gone(const mctop_target_t *t) {
  if (t->pid <= 0)
    return false;
  return access(t->path, F_OK) != 0;
}

/* The plan as sites.h and uprobe_links.h take it: one array per field,
 * the entry sites first and the return probes after them (each kind goes
 * on a link of its own). */
typedef struct {
  struct mctop_site *specs;
  uint64_t *offsets, *ref_ctr, *cookies;
  uint32_t *ids; /* the site ids, which are the uprobes' cookies */
  size_t num, entries;
} site_arrays_t;

static void site_arrays_free(site_arrays_t *arrays) {
  free(arrays->specs);
  free(arrays->offsets);
  free(arrays->ref_ctr);
  free(arrays->cookies);
  free(arrays->ids);
  memset(arrays, 0, sizeof(*arrays));
}

/* Appends the planned sites that are (or are not) return probes. */
static void lay_out(const plan_t *p, bool ret, site_arrays_t *arrays) {
  for (size_t i = 0; i < p->num; i++) {
    const planned_site_t *ps = &p->site[i];
    if (ps->ret != ret)
      continue;
    arrays->specs[arrays->num] = ps->spec;
    arrays->offsets[arrays->num] = ps->offset;
    arrays->ref_ctr[arrays->num] = ps->ref_ctr;
    arrays->num++;
  }
}

/* The arrays of p's sites, entries first. */
static int site_arrays_of(const plan_t *p, site_arrays_t *arrays) {
  memset(arrays, 0, sizeof(*arrays));
  arrays->specs = calloc(p->num + 1, sizeof(*arrays->specs));
  arrays->offsets = calloc(p->num + 1, sizeof(*arrays->offsets));
  arrays->ref_ctr = calloc(p->num + 1, sizeof(*arrays->ref_ctr));
  arrays->cookies = calloc(p->num + 1, sizeof(*arrays->cookies));
  arrays->ids = calloc(p->num + 1, sizeof(*arrays->ids));
  if (!arrays->specs || !arrays->offsets || !arrays->ref_ctr ||
      !arrays->cookies || !arrays->ids) {
    site_arrays_free(arrays);
    return -ENOMEM;
  }
  lay_out(p, false, arrays);
  arrays->entries = arrays->num;
  lay_out(p, true, arrays);
  return 0;
}

/* The entry sites on one link and the return probes on another.  Returns
 * first: a return whose entry was not seen is ignored by the program, but
 * an entry whose return never comes would leave its call pending. */
static int attach_links(const mctop_attacher_t *a, const mctop_target_t *t,
                        const site_arrays_t *arrays, mctop_links_t *links) {
  int err = 0;
  size_t entries = arrays->entries;
  if (arrays->num > entries)
    err = mctop_uprobe_attach(
        a->prog, a->multi, true, t->attach_path, t->pid,
        arrays->offsets + entries, arrays->ref_ctr + entries,
        arrays->cookies + entries, arrays->num - entries, &links->ret_link);
  if (err == 0 && entries > 0) {
    err = mctop_uprobe_attach(a->prog, a->multi, false, t->attach_path, t->pid,
                              arrays->offsets, arrays->ref_ctr, arrays->cookies,
                              entries, &links->link);
    if (err != 0)
      mctop_uprobe_detach(&links->ret_link);
  }
  return err;
}

/* Takes site ids and attaches the sites arrays holds; on success the ids are
 * the link's. */
static int attach_sites(const mctop_attacher_t *a, const char *instance,
                        const mctop_target_t *t, site_arrays_t *arrays,
                        mctop_links_t *links) {
  int err = mctop_sites_take(a->sites, arrays->specs, arrays->num, arrays->ids);
  if (err != 0)
    return err;
  for (size_t i = 0; i < arrays->num; i++)
    arrays->cookies[i] = arrays->ids[i];
  err = attach_links(a, t, arrays, links);
  if (err != 0) {
    mctop_sites_give_back(a->sites, arrays->ids, arrays->num);
    if (process_gone(t))
      return -ESRCH;
    char why[128];
    MCTOP_ERROR("instance \"%s\": attaching %zu uprobes to %s (pid %d) "
                "failed: %s",
                instance, arrays->num, t->shown, (int)t->pid,
                mctop_strerror(-err, why, sizeof(why)));
    return err;
  }
  links->owner = a->sites;
  links->site_ids = arrays->ids;
  links->sites_num = arrays->num;
  arrays->ids = NULL; /* now the link's */
  return 0;
}

/* Attaches the planned sites. */
static int attach_plan(const mctop_attacher_t *a, const char *instance,
                       const mctop_target_t *t, const plan_t *p,
                       mctop_links_t *links) {
  site_arrays_t arrays;
  int err = site_arrays_of(p, &arrays);
  if (err == 0)
    err = attach_sites(a, instance, t, &arrays, links);
  site_arrays_free(&arrays);
  return err;
}

int mctop_attach_target(const mctop_attacher_t *a, const char *instance,
                        const mctop_target_t *t, bool lookups, bool latency,
                        mctop_links_t *links) {
  char attached[512] = "", absent[512] = "";
  plan_t p;
  memset(links, 0, sizeof(*links));
  if (plan_alloc(&p, t->symbols ? MCTOP_FN_ROWS : t->notes.site_num) != 0)
    return 0;
  if (t->symbols)
    plan_functions(&p, instance, t, links, attached, absent, sizeof(attached));
  else
    plan_target(&p, instance, t, lookups, latency, links, attached, absent,
                sizeof(attached));
  int count = 0;
  for (size_t i = 0; i < MCTOP_PROBE_COUNT; i++)
    count += (int)links->attached[i];
  if (p.num > MCTOP_TARGET_SITES_MAX) {
    MCTOP_ERROR("instance \"%s\": %s would take %zu probe sites, more than "
                "the %d one target may (memcached needs at most 50): not "
                "attached",
                instance, t->shown, p.num, MCTOP_TARGET_SITES_MAX);
    plan_free(&p);
    memset(links, 0, sizeof(*links));
    return -E2BIG;
  }
  int err = count > 0 ? attach_plan(a, instance, t, &p, links) : 0;
  plan_free(&p);
  if (err != 0) {
    memset(links, 0, sizeof(*links));
    return err == -ENOSPC || err == -ESRCH ? err : 0;
  }
  const char *mode = !t->symbols ? ""
                     : t->dwarf_checked
                         ? ", symbol mode (checked against its DWARF), "
                           "symbols from "
                         : ", symbol mode, symbols from ";
  if (count > 0 && !a->quiet)
    MCTOP_INFO("instance \"%s\": attached %d %s (%zu sites, %s) to "
               "memcached %s at %s (pid %d)%s%s:%s%s%s",
               instance, count, t->symbols ? "functions" : "probes",
               links->sites_num,
               a->multi ? "uprobe_multi links" : "a perf link per site",
               t->version[0] ? t->version : "(version ?)", t->shown,
               (int)t->pid, mode, t->symbols ? t->symfile : "", attached,
               absent[0] ? "; not in this binary:" : "", absent);
  return count;
}

size_t mctop_links_sites(const mctop_links_t *links) {
  return links->sites_num;
}

void mctop_detach_all(mctop_links_t *links) {
  mctop_uprobe_detach(&links->link);
  mctop_uprobe_detach(&links->ret_link);
  if (links->owner != NULL)
    mctop_sites_give_back(links->owner, links->site_ids, links->sites_num);
  free(links->site_ids);
  memset(links, 0, sizeof(*links));
}
