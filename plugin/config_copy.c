/*
 * mctop plugin: collectd's config tree, copied into the core's options
 * (see config_copy.h).
 */
#include "config_copy.h"

#include <stdlib.h>
#include <string.h>

static int copy_values(const oconfig_item_t *ci, mctop_opt_t *out) {
  out->key = ci->key;
  out->values_num = ci->values_num;
  if (ci->values_num <= 0)
    return 0;
  out->values = calloc((size_t)ci->values_num, sizeof(*out->values));
  if (out->values == NULL)
    return -1;
  for (int i = 0; i < ci->values_num; i++) {
    const oconfig_value_t *v = &ci->values[i];
    mctop_opt_value_t *o = &out->values[i];
    switch (v->type) {
    case OCONFIG_TYPE_NUMBER:
      o->type = MCTOP_OPT_NUMBER;
      o->value.number = v->value.number;
      break;
    case OCONFIG_TYPE_BOOLEAN:
      o->type = MCTOP_OPT_BOOLEAN;
      o->value.boolean = v->value.boolean != 0;
      break;
    default:
      o->type = MCTOP_OPT_STRING;
      o->value.string = v->value.string;
      break;
    }
  }
  return 0;
}

int mctop_opt_from_oconfig(const oconfig_item_t *ci, mctop_opt_t *out) {
  memset(out, 0, sizeof(*out));
  if (copy_values(ci, out) != 0)
    return -1;
  if (ci->children_num <= 0)
    return 0;
  out->children = calloc((size_t)ci->children_num, sizeof(*out->children));
  if (out->children == NULL) {
    mctop_opt_free(out);
    return -1;
  }
  out->children_num = ci->children_num;
  for (int i = 0; i < ci->children_num; i++)
    if (copy_values(&ci->children[i], &out->children[i]) != 0) {
      mctop_opt_free(out);
      return -1;
    }
  return 0;
}

void mctop_opt_free(mctop_opt_t *o) {
  for (int i = 0; i < o->children_num; i++)
    free(o->children[i].values);
  free(o->children);
  free(o->values);
  memset(o, 0, sizeof(*o));
}
