/*
 * mctop: restart loops.
 */
#include "restarts.h"

#define RING (sizeof(((mctop_restarts_t *)0)->at) / sizeof(double))

unsigned mctop_restarts_recent(const mctop_restarts_t *r, double now) {
  unsigned n = 0;
  for (size_t i = 0; i < r->num; i++)
    if (now - r->at[i] < MCTOP_RESTART_WINDOW)
      n++;
  return n;
}

bool mctop_restarts_exit(mctop_restarts_t *r, double now) {
  r->at[r->next] = now;
  r->next = (r->next + 1) % RING;
  if (r->num < RING)
    r->num++;
  r->last_exit = now;
  if (r->in_loop) {
    r->loop_exits++;
    return false;
  }
  if (mctop_restarts_recent(r, now) < MCTOP_RESTART_LOOP_EXITS)
    return false;
  r->in_loop = true;
  r->loop_exits = mctop_restarts_recent(r, now);
  return true;
}

bool mctop_restarts_looping(mctop_restarts_t *r, double now, bool *ended) {
  *ended = false;
  if (r->in_loop && now - r->last_exit >= MCTOP_RESTART_WINDOW) {
    r->in_loop = false;
    *ended = true;
  }
  return r->in_loop;
}
