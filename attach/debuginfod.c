/*
 * mctop: fetching a debug file from debuginfod servers (see debuginfod.h).
 */
#include "debuginfod.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_LIBDEBUGINFOD
#include <elfutils/debuginfod.h>
#endif

#include "backoff.h"
#include "errors.h"
#include "escape.h"
#include "log.h"

#ifndef HAVE_LIBDEBUGINFOD

int mctop_debuginfod_fetch(const unsigned char *id, size_t id_len,
                           double timeout, const char *what,
                           mctop_debuginfod_accept_t accept, void *arg,
                           char *from, size_t fromlen, char *err,
                           size_t errlen) {
  (void)id, (void)id_len, (void)timeout, (void)what, (void)accept, (void)arg;
  (void)from, (void)fromlen;
  snprintf(err, errlen,
           "debuginfod support is not built in (mctop was "
           "configured without libdebuginfod)");
  return -1;
}

#else /* HAVE_LIBDEBUGINFOD */

#define ID_MAX 64
#define URLS_SHOWN 100 /* of DEBUGINFOD_URLS, in messages */
#define URL_SHOWN 160  /* of the URL that served a file */

/* Build ids whose fetch failed lately, shared by every instance (collectd
 * runs their reads on several threads). */
typedef struct {
  unsigned char id[ID_MAX];
  size_t id_len;
  double until; /* monotonic seconds; 0: a free slot */
  char why[1024];
} failure_t;

#define FAILURES_MAX 32
static failure_t failures[FAILURES_MAX];
static pthread_mutex_t failures_lock = PTHREAD_MUTEX_INITIALIZER;

static void hex(const unsigned char *id, size_t len, char *out, size_t size) {
  out[0] = '\0';
  for (size_t i = 0; i < len && 2 * i + 2 < size; i++)
    snprintf(out + 2 * i, size - 2 * i, "%02x", id[i]);
}

static failure_t *find_failure(const unsigned char *id, size_t len) {
  for (size_t i = 0; i < FAILURES_MAX; i++)
    if (failures[i].until > 0 && failures[i].id_len == len &&
        memcmp(failures[i].id, id, len) == 0)
      return &failures[i];
  return NULL;
}

/* True, with err saying when it failed and why, if it failed lately. */
static bool failed_lately(const unsigned char *id, size_t len, char *err,
                          size_t errlen) {
  double now = mctop_now();
  pthread_mutex_lock(&failures_lock);
  failure_t *f = find_failure(id, len);
  bool lately = f != NULL && now < f->until;
  if (lately)
    snprintf(err, errlen, "%s; not asked again for %.0f s", f->why,
             f->until - now);
  pthread_mutex_unlock(&failures_lock);
  return lately;
}

/* Remembers a failure in its own slot, a free or expired one, or else the
 * one that expires first. */
static void remember_failure(const unsigned char *id, size_t len,
                             const char *why) {
  double now = mctop_now();
  pthread_mutex_lock(&failures_lock);
  failure_t *f = find_failure(id, len);
  for (size_t i = 0; f == NULL && i < FAILURES_MAX; i++)
    if (failures[i].until <= now)
      f = &failures[i];
  for (size_t i = 0; f == NULL && i < FAILURES_MAX; i++)
    if (f == NULL || failures[i].until < f->until)
      f = &failures[i];
  memcpy(f->id, id, len);
  f->id_len = len;
  f->until = now + MCTOP_DEBUGINFOD_RETRY;
  snprintf(f->why, sizeof(f->why), "%s", why);
  pthread_mutex_unlock(&failures_lock);
}

/* What the progress callback enforces, and what it stopped. */
typedef struct {
  double deadline;
  long max_bytes;
  bool late, big;
} bound_t;

/* libdebuginfod calls this about once a second while it waits and after
 * each chunk: non-zero ends the transfer. */
static int progress(debuginfod_client *c, long done, long total) {
  bound_t *b = debuginfod_get_user_data(c);
  b->late = b->late || mctop_now() > b->deadline;
  b->big = b->big || done > b->max_bytes || total > b->max_bytes;
  return b->late || b->big;
}

