/*
 * mctop command: the full-screen view (see screen.h).
 */
#include "screen.h"

#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "key_fields.h"
#include "options.h"
#include "text.h"

static struct termios saved;
static bool raw_on;

/* Whether the user's locale (LC_ALL, LC_CTYPE, LANG) says the terminal
 * takes UTF-8; if not, every byte above ASCII is shown as \xNN.  The
 * process's own locale is left as it was ("C": KeyPattern matches bytes). */
static bool terminal_utf8(void) {
  char was[64];
  snprintf(was, sizeof(was), "%s", setlocale(LC_CTYPE, NULL));
  bool utf8 = setlocale(LC_CTYPE, "") != NULL &&
              strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
  setlocale(LC_CTYPE, was);
  return utf8;
}

/* The column of a SortBy: the screen opens sorted as the keys were
 * ranked (bytes and lookups have no column: calls). */
static enum mctop_col column_of(enum mctop_sort by) {
  switch (by) {
  case MCTOP_SORT_GETS:
    return MCTOP_COL_GETS;
  case MCTOP_SORT_HITS:
    return MCTOP_COL_HITS;
  case MCTOP_SORT_MISSES:
    return MCTOP_COL_MISSES;
  case MCTOP_SORT_SETS:
    return MCTOP_COL_SETS;
  case MCTOP_SORT_TX:
    return MCTOP_COL_TX;
  case MCTOP_SORT_RX:
    return MCTOP_COL_RX;
  case MCTOP_SORT_OBJSIZE:
    return MCTOP_COL_OBJSIZE;
  case MCTOP_SORT_LATENCY:
    return MCTOP_COL_LATENCY;
  default:
    return MCTOP_COL_CALLS;
  }
}

int mctop_screen_start(mctop_screen_t *s, const mctop_instance_config_t *cfg,
                       bool by_key) {
  memset(s, 0, sizeof(*s));
  s->first_sort = by_key ? MCTOP_COL_KEY : column_of(cfg->sort_by);
  s->sort = s->first_sort;
  s->cfg = cfg;
  if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
    return -1;
  s->utf8 = terminal_utf8();
  if (tcgetattr(STDIN_FILENO, &saved) != 0)
    return -1;
  struct termios raw = saved;
  raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
  raw.c_cc[VMIN] = 0;
  raw.c_cc[VTIME] = 0;
  if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) != 0)
    return -1;
  raw_on = true;
  fputs("\033[?1049h\033[?25l", stdout); /* alternate screen, no cursor */
  fflush(stdout);
  return 0;
}

void mctop_screen_stop(mctop_screen_t *s) {
  if (raw_on) {
    fputs("\033[?25h\033[?1049l", stdout);
    fflush(stdout);
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    raw_on = false;
  }
  free(s->picks);
  s->picks = NULL;
}

void mctop_screen_update(mctop_screen_t *s, const mctop_report_t *r,
                         double seconds, const char *versions) {
  if (!s->paused) {
    if (r->picks_num > s->picks_cap) {
      mctop_pick_t *p = realloc(s->picks, r->picks_num * sizeof(*p));
      if (p == NULL)
        return;
      s->picks = p;
      s->picks_cap = r->picks_num;
    }
    if (r->picks_num > 0)
      memcpy(s->picks, r->picks, r->picks_num * sizeof(*s->picks));
    s->shown = *r;
    s->shown.picks = s->picks;
    s->seconds = seconds > 0 ? seconds : 1;
    snprintf(s->versions, sizeof(s->versions), "%s", versions);
  }
  mctop_screen_draw(s);
}

