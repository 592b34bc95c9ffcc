/*
 * mctop plugin: the link reaper thread.
 */
#include "reaper.h"

#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

int mctop_reaper_init(mctop_reaper_t *r) {
  memset(r, 0, sizeof(*r));
  if (pthread_mutex_init(&r->libbpf_lock, NULL) != 0)
    return -1;
  pthread_mutex_init(&r->queue_lock, NULL);
  pthread_cond_init(&r->wake, NULL);
  return 0;
}

/* Pops one link, or NULL when stopping with nothing left. */
static struct bpf_link *next_link(mctop_reaper_t *r) {
  pthread_mutex_lock(&r->queue_lock);
  while (r->queued == 0 && !r->stopping)
    pthread_cond_wait(&r->wake, &r->queue_lock);
  struct bpf_link *l = r->queued > 0 ? r->queue[--r->queued] : NULL;
  pthread_mutex_unlock(&r->queue_lock);
  return l;
}

static void *reap(void *arg) {
  mctop_reaper_t *r = arg;
  for (struct bpf_link *l; (l = next_link(r)) != NULL;) {
    pthread_mutex_lock(&r->libbpf_lock);
    bpf_link__destroy(l);
    pthread_mutex_unlock(&r->libbpf_lock);
  }
  return NULL;
}

void mctop_reaper_give(mctop_reaper_t *r, struct bpf_link **links, size_t n) {
  struct bpf_link **q = NULL;
  pthread_mutex_lock(&r->queue_lock);
  if (!r->started)
    r->started = pthread_create(&r->thread, NULL, reap, r) == 0;
  if (r->started)
    q = realloc(r->queue, (r->queued + n) * sizeof(*q));
  if (q != NULL) {
    memcpy(q + r->queued, links, n * sizeof(*q));
    r->queue = q;
    r->queued += n;
    pthread_cond_signal(&r->wake);
  }
  pthread_mutex_unlock(&r->queue_lock);
  if (q == NULL) { /* no thread or no memory: inline, slow but correct */
    pthread_mutex_lock(&r->libbpf_lock);
    for (size_t i = 0; i < n; i++)
      bpf_link__destroy(links[i]);
    pthread_mutex_unlock(&r->libbpf_lock);
  }
  free(links);
}

void mctop_reaper_stop(mctop_reaper_t *r) {
  pthread_mutex_lock(&r->queue_lock);
  r->stopping = true;
  pthread_cond_signal(&r->wake);
  pthread_mutex_unlock(&r->queue_lock);
  if (r->started)
    pthread_join(r->thread, NULL);
  for (size_t i = 0; i < r->queued; i++)
    bpf_link__destroy(r->queue[i]);
  free(r->queue);
  pthread_cond_destroy(&r->wake);
  pthread_mutex_destroy(&r->queue_lock);
  pthread_mutex_destroy(&r->libbpf_lock);
  memset(r, 0, sizeof(*r));
}