/* Why libdebuginfod returned rc < 0. */
static void failure_text(int rc, const bound_t *b, double timeout,
                         const char *urls, char *err, size_t errlen) {
  char why[128], shown[MCTOP_ESCAPED_SIZE(URLS_SHOWN)];
  mctop_escape(urls, strnlen(urls, URLS_SHOWN), shown, sizeof(shown));
  if (b->late)
    snprintf(err, errlen,
             "no debug file from %s within %.0f s (option "
             "DebuginfodTimeout)",
             shown, timeout);
  else if (b->big)
    snprintf(err, errlen,
             "the debug file %s offered is over %zu MiB: "
             "refused",
             shown, MCTOP_FILE_IMAGE_MAX >> 20);
  else if (rc == -ENOENT)
    snprintf(err, errlen, "no server of %s has it", shown);
  else
    snprintf(err, errlen, "asking %s failed: %s", shown,
             mctop_strerror(-rc, why, sizeof(why)));
}

/* One request to libdebuginfod: the descriptor of the file in its cache
 * (path set, url the server that served it, "" from the cache), or -1. */
static int ask(const unsigned char *id, size_t id_len, double timeout,
               const char *urls, char **path, char *url, size_t urllen,
               char *err, size_t errlen) {
  debuginfod_client *c = debuginfod_begin();
  if (c == NULL) {
    snprintf(err, errlen, "libdebuginfod could not start a client");
    return -1;
  }
  bound_t b = {mctop_now() + timeout, (long)MCTOP_FILE_IMAGE_MAX, false, false};
  debuginfod_set_user_data(c, &b);
  debuginfod_set_progressfn(c, progress);
  int fd = debuginfod_find_debuginfo(c, id, (int)id_len, path);
  const char *u = debuginfod_get_url(c);
  mctop_escape(u ? u : "", u ? strnlen(u, URL_SHOWN) : 0, url, urllen);
  debuginfod_end(c);
  if (fd >= 0)
    return fd;
  *path = NULL;
  failure_text(fd, &b, timeout, urls, err, errlen);
  return -1;
}

/* The file libdebuginfod returned, read into memory (fd taken over) and
 * handed to accept; one that is not taken leaves the cache, so that the
 * server is asked again next time.  0, or -1 with why. */
static int take(int fd, const char *path, const char *url,
                mctop_debuginfod_accept_t accept, void *arg, char *why,
                size_t whylen) {
  mctop_image_t img;
  char refused[200];
  if (mctop_image_read(fd, path, MCTOP_FILE_IMAGE_MAX, &img, why, whylen) !=
      0) {
    unlink(path); /* not a file mctop reads (over 64 MiB, ...) */
    return -1;
  }
  bool ok = accept(&img, arg, refused, sizeof(refused));
  mctop_image_free(&img);
  if (ok)
    return 0;
  unlink(path);
  snprintf(why, whylen, "the file %s served is refused: %s",
           url[0] ? url : "debuginfod's cache", refused);
  return -1;
}

int mctop_debuginfod_fetch(const unsigned char *id, size_t id_len,
                           double timeout, const char *what,
                           mctop_debuginfod_accept_t accept, void *arg,
                           char *from, size_t fromlen, char *err,
                           size_t errlen) {
  const char *urls = getenv(DEBUGINFOD_URLS_ENV_VAR);
  char idx[2 * ID_MAX + 1], why[1024], url[MCTOP_ESCAPED_SIZE(URL_SHOWN)];
  char *path = NULL;
  if (urls == NULL || urls[0] == '\0') {
    snprintf(err, errlen, "DEBUGINFOD_URLS is not set");
    return -1;
  }
  if (id_len == 0 || id_len > ID_MAX) {
    snprintf(err, errlen, "the binary has no build id to ask debuginfod for");
    return -1;
  }
  if (failed_lately(id, id_len, err, errlen))
    return -1;
  if (timeout < 1) { /* not a failure: the next look asks */
    snprintf(err, errlen,
             "this interval's DebuginfodTimeout was spent on "
             "other targets' fetches; asked at the next look");
    return -1;
  }
  hex(id, id_len, idx, sizeof(idx));
  int fd =
      ask(id, id_len, timeout, urls, &path, url, sizeof(url), why, sizeof(why));
  if (fd >= 0)
    fd = take(fd, path, url, accept, arg, why, sizeof(why));
  if (fd < 0) {
    remember_failure(id, id_len, why);
    snprintf(err, errlen, "%s", why);
    free(path);
    return -1;
  }
  char cached[MCTOP_ESCAPED_SIZE(256)];
  mctop_esc(path, cached, sizeof(cached));
  if (url[0])
    snprintf(from, fromlen, "debuginfod server %s", url);
  else
    snprintf(from, fromlen, "debuginfod's cache %s", cached);
  MCTOP_NOTICE("the debug file of %s (build id %s) came from %s%s%s", what, idx,
               from, url[0] ? ", cached at " : "", url[0] ? cached : "");
  free(path);
  return 0;
}

#endif /* HAVE_LIBDEBUGINFOD */