/* A pick's figure for column c, per second where it is a count. */
static double figure(const mctop_screen_t *s, const uint64_t *v, double lat,
                     enum mctop_col c) {
  double per = 1 / s->seconds;
  switch (c) {
  case MCTOP_COL_CALLS:
    return (double)v[MCTOP_KEY_FIELD_CALLS] * per;
  case MCTOP_COL_GETS:
    return (double)v[MCTOP_KEY_FIELD_GETS] * per;
  case MCTOP_COL_HITS:
    return (double)v[MCTOP_KEY_FIELD_HITS] * per;
  case MCTOP_COL_MISSES:
    return (double)v[MCTOP_KEY_FIELD_MISSES] * per;
  case MCTOP_COL_SETS:
    return (double)v[MCTOP_KEY_FIELD_SETS] * per;
  case MCTOP_COL_TX:
    return (double)v[MCTOP_KEY_FIELD_TX] * per;
  case MCTOP_COL_RX:
    return (double)v[MCTOP_KEY_FIELD_RX] * per;
  case MCTOP_COL_OBJSIZE:
    return (double)v[MCTOP_KEY_FIELD_OBJSIZE];
  case MCTOP_COL_LATENCY:
    return isnan(lat) ? -1 : lat;
  default:
    return 0;
  }
}

static const mctop_screen_t *sorting;

static int by_column(const void *a, const void *b) {
  const mctop_pick_t *x = a, *y = b;
  if (sorting->sort == MCTOP_COL_KEY)
    return strcmp(x->name, y->name);
  double fx = figure(sorting, x->interval, x->latency, sorting->sort);
  double fy = figure(sorting, y->interval, y->latency, sorting->sort);
  return fx < fy ? 1 : fx > fy ? -1 : strcmp(x->name, y->name);
}

/* 12.3k-style: a column stays narrow whatever the rate. */
static void human(char *buf, size_t size, double v) {
  if (v < 0)
    snprintf(buf, size, "-");
  else if (v < 1000)
    snprintf(buf, size, "%.0f", v);
  else if (v < 1e6)
    snprintf(buf, size, "%.1fk", v / 1e3);
  else if (v < 1e9)
    snprintf(buf, size, "%.1fM", v / 1e6);
  else
    snprintf(buf, size, "%.1fG", v / 1e9);
}

typedef struct {
  char *buf;
  size_t len, cap;
  int width, rows, row;
} canvas_t;

