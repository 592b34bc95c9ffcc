/*
 * mctop: the latency options of an <Instance> block.
 *
 *   Latency true|false               process__command__start/end (default
 *                                    MCTOP_LATENCY_DEFAULT, see README)
 *   LatencyPercentiles 50 90 99 100  per command type; 100 is the maximum
 */
#include "latency_options.h"

#include <math.h>
#include <string.h>
#include <strings.h>

#include "log.h"

/* Off: two more uprobe traps per request roughly double what tracing costs
 * memcached (README "Latency", bench/run); turn it on where it is worth it. */
#define MCTOP_LATENCY_DEFAULT false

static const double default_percentiles[] = {50, 90, 99, 100};

void mctop_latency_defaults(mctop_instance_config_t *cfg) {
  cfg->latency = MCTOP_LATENCY_DEFAULT;
  cfg->percentiles_num =
      sizeof(default_percentiles) / sizeof(default_percentiles[0]);
  memcpy(cfg->percentiles, default_percentiles, sizeof(default_percentiles));
}

static int get_latency(const mctop_opt_t *ci, mctop_instance_config_t *cfg) {
  if (ci->values_num != 1 || ci->values[0].type != MCTOP_OPT_BOOLEAN) {
    MCTOP_ERROR("instance \"%s\": Latency takes true or false", cfg->name);
    return -1;
  }
  cfg->latency = ci->values[0].value.boolean;
  return 0;
}

static int get_percentiles(const mctop_opt_t *ci,
                           mctop_instance_config_t *cfg) {
  if (ci->values_num < 1 || ci->values_num > MCTOP_PERCENTILES_MAX) {
    MCTOP_ERROR("instance \"%s\": LatencyPercentiles takes 1 to %d numbers, "
                "e.g. LatencyPercentiles 50 90 99 100 (got %d)",
                cfg->name, MCTOP_PERCENTILES_MAX, ci->values_num);
    return -1;
  }
  for (int i = 0; i < ci->values_num; i++) {
    const mctop_opt_value_t *v = &ci->values[i];
    if (v->type != MCTOP_OPT_NUMBER || !(v->value.number > 0) ||
        v->value.number > 100) {
      MCTOP_ERROR("instance \"%s\": LatencyPercentiles: argument %d is not a "
                  "number above 0 and at most 100 (100 is the maximum)",
                  cfg->name, i + 1);
      return -1;
    }
    cfg->percentiles[i] = v->value.number;
  }
  cfg->percentiles_num = (size_t)ci->values_num;
  return 0;
}

int mctop_latency_option(const mctop_opt_t *o, mctop_instance_config_t *cfg) {
  if (strcasecmp(o->key, "Latency") == 0)
    return get_latency(o, cfg);
  if (strcasecmp(o->key, "LatencyPercentiles") == 0)
    return get_percentiles(o, cfg);
  return 1;
}

int mctop_latency_validate(const mctop_instance_config_t *cfg) {
  if (cfg->sort_by == MCTOP_SORT_LATENCY && !cfg->latency) {
    MCTOP_ERROR("instance \"%s\": SortBy \"latency\" needs latency: add "
                "Latency true",
                cfg->name);
    return -1;
  }
  return 0;
}
