/*
 * mctop command: one interval as one line of JSON (--json).
 */
#ifndef MCTOP_CLI_JSON_H
#define MCTOP_CLI_JSON_H

#include <stdio.h>

#include "engine.h"

/* {"time": ..., "interval": ..., "totals": {...}, "keys": [...],
 * "other": {...}, "health": {...}}: every count the interval's, so a key's
 * counts summed over the lines are what memcached did to it while shown. */
void mctop_cli_json(FILE *out, const mctop_report_t *r, double unix_time,
                    double interval);

#endif /* MCTOP_CLI_JSON_H */
