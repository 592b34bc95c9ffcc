/*
 * mctop: a live top of one host's hot memcached keys, in a terminal.
 *
 * The same engine as the collectd plugin (attach/engine.h), on the same BPF
 * program: this file only reads the flags, ticks the engine every interval
 * and shows each report, full screen (screen.c) or as JSON lines (json.c).
 * Exit status: 0 when done, 1 when tracing could not start (one line on
 * stderr says why and what to do), 2 for a bad flag.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "backoff.h"
#include "engine.h"
#include "flags.h"
#include "json.h"
#include "log.h"
#include "options.h"
#include "screen.h"

static volatile sig_atomic_t stop, resized;

static void on_stop(int sig) {
  (void)sig;
  stop = 1;
}

static void on_resize(int sig) {
  (void)sig;
  resized = 1;
}

/* Where the core's log lines go: before tracing starts, the worst one is
 * kept for the exit line; after, errors and warnings go to stderr with
 * --json, to the status line full screen; -v prints everything. */
typedef struct {
  bool verbose, started;
  int first_level;
  char first[1024]; /* the first error (else warning) before the start */
  mctop_screen_t *screen;
} log_state_t;

/* The core's lines in the command's words: they name their instance, as
 * the plugin's log needs to tell instances apart, where the command has
 * one; and the options that say what to trace are its flags here. */
static const char *own_words(const char *msg, char *buf, size_t size) {
  static const char prefix[] = "instance \"" MCTOP_CLI_INSTANCE "\": ";
  if (strncmp(msg, prefix, sizeof(prefix) - 1) == 0)
    msg += sizeof(prefix) - 1;
  const char *opts = strstr(msg, MCTOP_TARGET_OPTIONS);
  if (opts == NULL)
    return msg;
  char flags[128];
  mctop_cli_as_flags(MCTOP_TARGET_OPTIONS, flags, sizeof(flags));
  snprintf(buf, size, "%.*s%s%s", (int)(opts - msg), msg, flags,
           opts + strlen(MCTOP_TARGET_OPTIONS));
  return buf;
}

static void log_line(int level, const char *msg, void *ctx) {
  log_state_t *l = ctx;
  char buf[1024];
  msg = own_words(msg, buf, sizeof(buf));
  if (l->verbose && !(l->started && l->screen != NULL))
    fprintf(stderr, "mctop: %s\n", msg);
  if (level > MCTOP_LOG_WARNING)
    return;
  if (!l->started) {
    if (l->first[0] == '\0' || level < l->first_level) {
      snprintf(l->first, sizeof(l->first), "%s", msg);
      l->first_level = level;
    }
  } else if (l->screen != NULL) {
    snprintf(l->screen->status, sizeof(l->screen->status), "%.*s",
             (int)sizeof(l->screen->status) - 1, msg); /* cut to the line */
  } else if (!l->verbose) {
    fprintf(stderr, "mctop: %s\n", msg);
  }
}

static void libbpf_quiet(void) {
  /* libbpf's own chatter: the core's messages already say what failed. */
  libbpf_set_print(NULL);
}

static double now(clockid_t c) { return mctop_clock_seconds(c); }

/* Waits until the monotonic time `until`, handling keys full screen;
 * false if asked to quit. */
static bool wait_until(double until, mctop_screen_t *screen) {
  while (!stop) {
    double left = until - now(CLOCK_MONOTONIC);
    if (left <= 0)
      return true;
    if (resized && screen != NULL) {
      resized = 0;
      mctop_screen_draw(screen);
    }
    struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
    int rc = poll(screen ? &p : NULL, screen ? 1 : 0, (int)(left * 1000) + 1);
    if (rc > 0 && screen != NULL && (p.revents & POLLIN)) {
      char buf[16];
      ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
      for (ssize_t i = 0; i < n; i++)
        if (mctop_screen_key(screen, (unsigned char)buf[i]))
          return false;
    }
  }
  return false;
}

static int fail(log_state_t *l, const char *fallback) {
  fprintf(stderr, "mctop: %s\n", l->first[0] ? l->first : fallback);
  return 1;
}

