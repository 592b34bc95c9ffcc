/*
 * mctop plugin: one traced <Instance>: its BPF object, its probes, and the
 * read callback that drains and dispatches it.
 */
#ifndef MCTOP_INSTANCE_H
#define MCTOP_INSTANCE_H

#include "collectd.h"

#include "plugin.h"

#include "options.h"

typedef struct mctop_instance mctop_instance_t;

/* Takes ownership of cfg. */
mctop_instance_t *mctop_instance_new(mctop_instance_config_t *cfg);

/* collectd's read callback (user_data: the instance). */
int mctop_instance_read(user_data_t *ud);

/* collectd's free_func: detaches every probe and frees the maps. */
void mctop_instance_free(void *inst);

#endif /* MCTOP_INSTANCE_H */
