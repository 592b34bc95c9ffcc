/*
 * mctop: telling a restart loop from a restart.  A memcached that restarts
 * now and then gets a line in the log each time it goes and comes back; one
 * in a loop (a bad deploy, systemd's Restart=always) would fill the log
 * with them, so from the fifth exit in a minute the instance says once that
 * memcached is restarting in a loop, stays quiet about each process, and
 * says when it has been stable for a minute again.  Pure logic: the caller
 * passes the time.
 */
#ifndef MCTOP_RESTARTS_H
#define MCTOP_RESTARTS_H

#include <stdbool.h>
#include <stddef.h>

/* Exits within the window that make a loop. */
#define MCTOP_RESTART_LOOP_EXITS 5
#define MCTOP_RESTART_WINDOW 60.0 /* seconds */

typedef struct {
  double at[MCTOP_RESTART_LOOP_EXITS * 16]; /* recent exits, a ring */
  size_t next, num;
  bool in_loop;
  unsigned loop_exits; /* exits since the loop began */
  double last_exit;
} mctop_restarts_t;

/* Records an exit at now; true if it starts a loop (say so now). */
bool mctop_restarts_exit(mctop_restarts_t *r, double now);

/* Exits in the last MCTOP_RESTART_WINDOW seconds. */
unsigned mctop_restarts_recent(const mctop_restarts_t *r, double now);

/* True while in a loop; ends it, and returns true in *ended once, when the
 * last exit is a window old. */
bool mctop_restarts_looping(mctop_restarts_t *r, double now, bool *ended);

#endif /* MCTOP_RESTARTS_H */
