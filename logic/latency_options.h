/*
 * mctop: the latency options of an <Instance> block (Latency,
 * LatencyPercentiles), parsed beside the option table (options.c), which
 * hands them over, sets their defaults and checks them with the rest.
 */
#ifndef MCTOP_LATENCY_OPTIONS_H
#define MCTOP_LATENCY_OPTIONS_H

#include "options.h"

/* Latency and LatencyPercentiles: 1 if o is neither, else 0 or -1 as for
 * any option. */
int mctop_latency_option(const mctop_opt_t *o, mctop_instance_config_t *cfg);

/* The latency defaults, and the checks that span options. */
void mctop_latency_defaults(mctop_instance_config_t *cfg);
int mctop_latency_validate(const mctop_instance_config_t *cfg);

#endif /* MCTOP_LATENCY_OPTIONS_H */