int main(int argc, char **argv) {
  mctop_cli_flags_t *f = calloc(1, sizeof(*f));
  if (f == NULL)
    return 1;
  int rc = mctop_cli_parse(f, argc, argv);
  if (rc != 0) {
    mctop_cli_flags_free(f);
    free(f);
    return rc == 1 ? 0 : 2;
  }
  log_state_t log = {.verbose = f->verbose};
  mctop_log_set_sink(log_line, &log);
  libbpf_quiet();

  mctop_instance_config_t cfg;
  if (mctop_config_instance(&f->block, &cfg) != 0) {
    /* The core said what is wrong in collectd.conf's words: the option it
     * names is given its flag. */
    fprintf(stderr, "mctop: %s\n", log.first);
    mctop_cli_see_help(log.first);
    mctop_cli_flags_free(f);
    free(f);
    return 2;
  }
  bool json = f->json, by_key = f->sort_key;
  double interval = f->interval;
  long count = f->count;
  mctop_cli_flags_free(f);
  free(f);
  mctop_engine_t *e = mctop_engine_new(&cfg);
  if (e == NULL) {
    mctop_config_free(&cfg);
    fprintf(stderr, "mctop: out of memory\n");
    return 1;
  }
  struct sigaction sa = {.sa_handler = on_stop};
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  sa.sa_handler = on_resize;
  sigaction(SIGWINCH, &sa, NULL);

  /* The first tick loads the program and attaches: tracing starts here. */
  mctop_report_t r;
  rc = mctop_engine_tick(e, &r);
  if (rc != 0 || r.targets == 0) {
    rc = fail(&log, rc != 0 ? "loading the BPF program failed"
                            : "nothing to trace: no process or binary given "
                              "could be attached (check -p, -b, --pidfile or "
                              "--match, and that memcached runs)");
    mctop_engine_free(e);
    return rc;
  }
  mctop_screen_t screen;
  bool full = !json;
  if (full &&
      mctop_screen_start(&screen, mctop_engine_config(e), by_key) != 0) {
    mctop_screen_stop(&screen);
    mctop_engine_free(e);
    fprintf(stderr, "mctop: the full-screen view needs a terminal: run it in "
                    "one, or give --json\n");
    return 1;
  }
  log.screen = full ? &screen : NULL;
  log.started = true;
  char versions[128];
  double last = now(CLOCK_MONOTONIC);
  /* Tracing started, but what went wrong on the way (a target refused,
   * deletes not counted) still reaches the user, once. */
  bool said_before = log.first[0] != '\0';
  if (said_before && !full && !log.verbose)
    fprintf(stderr, "mctop: %s\n", log.first);
  if (full) {
    mctop_engine_versions(e, versions, sizeof(versions));
    if (said_before) /* cut to the status line */
      snprintf(screen.status, sizeof(screen.status), "%.*s",
               (int)sizeof(screen.status) - 1, log.first);
    else
      snprintf(screen.status, sizeof(screen.status),
               "tracing; the first figures come in %.1f s", interval);
    mctop_screen_update(&screen, &r, interval, versions);
  }
  int status = 0;
  for (long shown = 0; count == 0 || shown < count; shown++) {
    if (!wait_until(last + interval, full ? &screen : NULL))
      break;
    double t = now(CLOCK_MONOTONIC);
    if (mctop_engine_tick(e, &r) != 0) {
      status = 1;
      break;
    }
    double seconds = t - last;
    last = t;
    if (json) {
      mctop_cli_json(stdout, &r, now(CLOCK_REALTIME), seconds);
    } else {
      if (shown == 0 && strncmp(screen.status, "tracing;", 8) == 0)
        screen.status[0] = '\0'; /* the first figures are here */
      mctop_engine_versions(e, versions, sizeof(versions));
      mctop_screen_update(&screen, &r, seconds, versions);
    }
  }
  if (full)
    mctop_screen_stop(&screen);
  mctop_engine_free(e); /* every link, program and map released */
  return status;
}
