/*
 * mctop: handing out site ids.
 */
#include "sites.h"

#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>

void mctop_sites_init(mctop_sites_t *s, int map_fd) {
  memset(s, 0, sizeof(*s));
  pthread_mutex_init(&s->lock, NULL);
  s->map_fd = map_fd;
}

void mctop_sites_destroy(mctop_sites_t *s) {
  pthread_mutex_destroy(&s->lock);
  memset(s, 0, sizeof(*s));
}

static void put_back(mctop_sites_t *s, const uint32_t *ids, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (ids[i] < MCTOP_SITES_MAX && s->used[ids[i]]) {
      s->used[ids[i]] = false;
      s->in_use--;
    }
  }
}

int mctop_sites_take(mctop_sites_t *s, const struct mctop_site *specs, size_t n,
                     uint32_t *ids) {
  int err = 0;
  size_t got = 0;
  pthread_mutex_lock(&s->lock);
  if (MCTOP_SITES_MAX - s->in_use < n) {
    pthread_mutex_unlock(&s->lock);
    return -ENOSPC;
  }
  for (uint32_t id = 0; id < MCTOP_SITES_MAX && got < n; id++) {
    if (s->used[id])
      continue;
    /* Written before the id is attached anywhere: no hit reads it yet. */
    if (bpf_map_update_elem(s->map_fd, &id, &specs[got], BPF_ANY) != 0) {
      err = -errno;
      break;
    }
    s->used[id] = true;
    s->in_use++;
    ids[got++] = id;
  }
  if (err != 0)
    put_back(s, ids, got);
  pthread_mutex_unlock(&s->lock);
  return err;
}

void mctop_sites_give_back(mctop_sites_t *s, const uint32_t *ids, size_t n) {
  pthread_mutex_lock(&s->lock);
  put_back(s, ids, n);
  pthread_mutex_unlock(&s->lock);
}
