/*
 * mctop command: a flag's argument as the core's values (see flag_values.h).
 */
#include "flag_values.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *keep(mctop_cli_flags_t *f, const char *s, size_t len) {
  if (f->strings_used >= (int)(sizeof(f->strings) / sizeof(f->strings[0])))
    return NULL;
  char *copy = strndup(s, len);
  if (copy != NULL)
    f->strings[f->strings_used++] = copy;
  return copy;
}

static mctop_opt_value_t *new_value(mctop_cli_flags_t *f) {
  if (f->values_used >= (int)(sizeof(f->values) / sizeof(f->values[0])))
    return NULL;
  return &f->values[f->values_used++];
}

/* One value of type t from text; a number that does not parse is kept as
 * a string, so the core names the problem as it does in collectd.conf;
 * with booleans, true and false are collectd.conf's booleans. */
static int add_value(mctop_cli_flags_t *f, mctop_opt_t *o,
                     enum mctop_opt_type t, const char *text, size_t len,
                     bool booleans) {
  mctop_opt_value_t *v = new_value(f);
  const char *s = keep(f, text, len);
  if (v == NULL || s == NULL)
    return -1;
  if (o->values == NULL)
    o->values = v;
  o->values_num++;
  char *end;
  double n = strtod(s, &end);
  if (t == MCTOP_OPT_NUMBER && *s != '\0' && *end == '\0' && isfinite(n)) {
    *v = (mctop_opt_value_t){.value = {.number = n}, .type = t};
  } else if (booleans &&
             (strcasecmp(s, "true") == 0 || strcasecmp(s, "false") == 0)) {
    *v = (mctop_opt_value_t){.value = {.boolean = strcasecmp(s, "true") == 0},
                             .type = MCTOP_OPT_BOOLEAN};
  } else {
    *v = (mctop_opt_value_t){.value = {.string = s}, .type = MCTOP_OPT_STRING};
  }
  return 0;
}

/* A switch given: true. */
static int add_true(mctop_cli_flags_t *f, mctop_opt_t *o) {
  mctop_opt_value_t *v = new_value(f);
  if (v == NULL)
    return -1;
  *v = (mctop_opt_value_t){.value = {.boolean = true},
                           .type = MCTOP_OPT_BOOLEAN};
  o->values = v;
  o->values_num = 1;
  return 0;
}

/* Each comma-separated part of arg, a value of the option's type. */
static int add_list(mctop_cli_flags_t *f, mctop_opt_t *o,
                    const mctop_option_def_t *d, const char *arg) {
  for (const char *p = arg;; p++) {
    const char *c = strchr(p, ',');
    size_t len = c ? (size_t)(c - p) : strlen(p);
    if (add_value(f, o, d->type, p, len, false) != 0)
      return -1;
    if (c == NULL)
      return 0;
    p = c;
  }
}

int mctop_cli_add_option(mctop_cli_flags_t *f, const mctop_option_def_t *d,
                         const char *arg) {
  if (f->block.children_num >= MCTOP_CLI_MAX_OPTS)
    return -1;
  mctop_opt_t *o = &f->children[f->block.children_num++];
  *o = (mctop_opt_t){.key = d->name};
  /* Values are taken in order from one array: this option's are the next
   * ones. */
  const char *eq = arg ? strrchr(arg, '=') : NULL;
  switch (d->split) {
  case MCTOP_FLAG_SWITCH:
    return add_true(f, o);
  case MCTOP_FLAG_PAIR: /* two strings; without '=' one, for the core to
                           refuse */
    if (eq != NULL)
      return add_value(f, o, MCTOP_OPT_STRING, arg, (size_t)(eq - arg),
                       false) ||
             add_value(f, o, MCTOP_OPT_STRING, eq + 1, strlen(eq + 1), false);
    break;
  case MCTOP_FLAG_LIST:
    return add_list(f, o, d, arg);
  case MCTOP_FLAG_BOOLEAN_OR_WORD:
    return add_value(f, o, d->type, arg, strlen(arg), true);
  case MCTOP_FLAG_ONE:
    break;
  }
  return add_value(f, o, d->type, arg, strlen(arg), false);
}
