/*
 * mctop plugin: collectd's config tree, copied into the core's options.
 */
#ifndef MCTOP_CONFIG_COPY_H
#define MCTOP_CONFIG_COPY_H

#include "liboconfig/oconfig.h"
#include "opt_tree.h"

/* Copies ci and its children (one level: options have none); the strings
 * stay collectd's, so *out lives no longer than ci.  -1 if out of memory. */
int mctop_opt_from_oconfig(const oconfig_item_t *ci, mctop_opt_t *out);

void mctop_opt_free(mctop_opt_t *o);

#endif /* MCTOP_CONFIG_COPY_H */
