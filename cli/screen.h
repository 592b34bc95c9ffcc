/*
 * mctop command: the full-screen view.
 *
 * Plain ANSI escapes on a terminal in raw mode rather than ncurses: the
 * view is one table redrawn each interval, every terminal emulator and
 * tmux speaks these few sequences, and the command then needs nothing
 * beyond libc at run time (one less dependency for the package).
 */
#ifndef MCTOP_CLI_SCREEN_H
#define MCTOP_CLI_SCREEN_H

#include <stdbool.h>
#include <stddef.h>

#include "engine.h"

enum mctop_col {
  MCTOP_COL_KEY,
  MCTOP_COL_CALLS,
  MCTOP_COL_GETS,
  MCTOP_COL_HITS,
  MCTOP_COL_MISSES,
  MCTOP_COL_SETS,
  MCTOP_COL_TX,
  MCTOP_COL_RX,
  MCTOP_COL_OBJSIZE,
  MCTOP_COL_LATENCY,
  MCTOP_COL_NUM,
};

typedef struct {
  enum mctop_col sort;
  enum mctop_col first_sort; /* as -s asked; r goes back to it */
  bool paused;
  bool editing;    /* typing a filter after '/' */
  char filter[64]; /* rows whose key holds it */
  size_t filter_len;
  char status[256]; /* the last thing the log said */
  /* What is drawn: the last report, copied (a paused view keeps it). */
  mctop_report_t shown;
  mctop_pick_t *picks;
  size_t picks_cap;
  double seconds; /* the shown interval's length */
  char versions[128];
  const mctop_instance_config_t *cfg;
  bool utf8; /* the terminal takes UTF-8 (the user's locale says so) */
} mctop_screen_t;

/* Raw mode, the alternate screen, no cursor; -1 if stdin or stdout is not
 * a terminal.  Sorted by cfg's SortBy, or by the key's name if by_key. */
int mctop_screen_start(mctop_screen_t *s, const mctop_instance_config_t *cfg,
                       bool by_key);

/* Puts the terminal back as it was. */
void mctop_screen_stop(mctop_screen_t *s);

/* Takes a new interval (unless paused) and draws. */
void mctop_screen_update(mctop_screen_t *s, const mctop_report_t *r,
                         double seconds, const char *versions);

/* Draws what is shown again (a key, a resize). */
void mctop_screen_draw(mctop_screen_t *s);

/* A key pressed; true if it asks to quit. */
bool mctop_screen_key(mctop_screen_t *s, int c);

#endif /* MCTOP_CLI_SCREEN_H */
