/*
 * mctop plugin: dispatching value lists.  plugin "mctop", plugin_instance
 * the <Instance> name; types from collectd's types.db except mctop_key.
 */
#include "submit.h"

#include "collectd.h"

#include "plugin.h"
#include "utils/common/common.h"

#include "key_fields.h"
#include "keyname.h"

int mctop_register_types(void) {
  data_source_t ds[MCTOP_KEY_FIELDS_NUM];
  data_set_t set = {
      .type = "mctop_key", .ds_num = MCTOP_KEY_FIELDS_NUM, .ds = ds};
  for (size_t i = 0; i < MCTOP_KEY_FIELDS_NUM; i++) {
    memset(&ds[i], 0, sizeof(ds[i]));
    sstrncpy(ds[i].name, mctop_key_fields[i].name, sizeof(ds[i].name));
    ds[i].type = mctop_key_fields[i].level ? DS_TYPE_GAUGE : DS_TYPE_DERIVE;
    ds[i].min = 0;
    ds[i].max = NAN;
  }
  return plugin_register_data_set(&set);
}

static void submit(const char *instance, const char *type,
                   const char *type_instance, value_t *values, size_t n) {
  value_list_t vl = VALUE_LIST_INIT;
  vl.values = values;
  vl.values_len = n;
  sstrncpy(vl.plugin, "mctop", sizeof(vl.plugin));
  sstrncpy(vl.plugin_instance, instance, sizeof(vl.plugin_instance));
  sstrncpy(vl.type, type, sizeof(vl.type));
  sstrncpy(vl.type_instance, type_instance, sizeof(vl.type_instance));
  plugin_dispatch_values(&vl);
}

static void submit_derive(const char *instance, const char *type,
                          const char *type_instance, uint64_t v) {
  value_t value = {.derive = (derive_t)v};
  submit(instance, type, type_instance, &value, 1);
}

void mctop_submit_totals(const char *instance, const struct mctop_totals *t) {
  for (int c = 0; c < MCTOP_CMD_COUNT; c++)
    submit_derive(instance, "memcached_command", mctop_cmd_name(c), t->cmds[c]);
  submit_derive(instance, "memcached_ops", "hits", mctop_totals_hits(t));
  submit_derive(instance, "memcached_ops", "misses", t->misses);
  submit_derive(instance, "memcached_ops", "lookups", t->lookups);
  value_t octets[] = {{.derive = (derive_t)t->rx_bytes},
                      {.derive = (derive_t)t->tx_bytes}};
  submit(instance, "memcached_octets", "", octets, 2);
}

static void submit_key_values(const char *instance, const char *name,
                              const uint64_t *v, double latency) {
  value_t values[MCTOP_KEY_FIELDS_NUM];
  for (size_t i = 0; i < MCTOP_KEY_FIELDS_NUM; i++) {
    if (i == MCTOP_KEY_FIELD_LATENCY) {
      values[i].gauge = latency; /* a mean, worked out by the series */
      continue;
    }
    if (mctop_key_fields[i].level)
      values[i].gauge = (gauge_t)v[i];
    else
      values[i].derive = (derive_t)v[i];
  }
  submit(instance, "mctop_key", name, values, MCTOP_KEY_FIELDS_NUM);
}

void mctop_submit_key(const char *instance, const char *name,
                      const uint64_t values[MCTOP_KEY_FIELDS_NUM],
                      double latency) {
  submit_key_values(instance, name, values, latency);
}

void mctop_submit_other(const char *instance,
                        const uint64_t values[MCTOP_KEY_FIELDS_NUM],
                        double latency) {
  /* No key name starts with '~' (keyname.h) and KeyPattern names hold none,
   * so this series never merges with a key's. */
  submit_key_values(instance, "~other", values, latency);
}

void mctop_submit_probes(const char *instance, const unsigned *attached,
                         size_t targets) {
  value_t t = {.gauge = (gauge_t)targets};
  submit(instance, "gauge", "targets", &t, 1);
  for (size_t i = 0; i < MCTOP_PROBE_COUNT; i++) {
    char name[DATA_MAX_NAME_LEN];
    value_t v = {.gauge = (gauge_t)attached[i]};
    ssnprintf(name, sizeof(name), "probe-%s", mctop_engine_probe_name(i));
    submit(instance, "gauge", name, &v, 1);
  }
}

void mctop_submit_health(const char *instance, const mctop_report_t *r) {
  value_t v = {.gauge = (gauge_t)r->tracked};
  submit(instance, "gauge", "tracked_keys", &v, 1);
  submit_derive(instance, "derive", "key_slot_misses",
                r->totals.key_slot_misses);
  submit_derive(instance, "derive", "bad_keys", r->totals.bad_keys);
  submit_derive(instance, "derive", "new_series_refused",
                r->new_series_refused);
  v.gauge = r->drain_seconds;
  submit(instance, "duration", "drain", &v, 1);
  v.gauge = r->drain_cpu_seconds;
  submit(instance, "duration", "drain_cpu", &v, 1);
  v.gauge = (gauge_t)r->state_bytes;
  submit(instance, "memory", "series_state", &v, 1);
}

void mctop_submit_latency(const char *instance,
                          const mctop_latency_interval_t *l, const double *pcts,
                          size_t n) {
  for (unsigned slot = 0; slot < MCTOP_LAT_SLOTS; slot++) {
    /* No command of this type in the interval: no value, not a zero. */
    for (size_t i = 0; l->count[slot] > 0 && i < n; i++) {
      char name[64];
      mctop_latency_series(name, sizeof(name), slot, pcts[i]);
      mctop_submit_gauge(instance, "latency", name, l->seconds[slot][i]);
    }
  }
}

void mctop_submit_gauge(const char *instance, const char *type,
                        const char *type_instance, double v) {
  value_t value = {.gauge = v};
  submit(instance, type, type_instance, &value, 1);
}
