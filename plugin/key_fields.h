/*
 * mctop plugin: the data sources of the mctop_key type, in order.  Adding a
 * per-key figure means a counter in struct mctop_key_stats, its update in
 * bpf/mctop.bpf.c, and one row here (and in mctop.types.db, which a unit
 * test compares with this table).
 */
#ifndef MCTOP_KEY_FIELDS_H
#define MCTOP_KEY_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include "mctop.h"

typedef struct {
  const char *name;
  int ds_type; /* DS_TYPE_DERIVE or DS_TYPE_GAUGE */
  uint64_t (*get)(const struct mctop_key_stats *s);
  /* Instead of get, for a GAUGE of the interval that just ended: gen is
   * that interval's ranking generation (see struct mctop_rank). */
  double (*interval)(const struct mctop_key_stats *s, uint64_t gen);
} mctop_key_field_t;

#define MCTOP_KEY_FIELDS_NUM 13

extern const mctop_key_field_t mctop_key_fields[MCTOP_KEY_FIELDS_NUM];

#endif /* MCTOP_KEY_FIELDS_H */
