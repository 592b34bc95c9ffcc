/*
 * mctop: the link reaper thread.  Detaching touches no state shared
 * with attaching: a link is our own file descriptor(s), and site ids go
 * back under the site table's lock.
 */
#include "reaper.h"

#include <stdlib.h>
#include <string.h>

int mctop_reaper_init(mctop_reaper_t *r) {
  memset(r, 0, sizeof(*r));
  if (pthread_mutex_init(&r->lock, NULL) != 0)
    return -1;
  if (pthread_cond_init(&r->wake, NULL) != 0) {
    pthread_mutex_destroy(&r->lock);
    return -1;
  }
  return 0;
}

/* Takes the oldest entry into *out; false when stopping with none left. */
static bool next_links(mctop_reaper_t *r, mctop_links_t *out) {
  pthread_mutex_lock(&r->lock);
  while (r->head == r->queued && !r->stopping)
    pthread_cond_wait(&r->wake, &r->lock);
  bool got = r->head < r->queued;
  if (got)
    *out = r->queue[r->head++];
  if (r->head == r->queued)
    r->head = r->queued = 0; /* empty: start over at the front */
  pthread_mutex_unlock(&r->lock);
  return got;
}

static void *reap(void *arg) {
  mctop_reaper_t *r = arg;
  mctop_links_t l;
  while (next_links(r, &l)) {
    size_t n = mctop_links_sites(&l);
    mctop_detach_all(&l);
    pthread_mutex_lock(&r->lock);
    r->behind -= n;
    pthread_mutex_unlock(&r->lock);
  }
  return NULL;
}

/* Appends under the lock; false without memory or thread. */
static bool enqueue(mctop_reaper_t *r, const mctop_links_t *links) {
  if (!r->started)
    r->started = pthread_create(&r->thread, NULL, reap, r) == 0;
  if (!r->started)
    return false;
  if (r->head > 0) { /* what was taken leaves room at the front */
    memmove(r->queue, r->queue + r->head,
            (r->queued - r->head) * sizeof(*r->queue));
    r->queued -= r->head;
    r->head = 0;
  }
  if (r->queued == r->cap) {
    size_t cap = r->cap ? 2 * r->cap : 8;
    mctop_links_t *q = realloc(r->queue, cap * sizeof(*q));
    if (q == NULL)
      return false;
    r->queue = q;
    r->cap = cap;
  }
  r->queue[r->queued++] = *links;
  r->behind += mctop_links_sites(links);
  pthread_cond_signal(&r->wake);
  return true;
}

void mctop_reaper_give(mctop_reaper_t *r, mctop_links_t *links) {
  pthread_mutex_lock(&r->lock);
  bool queued = !r->stopping && enqueue(r, links);
  pthread_mutex_unlock(&r->lock);
  if (!queued) /* inline: slow but correct */
    mctop_detach_all(links);
  memset(links, 0, sizeof(*links));
}

size_t mctop_reaper_behind(mctop_reaper_t *r) {
  pthread_mutex_lock(&r->lock);
  size_t n = r->behind;
  pthread_mutex_unlock(&r->lock);
  return n;
}

void mctop_reaper_stop(mctop_reaper_t *r) {
  pthread_mutex_lock(&r->lock);
  r->stopping = true;
  pthread_cond_signal(&r->wake);
  pthread_mutex_unlock(&r->lock);
  if (r->started)
    pthread_join(r->thread, NULL); /* it drains the queue first */
  for (size_t i = r->head; i < r->queued; i++)
    mctop_detach_all(&r->queue[i]);
  free(r->queue);
  pthread_cond_destroy(&r->wake);
  pthread_mutex_destroy(&r->lock);
  memset(r, 0, sizeof(*r));
}
