/*
 * mctop: detaching probes off the read path.  Detaching waits for
 * the kernel's grace period (~25 ms for a process's uprobe_multi link here,
 * ~110 ms per uprobe with per-site perf links), so a worker thread does it
 * and the read callback goes on.  The queue is bounded by the instance's
 * site ids: an attach waits while too many are still held by links on
 * their way out (tracking.c).
 */
#ifndef MCTOP_REAPER_H
#define MCTOP_REAPER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "probes.h"

typedef struct {
  pthread_mutex_t lock;
  pthread_cond_t wake;
  mctop_links_t *queue; /* FIFO: queue[head..queued) */
  size_t head, queued, cap;
  size_t behind; /* uprobes queued or being detached */
  bool started, stopping;
  pthread_t thread;
} mctop_reaper_t;

int mctop_reaper_init(mctop_reaper_t *r);

/* Takes over *links (and zeroes it); detaches it on the thread, or here
 * when the thread cannot be had. */
void mctop_reaper_give(mctop_reaper_t *r, mctop_links_t *links);

/* Uprobes handed over and not yet detached. */
size_t mctop_reaper_behind(mctop_reaper_t *r);

/* Detaches everything still queued and stops the thread. */
void mctop_reaper_stop(mctop_reaper_t *r);

#endif /* MCTOP_REAPER_H */
