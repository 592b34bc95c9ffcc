/*
 * mctop: the attach layer.  One table maps each memcached USDT probe
 * (and, in symbol mode, each of memcached's functions) to the event it
 * reports and the places of its arguments; attaching a target turns every
 * call site of the probes it has into an attach site (sites.h) and puts
 * mctop's own uprobes there: one uprobe_multi link for the entries and one
 * for the functions' returns, or a perf link per site where the kernel has
 * no uprobe_multi (uprobe_links.h).
 */
#ifndef MCTOP_PROBES_H
#define MCTOP_PROBES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sites.h"
#include "symbol_sites.h"
#include "target.h"
#include "uprobe_links.h"

struct bpf_program;

/* Rows of the probe table: eleven command probes, assoc__find and the two
 * latency probes (process__command__start/end); then, for symbol mode,
 * memcached's functions (symbol_sites.h). */
#define MCTOP_USDT_PROBES 14
#define MCTOP_PROBE_COUNT (MCTOP_USDT_PROBES + MCTOP_FN_COUNT)

/* The most uprobes one target may take.  memcached 1.6 needs at most 46
 * (all its probe sites); with at most MCTOP_TRACED_MAX targets an instance
 * (tracking.h), live targets hold at most half of MCTOP_SITES_MAX, and the
 * other half is there for restarts while the reaper catches up. */
#define MCTOP_TARGET_SITES_MAX 64

/* What attaching needs of the instance: its program and its sites. */
typedef struct {
  const struct bpf_program *prog;
  mctop_sites_t *sites;
  bool multi; /* uprobe_multi links (mctop_uprobe_multi_supported()) */
  bool quiet; /* in a restart loop: what was attached is not logged */
} mctop_attacher_t;

/* One attached target: its link and the site ids it holds. */
typedef struct {
  mctop_uprobe_link_t link;
  mctop_uprobe_link_t ret_link; /* return probes (symbol mode) */
  mctop_sites_t *owner;         /* where the ids go back */
  uint32_t *site_ids;
  size_t sites_num;
  unsigned attached[MCTOP_PROBE_COUNT]; /* 1 per probe attached */
} mctop_links_t;

/* The name of table row i: a USDT probe ("command__get") or a function
 * ("do_item_get"). */
const char *mctop_probe_name(size_t i);

/*
 * Attaches every probe of the table that the inspected target carries (the
 * lookup probe only if lookups is set, the latency probes only if latency
 * is), and logs what it attached.  Returns the number of probes attached;
 * 0 when none could be (logged); -ENOSPC, with nothing attached or logged,
 * when the instance's sites are all in use (wait for detaching to give some
 * back); -ESRCH, with nothing logged, when the process exited meanwhile;
 * -E2BIG, logged, when the target would take more than
 * MCTOP_TARGET_SITES_MAX sites (it never can be attached).
 */
int mctop_attach_target(const mctop_attacher_t *a, const char *instance,
                        const mctop_target_t *t, bool lookups, bool latency,
                        mctop_links_t *links);

/* The number of uprobes of an attached target. */
size_t mctop_links_sites(const mctop_links_t *links);

/* Detaches, then gives the site ids back.  Blocks for a grace period. */
void mctop_detach_all(mctop_links_t *links);

#endif /* MCTOP_PROBES_H */
