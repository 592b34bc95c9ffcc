/*
 * mctop: the instance's attach sites (map "sites", bpf/mctop.h).
 * A site id is the cookie its uprobe carries; ids are handed out when a
 * process is attached and come back once its link is gone, on the reaper
 * thread, so the table is guarded by its own lock.
 */
#ifndef MCTOP_SITES_H
#define MCTOP_SITES_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mctop.h"

typedef struct {
  pthread_mutex_t lock;
  int map_fd;
  bool used[MCTOP_SITES_MAX];
  size_t in_use;
} mctop_sites_t;

void mctop_sites_init(mctop_sites_t *s, int map_fd);
void mctop_sites_destroy(mctop_sites_t *s);

/*
 * Takes n free ids, writes specs[i] at ids[i] in the map, and returns 0; or
 * takes nothing and returns -ENOSPC (fewer than n free: the caller waits
 * for detached processes to give theirs back) or the map write's error.
 */
int mctop_sites_take(mctop_sites_t *s, const struct mctop_site *specs, size_t n,
                     uint32_t *ids);

/* Gives ids back; only once no link can fire them any more. */
void mctop_sites_give_back(mctop_sites_t *s, const uint32_t *ids, size_t n);

#endif /* MCTOP_SITES_H */
