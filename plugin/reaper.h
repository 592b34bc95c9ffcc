/*
 * mctop plugin: detaching probes off the read path.  The kernel takes
 * ~170 ms to unregister one uprobe here (it waits for a grace period), so
 * detaching a gone memcached's eleven probes inline would stall the read
 * callback for ~2 s and delay attaching to its successor.  A worker thread
 * destroys the links instead, one at a time under the instance's libbpf
 * lock, so an attach waits at most for one of them.
 */
#ifndef MCTOP_REAPER_H
#define MCTOP_REAPER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

struct bpf_link;

typedef struct {
  /* Held around every libbpf attach and link destruction of the instance:
   * they share the object's USDT bookkeeping. */
  pthread_mutex_t libbpf_lock;
  pthread_mutex_t queue_lock;
  pthread_cond_t wake;
  struct bpf_link **queue;
  size_t queued;
  bool started, stopping;
  pthread_t thread;
} mctop_reaper_t;

int mctop_reaper_init(mctop_reaper_t *r);

/* Takes ownership of links[0..n) and of the links array itself. */
void mctop_reaper_give(mctop_reaper_t *r, struct bpf_link **links, size_t n);

/* Destroys everything still queued and stops the thread. */
void mctop_reaper_stop(mctop_reaper_t *r);

#endif /* MCTOP_REAPER_H */
