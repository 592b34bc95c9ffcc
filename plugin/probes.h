/*
 * mctop plugin: the attach layer.  One table maps each memcached USDT probe
 * to the BPF program that handles it; attaching walks the table, attaches
 * what the target binary has and reports the rest.
 */
#ifndef MCTOP_PROBES_H
#define MCTOP_PROBES_H

#include <stdbool.h>
#include <stddef.h>

#include "target.h"

struct bpf_object;
struct bpf_link;

/* Rows of the probe table: eleven command probes, assoc__find and the two
 * latency probes (process__command__start/end). */
#define MCTOP_PROBE_COUNT 14

typedef struct {
  struct bpf_link **links;
  size_t links_num;
  unsigned attached[MCTOP_PROBE_COUNT]; /* links per table row */
} mctop_links_t;

/* The USDT name of table row i ("command__get"). */
const char *mctop_probe_name(size_t i);

/*
 * Attaches every probe of the table that the inspected target carries (the
 * lookup probe only if lookups is set, the latency probes only if latency
 * is).  Returns the number of probes attached; failures are logged.
 */
int mctop_attach_target(struct bpf_object *obj, const char *instance,
                        const mctop_target_t *t, bool lookups, bool latency,
                        mctop_links_t *links);

void mctop_detach_all(mctop_links_t *links);

#endif /* MCTOP_PROBES_H */
