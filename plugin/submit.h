/*
 * mctop plugin: turning drained figures into collectd value lists.
 */
#ifndef MCTOP_SUBMIT_H
#define MCTOP_SUBMIT_H

#include <stddef.h>
#include <stdint.h>

#include "mctop.h"
#include "topn.h"

/* Registers the mctop_key type, so hosts need no types.db edit. */
int mctop_register_types(void);

void mctop_submit_totals(const char *instance, const struct mctop_totals *t);

/* gen: the generation just finished, whose slot holds the interval's
 * per-key figures (latency). */
void mctop_submit_key(const char *instance, const struct mctop_key *key,
                      const struct mctop_key_stats *stats, uint64_t gen);

/* "get", ..., for enum mctop_cmd; "other" for MCTOP_LAT_OTHER. */
const char *mctop_cmd_name(unsigned cmd);

/* One GAUGE value of a type from collectd's types.db. */
void mctop_submit_gauge(const char *instance, const char *type,
                        const char *type_instance, double v);

/* One gauge per probe of the table: how many links attach it (0: not);
 * and how many processes or binaries are traced. */
void mctop_submit_probes(const char *instance, const unsigned *attached,
                         size_t targets);

void mctop_submit_health(const char *instance, const struct mctop_totals *t,
                         size_t tracked, double drain_seconds,
                         double drain_cpu_seconds);

#endif /* MCTOP_SUBMIT_H */
