/*
 * mctop: one traced instance, whatever shows it.
 *
 * An engine owns an instance's BPF object, its probes and its key table.
 * Each tick loads the object if due (retrying with back-off while it
 * fails: a missing privilege leaves the engine idle and logged), follows
 * the processes the config names, runs the interval (interval.h) and
 * hands back its report.  The collectd plugin dispatches the report; the
 * terminal command draws it.  Nothing here includes collectd.
 */
#ifndef MCTOP_ENGINE_H
#define MCTOP_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "interval.h"
#include "options.h"

typedef struct mctop_engine mctop_engine_t;

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
