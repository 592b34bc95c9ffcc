/*
 * mctop plugin: turning drained figures into collectd value lists.
 */
#ifndef MCTOP_SUBMIT_H
#define MCTOP_SUBMIT_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "key_fields.h"
#include "mctop.h"

/* Registers the mctop_key type, so hosts need no types.db edit. */
int mctop_register_types(void);

void mctop_submit_totals(const char *instance, const struct mctop_totals *t);

/* One mctop_key series: a key's or a collapsed series' cumulative values,
 * and the mean latency of the interval in seconds (NaN: none timed). */
void mctop_submit_key(const char *instance, const char *name,
                      const uint64_t values[MCTOP_KEY_FIELDS_NUM],
                      double latency);

/* The "~other" series: everything the interval's picks did not account. */
void mctop_submit_other(const char *instance,
                        const uint64_t values[MCTOP_KEY_FIELDS_NUM],
                        double latency);

/* One GAUGE value of a type from collectd's types.db. */
void mctop_submit_gauge(const char *instance, const char *type,
                        const char *type_instance, double v);

/* One gauge per probe of the table: how many links attach it (0: not);
 * and how many processes or binaries are traced. */
void mctop_submit_probes(const char *instance, const unsigned *attached,
                         size_t targets);

/* The instance's health: tracked keys, events no key was charged with,
 * the drain's cost, refused new series, user-space state. */
void mctop_submit_health(const char *instance, const mctop_report_t *r);

/* For every command type timed in the interval, the percentiles pcts[0..n)
 * as type "latency" (seconds), type_instance "<command>-p<P>" ("get-p99"),
 * or "<command>-max" for 100. */
void mctop_submit_latency(const char *instance,
                          const mctop_latency_interval_t *l, const double *pcts,
                          size_t n);

#endif /* MCTOP_SUBMIT_H */
