/*
 * mctop command: one interval as one line of JSON (see json.h).
 */
#include "json.h"

#include <math.h>

#include "key_fields.h"
#include "text.h"

static void json_number(FILE *out, double v) {
  if (isnan(v))
    fputs("null", out);
  else
    fprintf(out, "%.9g", v);
}

/* The data sources of one series, by their names in mctop.types.db. */
static void json_fields(FILE *out, const uint64_t *v, double latency) {
  for (size_t i = 0; i < MCTOP_KEY_FIELDS_NUM; i++) {
    fprintf(out, "%s\"%s\": ", i ? ", " : "", mctop_key_fields[i].name);
    if (i == MCTOP_KEY_FIELD_LATENCY)
      json_number(out, latency);
    else
      fprintf(out, "%llu", (unsigned long long)v[i]);
  }
}

void mctop_cli_json(FILE *out, const mctop_report_t *r, double unix_time,
                    double interval) {
  const struct mctop_totals *t = &r->totals_interval;
  fprintf(out, "{\"time\": %.3f, \"interval\": %.3f, \"totals\": {", unix_time,
          interval);
  for (unsigned c = 0; c < MCTOP_CMD_COUNT; c++)
    fprintf(out, "\"%s\": %llu, ", mctop_cmd_name(c),
            (unsigned long long)t->cmds[c]);
  fprintf(out,
          "\"hits\": %llu, \"misses\": %llu, \"lookups\": %llu, "
          "\"rx\": %llu, \"tx\": %llu}, \"keys\": [",
          (unsigned long long)mctop_totals_hits(t),
          (unsigned long long)t->misses, (unsigned long long)t->lookups,
          (unsigned long long)t->rx_bytes, (unsigned long long)t->tx_bytes);
  for (size_t i = 0; i < r->picks_num; i++) {
    const mctop_pick_t *p = &r->picks[i];
    fputs(i ? ", {\"key\": " : "{\"key\": ", out);
    mctop_json_string(out, p->name);
    fputs(", ", out);
    json_fields(out, p->interval, p->latency);
    fputc('}', out);
  }
  fputs("], \"other\": {", out);
  json_fields(out, r->other_interval, r->other_latency);
  fprintf(out,
          "}, \"health\": {\"targets\": %zu, \"tracked_keys\": %zu, "
          "\"key_slot_misses\": %llu, \"bad_keys\": %llu, "
          "\"drain_seconds\": %.6f}}\n",
          r->targets, r->tracked, (unsigned long long)t->key_slot_misses,
          (unsigned long long)t->bad_keys, r->drain_seconds);
  fflush(out);
}