/* One line, cut to the terminal's width, cleared to its end. */
static void line(canvas_t *cv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void line(canvas_t *cv, const char *fmt, ...) {
  if (cv->row >= cv->rows)
    return;
  char text[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof(text), fmt, ap);
  va_end(ap);
  text[mctop_text_fit(text, strlen(text), cv->width)] = '\0';
  int n = snprintf(cv->buf + cv->len, cv->cap - cv->len, "%s\033[K\r\n", text);
  if (n > 0 && cv->len + (size_t)n < cv->cap)
    cv->len += (size_t)n;
  cv->row++;
}

static const char *const col_names[MCTOP_COL_NUM] = {
    "key",    "calls/s", "gets/s", "hits/s", "misses/s",
    "sets/s", "out B/s", "in B/s", "size",   "latency"};
/* The key that sorts by each column, and the word the help line gives it
 * (SortBy's, where it has one). */
static const char col_keys[MCTOP_COL_NUM] = {'k', 'c', 'g', 'h', 'm',
                                             's', 'o', 'i', 'z', 'l'};
static const char *const col_words[MCTOP_COL_NUM] = {
    "key",  "calls", "gets", "hits", "misses",
    "sets", "out",   "in",   "size", "latency"};

/* The help line's "sort:" part, from the column tables: "k key c calls
 * ... l latency" (latency only when timed). */
static void sort_help(bool latency, char *buf, size_t size) {
  size_t n = 0;
  buf[0] = '\0';
  for (int c = 0; c < MCTOP_COL_NUM; c++) {
    if (c == MCTOP_COL_LATENCY && !latency)
      continue;
    int w = snprintf(buf + n, n < size ? size - n : 0, "%s%c %s", n ? " " : "",
                     col_keys[c], col_words[c]);
    if (w > 0)
      n += (size_t)w;
  }
}

/* Text from a key or a target, as the screen shows it (see text.h); up to
 * `width` columns, padded if pad. */
static const char *shown(const mctop_screen_t *s, const char *text, int width,
                         bool pad, char *buf, size_t size) {
  mctop_text_cell(text, strlen(text), width, pad, s->utf8, buf, size);
  return buf;
}

static void row(canvas_t *cv, const mctop_screen_t *s, const char *name,
                const uint64_t *v, double lat, bool latency) {
  char key[MCTOP_CELL_SIZE(32)], cells[MCTOP_COL_NUM][16];
  for (int c = MCTOP_COL_CALLS; c < MCTOP_COL_NUM; c++) {
    double f = figure(s, v, lat, (enum mctop_col)c);
    if (c == MCTOP_COL_LATENCY)
      snprintf(cells[c], sizeof(cells[c]), f < 0 ? "-" : "%.0fus", f * 1e6);
    else
      human(cells[c], sizeof(cells[c]), f);
  }
  line(cv, "%s %9s %9s %9s %9s %9s %9s %9s %7s %9s",
       shown(s, name, 32, true, key, sizeof(key)), cells[MCTOP_COL_CALLS],
       cells[MCTOP_COL_GETS], cells[MCTOP_COL_HITS], cells[MCTOP_COL_MISSES],
       cells[MCTOP_COL_SETS], cells[MCTOP_COL_TX], cells[MCTOP_COL_RX],
       cells[MCTOP_COL_OBJSIZE], latency ? cells[MCTOP_COL_LATENCY] : "");
}

void mctop_screen_draw(mctop_screen_t *s) {
  struct winsize ws = {.ws_col = 120, .ws_row = 40};
  ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws);
  canvas_t cv = {.width = ws.ws_col ? ws.ws_col : 120,
                 .rows = ws.ws_row ? ws.ws_row : 40};
  cv.cap = (size_t)(cv.width + 16) * (size_t)cv.rows + 64;
  cv.buf = malloc(cv.cap);
  if (cv.buf == NULL)
    return;
  cv.len = (size_t)snprintf(cv.buf, cv.cap, "\033[H");
  const mctop_report_t *r = &s->shown;
  const struct mctop_totals *t = &r->totals_interval;
  double per = 1 / s->seconds;
  uint64_t cmds = 0;
  for (int c = 0; c < MCTOP_CMD_COUNT; c++)
    cmds += t->cmds[c];
  char text[MCTOP_CELL_SIZE(256)];
  line(&cv, "mctop - memcached %s - %zu target%s - every %.1f s%s",
       s->versions[0] ? shown(s, s->versions, 128, false, text, sizeof(text))
                      : "(version unknown)",
       r->targets, r->targets == 1 ? "" : "s", s->seconds,
       s->paused ? " - PAUSED" : "");
  char req[512];
  size_t n = 0;
  for (int c = 0; c < MCTOP_CMD_COUNT && n < sizeof(req); c++)
    if (t->cmds[c] > 0) {
      char v[16];
      human(v, sizeof(v), (double)t->cmds[c] * per);
      n += (size_t)snprintf(req + n, sizeof(req) - n, " %s %s",
                            mctop_cmd_name((unsigned)c), v);
    }
  line(&cv, "requests/s %.0f:%s", (double)cmds * per, n ? req : " none");
  uint64_t gets = t->cmds[MCTOP_CMD_GET], hits = mctop_totals_hits(t);
  char in[16], out[16];
  human(in, sizeof(in), (double)t->rx_bytes * per);
  human(out, sizeof(out), (double)t->tx_bytes * per);
  if (gets > 0)
    line(&cv, "hit ratio %.1f%%   in %sB/s   out %sB/s",
         100.0 * (double)hits / (double)gets, in, out);
  else
    line(&cv, "hit ratio -   in %sB/s   out %sB/s", in, out);
  line(&cv,
       "tracked keys %zu   not counted per key %llu/s   mctop's drain %.1f ms",
       r->tracked,
       (unsigned long long)((double)(t->key_slot_misses + t->bad_keys) * per),
       r->drain_seconds * 1e3);
  line(&cv, "%s", shown(s, s->status, 256, false, text, sizeof(text)));
  bool latency = s->cfg != NULL && s->cfg->latency;
  char head[256];
  snprintf(head, sizeof(head), "%-32s", col_names[0]);
  for (int c = MCTOP_COL_CALLS; c < MCTOP_COL_NUM; c++) {
    if (c == MCTOP_COL_LATENCY && !latency)
      break;
    char h[24];
    snprintf(h, sizeof(h), "%s%s", (int)s->sort == c ? "*" : "", col_names[c]);
    size_t used = strlen(head);
    snprintf(head + used, sizeof(head) - used, " %*s",
             c == MCTOP_COL_OBJSIZE ? 7 : 9, h);
  }
  if (s->sort == MCTOP_COL_KEY)
    head[0] = '*';
  line(&cv, "\033[7m%s\033[0m", head);
  sorting = s;
  if (r->picks_num > 1)
    qsort(s->picks, r->picks_num, sizeof(*s->picks), by_column);
  int room = cv.rows - cv.row - 2; /* ~other and the help line */
  for (size_t i = 0; i < r->picks_num && room > 0; i++) {
    const mctop_pick_t *p = &s->picks[i];
    if (s->filter_len > 0 && strstr(p->name, s->filter) == NULL)
      continue;
    row(&cv, s, p->name, p->interval, p->latency, latency);
    room--;
  }
  row(&cv, s, "~other", r->other_interval, r->other_latency, latency);
  while (cv.row < cv.rows - 1)
    line(&cv, "%s", "");
  const char *filter = shown(s, s->filter, 64, false, text, sizeof(text));
  if (s->editing)
    line(&cv, "filter: %s_", filter);
  else {
    char sorts[160];
    sort_help(latency, sorts, sizeof(sorts));
    line(&cv, "sort: %s | p pause / filter%s%s%s r reset q quit", sorts,
         s->filter_len ? " \"" : "", s->filter_len ? filter : "",
         s->filter_len ? "\" " : "");
  }
  /* The last line has no newline to spare: drop it so nothing scrolls. */
  if (cv.len >= 2 && cv.buf[cv.len - 1] == '\n')
    cv.len -= 2;
  fwrite(cv.buf, 1, cv.len, stdout);
  fputs("\033[J", stdout);
  fflush(stdout);
  free(cv.buf);
}

bool mctop_screen_key(mctop_screen_t *s, int c) {
  if (s->editing) {
    if (c == '\r' || c == '\n' || c == 27) {
      s->editing = false;
      if (c == 27) {
        s->filter_len = 0;
        s->filter[0] = '\0';
      }
    } else if ((c == 127 || c == 8) && s->filter_len > 0) {
      s->filter[--s->filter_len] = '\0';
    } else if (c >= 0x20 && c < 0x7f && s->filter_len + 1 < sizeof(s->filter)) {
      s->filter[s->filter_len++] = (char)c;
      s->filter[s->filter_len] = '\0';
    }
    mctop_screen_draw(s);
    return false;
  }
  switch (c) {
  case 'q':
  case 'Q':
    return true;
  case 'p':
    s->paused = !s->paused;
    break;
  case '/':
    s->editing = true;
    break;
  case 'r':
    s->sort = s->first_sort;
    s->filter_len = 0;
    s->filter[0] = '\0';
    s->paused = false;
    break;
  default:
    for (int i = 0; i < MCTOP_COL_NUM; i++)
      if (c == col_keys[i])
        s->sort = (enum mctop_col)i;
    break;
  }
  mctop_screen_draw(s);
  return false;
}
