/*
 * mctop: the options as a front end hands them to the core: a tree of
 * keys and values, one <Instance> block's options its children (options.h
 * is what the core makes of them: the table, the parsed config).
 *
 * The shape of collectd's oconfig_item_t (a key, typed values, children),
 * without collectd: the plugin copies its config tree into it, the command
 * builds it from its flags, and options.c parses both the same way, with
 * the same messages.
 */
#ifndef MCTOP_OPT_TREE_H
#define MCTOP_OPT_TREE_H

#include <stdbool.h>

enum mctop_opt_type {
  MCTOP_OPT_STRING,
  MCTOP_OPT_NUMBER,
  MCTOP_OPT_BOOLEAN,
};

typedef struct {
  union {
    const char *string;
    double number;
    bool boolean;
  } value;
  enum mctop_opt_type type;
} mctop_opt_value_t;

typedef struct mctop_opt {
  const char *key;
  mctop_opt_value_t *values;
  int values_num;
  struct mctop_opt *children; /* an <Instance> block's options */
  int children_num;
} mctop_opt_t;

#endif /* MCTOP_OPT_TREE_H */
