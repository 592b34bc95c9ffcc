/*
 * mctop plugin: one <Instance> as collectd sees it: a read callback that
 * ticks the instance's engine (engine.h) and dispatches its report.
 */
#include "instance.h"

#include <stdlib.h>

#include "engine.h"
#include "submit.h"

struct mctop_instance {
  mctop_engine_t *engine;
};

mctop_instance_t *mctop_instance_new(mctop_instance_config_t *cfg) {
  mctop_instance_t *inst = calloc(1, sizeof(*inst));
  if (inst == NULL)
    return NULL;
  inst->engine = mctop_engine_new(cfg);
  if (inst->engine == NULL) {
    free(inst);
    return NULL;
  }
  return inst;
}

static void submit_report(const mctop_instance_config_t *cfg,
                          const mctop_report_t *r) {
  const char *name = cfg->name;
  mctop_submit_totals(name, &r->totals);
  for (size_t i = 0; i < r->picks_num; i++)
    mctop_submit_key(name, r->picks[i].name, r->picks[i].values,
                     r->picks[i].latency);
  mctop_submit_other(name, r->other, r->other_latency);
  if (r->latency_read)
    mctop_submit_latency(name, &r->latency, cfg->percentiles,
                         cfg->percentiles_num);
  mctop_submit_probes(name, r->probes, r->targets);
  mctop_submit_health(name, r);
}

int mctop_instance_read(user_data_t *ud) {
  mctop_instance_t *inst = ud->data;
  mctop_report_t r;
  int rc = mctop_engine_tick(inst->engine, &r);
  if (rc == 1)
    return 0; /* idle: the engine's own back-off, not collectd's */
  if (rc != 0)
    return -1;
  submit_report(mctop_engine_config(inst->engine), &r);
  return 0;
}

void mctop_instance_free(void *p) {
  mctop_instance_t *inst = p;
  if (inst == NULL)
    return;
  mctop_engine_free(inst->engine);
  free(inst);
}
