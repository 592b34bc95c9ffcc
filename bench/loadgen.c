/*
 * loadgen: a memcached text-protocol load generator for mctop's benchmarks.
 *
 * One thread drives every connection through epoll; each connection keeps
 * --pipeline requests in flight and refills as replies come back.  Every reply
 * is parsed (VALUE/END, END, STORED, error lines), so when loadgen is the only
 * client its counters equal memcached's own `stats` (cmd_get, cmd_set,
 * get_hits, get_misses) exactly: a run stops issuing at the deadline or at
 * --requests and then waits for every reply in flight.
 *
 * Keys are a pure function of their id ("k:<id>:" then filler up to a length
 * drawn from the id), independent of --seed, so the same id is the same key in
 * every run and per-key counts can be predicted.
 *
 * Build: gcc -std=gnu11 -O2 -Wall -Wextra -Werror -o loadgen bench/loadgen.c
 * (no libm: zipf sampling uses an alias table, not pow/log).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define KEY_LEN_MAX 250   /* memcached's KEY_MAX_LENGTH */
#define LINE_MAX_LEN 4096 /* longest reply line accepted */
#define RBUF_SIZE 65536   /* per connection; values are skipped, not kept */
#define OBUF_INIT 65536
#define FILLER_LEN 512 /* filler pattern; any offset < 256 leaves >= 250 */
#define VALUE_SIZE_MAX (64u << 20)
#define EVENTS_MAX 64
#define CONNECT_TIMEOUT_S 5

enum op { OP_GET, OP_SET };
enum result { R_HIT, R_MISS, R_STORED, R_ERROR };
enum dist { DIST_UNIFORM, DIST_ZIPF };

struct options {
  const char *host;
  const char *port;
  unsigned conns;
  unsigned pipeline;
  double duration;   /* seconds, 0: no time limit */
  uint64_t requests; /* 0: no request limit */
  uint64_t keys;
  unsigned key_min, key_max;
  double get_ratio;
  size_t value_size;
  bool prefill;
  uint64_t seed;
  enum dist dist;
  bool unique;
  uint64_t first_id; /* --unique: first fresh id */
  double timeout;    /* give up after this long without any reply */
  bool json;
  double rate;      /* measured phase: requests per second, 0: unpaced */
  double hot_share; /* fraction of requests for hot_id, 0: none */
  uint64_t hot_id;
};

struct slot {
  uint64_t id;
  enum op op;
};

struct conn {
  int fd;
  bool want_out; /* EPOLLOUT registered */
  char *out;
  size_t out_off, out_len, out_cap;
  struct slot *ring; /* requests in flight, oldest at head */
  unsigned head, count;
  char *rbuf;
  size_t r_len;
  uint64_t skip;  /* value bytes still to skip */
  bool need_crlf; /* the \r\n that ends a value */
  bool got_value; /* the get at head has had its VALUE line */
};

struct counters {
  uint64_t gets, sets, hits, misses, errors;
  uint64_t hot_gets; /* gets of --hot-id, whichever way it was picked */
  double seconds;
};

struct alias_entry {
  uint32_t thr; /* keep own index if the low draw is below thr */
  uint32_t alias;
};

struct loadgen {
  struct options o;
  struct conn *conns;
  int epfd;
  uint64_t rng;
  struct alias_entry *zipf;
  char filler[FILLER_LEN];
  char *value;         /* "<value>\r\n" */
  char set_suffix[48]; /* " 0 0 <n>\r\n" */
  size_t set_suffix_len;
  /* the running phase */
  bool prefilling, stopping;
  uint64_t issued, limit, next_id;
  double phase_start; /* CLOCK_MONOTONIC, for --rate */
  double start_epoch; /* the measured phase's start, wall clock */
  unsigned inflight;
  double last_progress;
  struct counters *cnt;
  struct counters prefill, measure;
  uint64_t bytes_out, bytes_in;
  char first_error[128];
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig) {
  (void)sig;
  interrupted = 1;
}

_Noreturn static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("loadgen: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* splitmix64's finaliser: a good 64-bit mix, used both as the RNG (over a
 * Weyl sequence) and to derive key lengths from ids. */
static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static uint64_t rng_next(struct loadgen *lg) {
  lg->rng += 0x9e3779b97f4a7c15ULL;
  return mix64(lg->rng);
}

/* Uniform in [0, n) by multiply-shift (bias below 2^-64 * n). */
static uint64_t rng_below(struct loadgen *lg, uint64_t n) {
  return (uint64_t)(((unsigned __int128)rng_next(lg) * n) >> 64);
}

static double rng_unit(struct loadgen *lg) {
  return (double)(rng_next(lg) >> 11) * 0x1.0p-53;
}

/* ---- keys ---------------------------------------------------------------- */

static void filler_init(struct loadgen *lg) {
  static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  uint64_t h = 0x6d63746f70ULL; /* fixed: keys must not depend on --seed */
  for (size_t i = 0; i < FILLER_LEN; i++) {
    h = mix64(h + i);
    lg->filler[i] = alnum[h % (sizeof(alnum) - 1)];
  }
}

static size_t put_u64(char *dst, uint64_t v) {
  char tmp[20];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  for (size_t i = 0; i < n; i++)
    dst[i] = tmp[n - 1 - i];
  return n;
}

/* The key of an id: "k:<id>:" padded with filler to a length in
 * [key_min, key_max] drawn from the id.  A prefix longer than the drawn
 * length is kept whole (the key stays unique); it is at most 23 bytes. */
static size_t make_key(const struct loadgen *lg, uint64_t id, char *dst) {
  uint64_t h = mix64(id ^ 0x6b65796c656eULL);
  unsigned span = lg->o.key_max - lg->o.key_min + 1;
  size_t want = lg->o.key_min + (size_t)(h % span);
  size_t n = 0;
  dst[n++] = 'k';
  dst[n++] = ':';
  n += put_u64(dst + n, id);
  dst[n++] = ':';
  if (n < want) {
    memcpy(dst + n, lg->filler + (h >> 56), want - n);
    n = want;
  }
  return n;
}

/* ---- zipf ---------------------------------------------------------------
 * s = 1 over ids 0..keys-1, id 0 the most popular.  A Walker/Vose alias
 * table: O(keys) to build, two draws per sample, exact weights 1/(id+1) up to
 * 2^-32 rounding of the thresholds (and no libm). */

static struct alias_entry *zipf_build(uint64_t n) {
  struct alias_entry *tab = calloc(n, sizeof(*tab));
  double *q = malloc(n * sizeof(*q));
  uint32_t *work = malloc(n * sizeof(*work)); /* small stack up, large down */
  if (tab == NULL || q == NULL || work == NULL)
    die("out of memory building the zipf table for %" PRIu64 " keys", n);
  double hn = 0;
  for (uint64_t i = n; i > 0; i--) /* smallest terms first */
    hn += 1.0 / (double)i;
  size_t ns = 0, nl = n;
  for (uint64_t i = 0; i < n; i++) {
    q[i] = (double)n / ((double)(i + 1) * hn);
    if (q[i] < 1.0)
      work[ns++] = (uint32_t)i;
    else
      work[--nl] = (uint32_t)i;
  }
  while (ns > 0 && nl < n) {
    uint32_t s = work[--ns], l = work[nl++];
    tab[s].thr = (uint32_t)(q[s] * 4294967296.0);
    tab[s].alias = l;
    q[l] = (q[l] + q[s]) - 1.0;
    if (q[l] < 1.0)
      work[ns++] = l;
    else
      work[--nl] = l;
  }
  /* What is left has weight 1 (up to rounding): always itself. */
  for (size_t i = 0; i < ns; i++)
    tab[work[i]] = (struct alias_entry){UINT32_MAX, work[i]};
  for (size_t i = nl; i < n; i++)
    tab[work[i]] = (struct alias_entry){UINT32_MAX, work[i]};
  free(q);
  free(work);
  return tab;
}

static uint64_t pick_id(struct loadgen *lg) {
  if (lg->o.unique)
    return lg->next_id++;
  /* Drawn only with --hot-share, so every other mode keeps its sequence. */
  if (lg->o.hot_share > 0 && rng_unit(lg) < lg->o.hot_share)
    return lg->o.hot_id;
  uint64_t i = rng_below(lg, lg->o.keys);
  if (lg->o.dist == DIST_UNIFORM)
    return i;
  uint32_t t = (uint32_t)rng_next(lg);
  return t < lg->zipf[i].thr ? i : lg->zipf[i].alias;
}

/* ---- requests ------------------------------------------------------------ */

/* --rate: the measured phase may have issued one request more than its
 * share of the time elapsed, so requests go out evenly, not in bursts of
 * a pipeline's worth. */
static bool paced_out(const struct loadgen *lg) {
  if (lg->o.rate <= 0 || lg->prefilling)
    return false;
  return (double)lg->issued >= (now() - lg->phase_start) * lg->o.rate + 1.0;
}

static bool next_request(struct loadgen *lg, struct slot *s) {
  if (lg->stopping || lg->issued >= lg->limit || paced_out(lg))
    return false;
  if (lg->prefilling) {
    s->op = OP_SET;
    s->id = lg->next_id++;
  } else {
    s->op = rng_unit(lg) < lg->o.get_ratio ? OP_GET : OP_SET;
    s->id = pick_id(lg);
  }
  lg->issued++;
  return true;
}

/* Room for need more bytes at the end of the output buffer. */
static char *out_reserve(struct conn *c, size_t need) {
  if (c->out_off == c->out_len)
    c->out_off = c->out_len = 0;
  if (c->out_len + need <= c->out_cap)
    return c->out + c->out_len;
  if (c->out_off > 0) {
    memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
    c->out_len -= c->out_off;
    c->out_off = 0;
  }
  if (c->out_len + need > c->out_cap) {
    size_t cap = c->out_cap;
    while (c->out_len + need > cap)
      cap *= 2;
    char *p = realloc(c->out, cap);
    if (p == NULL)
      die("out of memory (output buffer of %zu bytes)", cap);
    c->out = p;
    c->out_cap = cap;
  }
  return c->out + c->out_len;
}

static void append_request(struct loadgen *lg, struct conn *c,
                           const struct slot *s) {
  char key[KEY_LEN_MAX + 32];
  size_t klen = make_key(lg, s->id, key);
  size_t vlen = lg->o.value_size + 2;
  char *p = out_reserve(c, klen + 6 + lg->set_suffix_len + vlen);
  char *start = p;
  memcpy(p, s->op == OP_GET ? "get " : "set ", 4);
  p += 4;
  memcpy(p, key, klen);
  p += klen;
  if (s->op == OP_GET) {
    memcpy(p, "\r\n", 2);
    p += 2;
  } else {
    memcpy(p, lg->set_suffix, lg->set_suffix_len);
    p += lg->set_suffix_len;
    memcpy(p, lg->value, vlen);
    p += vlen;
  }
  c->out_len += (size_t)(p - start);
}

static void conn_fill(struct loadgen *lg, struct conn *c) {
  struct slot s;
  while (c->count < lg->o.pipeline && next_request(lg, &s)) {
    append_request(lg, c, &s);
    c->ring[(c->head + c->count) % lg->o.pipeline] = s;
    c->count++;
    lg->inflight++;
  }
}

static void conn_want_out(struct loadgen *lg, struct conn *c, bool want) {
  if (want == c->want_out)
    return;
  struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0),
                           .data.ptr = c};
  if (epoll_ctl(lg->epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0)
    die("epoll_ctl: %s", strerror(errno));
  c->want_out = want;
}

static void conn_flush(struct loadgen *lg, struct conn *c) {
  while (c->out_off < c->out_len) {
    ssize_t n =
        send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      break;
    if (n < 0)
      die("sending to %s:%s failed: %s", lg->o.host, lg->o.port,
          strerror(errno));
    c->out_off += (size_t)n;
    lg->bytes_out += (uint64_t)n;
  }
  conn_want_out(lg, c, c->out_off < c->out_len);
}

/* ---- replies ------------------------------------------------------------- */

_Noreturn static void protocol_error(struct loadgen *lg, const char *what,
                                     const char *line, size_t len) {
  die("protocol error from %s:%s: %s: \"%.*s\"", lg->o.host, lg->o.port, what,
      (int)(len > 200 ? 200 : len), line);
}

static void note_error(struct loadgen *lg, const char *line, size_t len) {
  if (lg->first_error[0] == '\0')
    snprintf(lg->first_error, sizeof(lg->first_error), "%.*s",
             (int)(len > 120 ? 120 : len), line);
}

static void complete(struct loadgen *lg, struct conn *c, enum result r) {
  const struct slot *s = &c->ring[c->head];
  struct counters *k = lg->cnt;
  if (s->op == OP_GET) {
    k->gets++;
    k->hot_gets += lg->o.hot_share > 0 && s->id == lg->o.hot_id;
  } else
    k->sets++;
  k->hits += r == R_HIT;
  k->misses += r == R_MISS;
  k->errors += r == R_ERROR;
  c->head = (c->head + 1) % lg->o.pipeline;
  c->count--;
  c->got_value = false;
  lg->inflight--;
}

static bool line_is(const char *line, size_t len, const char *word) {
  size_t n = strlen(word);
  return len == n && memcmp(line, word, n) == 0;
}

static bool line_starts(const char *line, size_t len, const char *word) {
  size_t n = strlen(word);
  return len >= n && memcmp(line, word, n) == 0;
}

/* Reads a decimal number ending at a space or at end; advances *p. */
static bool read_u64(const char **p, const char *end, uint64_t *v) {
  const char *s = *p;
  uint64_t x = 0;
  if (s == end || *s < '0' || *s > '9')
    return false;
  for (; s < end && *s >= '0' && *s <= '9'; s++) {
    if (x > (UINT64_MAX - 9) / 10)
      return false;
    x = x * 10 + (uint64_t)(*s - '0');
  }
  if (s < end && *s != ' ')
    return false;
  *p = s < end ? s + 1 : s;
  *v = x;
  return true;
}

/* "VALUE <key> <flags> <bytes>[ <cas>]": the key must be the one asked for,
 * or replies and requests have come apart. */
static void handle_value(struct loadgen *lg, struct conn *c, const char *line,
                         size_t len) {
  char key[KEY_LEN_MAX + 32];
  size_t klen = make_key(lg, c->ring[c->head].id, key);
  const char *p = line + 6, *end = line + len;
  uint64_t flags, bytes;
  if ((size_t)(end - p) <= klen || memcmp(p, key, klen) != 0 || p[klen] != ' ')
    protocol_error(lg, "VALUE for another key than requested", line, len);
  p += klen + 1;
  if (!read_u64(&p, end, &flags) || !read_u64(&p, end, &bytes))
    protocol_error(lg, "malformed VALUE line", line, len);
  c->skip = bytes;
  c->need_crlf = true;
  c->got_value = true;
}

static void handle_line(struct loadgen *lg, struct conn *c, const char *line,
                        size_t len) {
  if (c->count == 0)
    protocol_error(lg, "reply with no request in flight", line, len);
  if (line_is(line, len, "ERROR") || line_starts(line, len, "CLIENT_ERROR ") ||
      line_starts(line, len, "SERVER_ERROR ")) {
    note_error(lg, line, len);
    complete(lg, c, R_ERROR);
  } else if (c->ring[c->head].op == OP_SET) {
    if (line_is(line, len, "STORED")) {
      complete(lg, c, R_STORED);
    } else if (line_is(line, len, "NOT_STORED") ||
               line_is(line, len, "EXISTS") ||
               line_is(line, len, "NOT_FOUND")) {
      note_error(lg, line, len);
      complete(lg, c, R_ERROR);
    } else {
      protocol_error(lg, "unexpected reply to set", line, len);
    }
  } else if (line_is(line, len, "END")) {
    complete(lg, c, c->got_value ? R_HIT : R_MISS);
  } else if (!c->got_value && line_starts(line, len, "VALUE ")) {
    handle_value(lg, c, line, len);
  } else {
    protocol_error(lg, "unexpected reply to get", line, len);
  }
}

static void conn_parse(struct loadgen *lg, struct conn *c) {
  size_t pos = 0;
  while (pos < c->r_len) {
    const char *p = c->rbuf + pos;
    size_t avail = c->r_len - pos;
    if (c->skip > 0) {
      size_t n = c->skip < avail ? (size_t)c->skip : avail;
      pos += n;
      c->skip -= n;
      continue;
    }
    if (c->need_crlf) {
      if (avail < 2)
        break;
      if (p[0] != '\r' || p[1] != '\n')
        protocol_error(lg, "value not followed by \\r\\n", p, avail);
      pos += 2;
      c->need_crlf = false;
      continue;
    }
    const char *nl = memchr(p, '\n', avail);
    if (nl == NULL) {
      if (avail >= LINE_MAX_LEN)
        protocol_error(lg, "reply line too long", p, avail);
      break;
    }
    size_t len = (size_t)(nl - p);
    if (len == 0 || p[len - 1] != '\r')
      protocol_error(lg, "reply line not ended by \\r\\n", p, len);
    handle_line(lg, c, p, len - 1);
    pos += len + 1;
  }
  memmove(c->rbuf, c->rbuf + pos, c->r_len - pos);
  c->r_len -= pos;
}

static void conn_read(struct loadgen *lg, struct conn *c) {
  ssize_t n = recv(c->fd, c->rbuf + c->r_len, RBUF_SIZE - c->r_len, 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return;
  if (n < 0)
    die("receiving from %s:%s failed: %s", lg->o.host, lg->o.port,
        strerror(errno));
  if (n == 0)
    die("%s:%s closed a connection with %u requests in flight", lg->o.host,
        lg->o.port, c->count);
  c->r_len += (size_t)n;
  lg->bytes_in += (uint64_t)n;
  unsigned before = lg->inflight;
  conn_parse(lg, c);
  if (lg->inflight != before)
    lg->last_progress = now();
}

/* ---- phases -------------------------------------------------------------- */

/* A paced phase waits for its next request's time as well as for
 * replies; it may be between them with nothing in flight. */
static bool paced(const struct loadgen *lg) {
  return lg->o.rate > 0 && !lg->prefilling;
}

static bool more_to_issue(const struct loadgen *lg) {
  return paced(lg) && !lg->stopping && lg->issued < lg->limit;
}

static int wait_ms(const struct loadgen *lg, double t, double deadline) {
  if (paced(lg) && !lg->stopping)
    return 1;
  if (lg->stopping || deadline <= 0)
    return 100;
  double left = (deadline - t) * 1000.0;
  return left >= 100 ? 100 : (int)left + 1;
}

/* Issues requests until the phase's limit, the deadline or an interrupt, then
 * waits for every reply in flight.  deadline 0: none. */
static void run_phase(struct loadgen *lg, struct counters *cnt, uint64_t limit,
                      double duration) {
  struct epoll_event ev[EVENTS_MAX];
  double start = now();
  double deadline = duration > 0 ? start + duration : 0;
  lg->cnt = cnt;
  lg->issued = 0;
  lg->limit = limit;
  lg->stopping = interrupted;
  lg->last_progress = start;
  lg->phase_start = start;
  for (unsigned i = 0; i < lg->o.conns; i++) {
    conn_fill(lg, &lg->conns[i]);
    conn_flush(lg, &lg->conns[i]);
  }
  while (lg->inflight > 0 || more_to_issue(lg)) {
    double t = now();
    if ((deadline > 0 && t >= deadline) || interrupted)
      lg->stopping = true;
    if (lg->inflight == 0) /* paced, waiting to issue: nothing is late */
      lg->last_progress = t;
    else if (t - lg->last_progress > lg->o.timeout)
      die("no reply from %s:%s for %.1f s with %u requests in flight",
          lg->o.host, lg->o.port, lg->o.timeout, lg->inflight);
    int n = epoll_wait(lg->epfd, ev, EVENTS_MAX, wait_ms(lg, t, deadline));
    if (n < 0 && errno != EINTR)
      die("epoll_wait: %s", strerror(errno));
    for (int i = 0; i < n; i++) {
      struct conn *c = ev[i].data.ptr;
      if (ev[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
        conn_read(lg, c);
      conn_fill(lg, c);
      conn_flush(lg, c);
    }
    /* A paced connection may have nothing in flight, so no event to
     * wake it: offer every one the requests now due. */
    for (unsigned i = 0; paced(lg) && i < lg->o.conns; i++) {
      conn_fill(lg, &lg->conns[i]);
      conn_flush(lg, &lg->conns[i]);
    }
  }
  cnt->seconds = now() - start;
}

/* ---- set-up -------------------------------------------------------------- */

static int connect_one(const struct addrinfo *ai, int *err) {
  const struct timeval tv = {.tv_sec = CONNECT_TIMEOUT_S};
  int one = 1;
  int fd =
      socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
  if (fd < 0) {
    *err = errno;
    return -1;
  }
  /* SO_SNDTIMEO bounds a blocking connect(2) on Linux. */
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
    *err = errno == EINPROGRESS ? ETIMEDOUT : errno;
    close(fd);
    return -1;
  }
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
    *err = errno;
    close(fd);
    return -1;
  }
  return fd;
}

static int connect_any(const struct options *o, const struct addrinfo *res) {
  int err = 0;
  for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
    int fd = connect_one(ai, &err);
    if (fd >= 0)
      return fd;
  }
  die("cannot connect to %s:%s: %s", o->host, o->port, strerror(err));
}

static void conns_open(struct loadgen *lg) {
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
  struct addrinfo *res;
  int rc = getaddrinfo(lg->o.host, lg->o.port, &hints, &res);
  if (rc != 0)
    die("cannot resolve %s:%s: %s", lg->o.host, lg->o.port, gai_strerror(rc));
  lg->epfd = epoll_create1(EPOLL_CLOEXEC);
  lg->conns = calloc(lg->o.conns, sizeof(*lg->conns));
  if (lg->epfd < 0 || lg->conns == NULL)
    die("setting up: %s", strerror(errno));
  for (unsigned i = 0; i < lg->o.conns; i++) {
    struct conn *c = &lg->conns[i];
    c->fd = connect_any(&lg->o, res);
    c->out_cap = OBUF_INIT;
    c->out = malloc(c->out_cap);
    c->rbuf = malloc(RBUF_SIZE);
    c->ring = calloc(lg->o.pipeline, sizeof(*c->ring));
    if (c->out == NULL || c->rbuf == NULL || c->ring == NULL)
      die("out of memory for %u connections", lg->o.conns);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(lg->epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0)
      die("epoll_ctl: %s", strerror(errno));
  }
  freeaddrinfo(res);
}

static void conns_close(struct loadgen *lg) {
  for (unsigned i = 0; i < lg->o.conns; i++) {
    close(lg->conns[i].fd);
    free(lg->conns[i].out);
    free(lg->conns[i].rbuf);
    free(lg->conns[i].ring);
  }
  free(lg->conns);
  close(lg->epfd);
}

static void payload_init(struct loadgen *lg) {
  size_t n = lg->o.value_size;
  lg->value = malloc(n + 2);
  if (lg->value == NULL)
    die("out of memory for a %zu-byte value", n);
  for (size_t i = 0; i < n; i++)
    lg->value[i] = (char)('a' + i % 26);
  memcpy(lg->value + n, "\r\n", 2);
  lg->set_suffix_len = (size_t)snprintf(lg->set_suffix, sizeof(lg->set_suffix),
                                        " 0 0 %zu\r\n", n);
}

/* ---- options ------------------------------------------------------------- */

static void usage(FILE *f) {
  fputs(
      "usage: loadgen [options]\n"
      "  --host H          server address (127.0.0.1)\n"
      "  --port N          server port (11211)\n"
      "  --conns N         connections (8)\n"
      "  --pipeline N      requests in flight per connection (16)\n"
      "  --duration S      measure for S seconds (5; 0 = no time limit)\n"
      "  --requests N      stop after N requests (no time limit unless\n"
      "                    --duration is also given; first limit wins)\n"
      "  --keys N          key ids 0..N-1 (100000)\n"
      "  --key-min N       shortest key (10); keys are \"k:<id>:\" + filler,\n"
      "  --key-max N       longest key (40, at most 250); length from the id\n"
      "  --get-ratio R     fraction of gets, the rest sets (0.9)\n"
      "  --value-size N    bytes per set value (64)\n"
      "  --prefill         set every key once before measuring\n"
      "  --seed N          seed for op and key choice (1)\n"
      "  --distribution D  uniform | zipf (s=1.0, id 0 hottest) (uniform)\n"
      "  --unique          every request a fresh id: --first-id, +1, +2...\n"
      "  --first-id N      first id of --unique (default: --keys)\n"
      "  --timeout S       fail after S seconds without a reply (10)\n"
      "  --json            print a JSON object instead of key=value pairs\n"
      "  --rate N          measure at N requests a second, evenly (0:\n"
      "                    as fast as replies come back) (0)\n"
      "  --hot-share P     each request is for --hot-id with chance P, the\n"
      "                    rest from --distribution (0: no hot key)\n"
      "  --hot-id N        the hot key's id (default: --keys, a key outside\n"
      "                    the set)\n"
      "Prints one line at the end; counters cover the measured phase, with\n"
      "prefill_* separately (memcached's cmd_set = prefill_sets + sets);\n"
      "next_id is the id after the last --unique one (for --first-id).\n"
      "With --rate or --hot-share it adds rate, hot_id, hot_share, hot_gets\n"
      "(the measured gets of --hot-id, exact: every reply is read) and\n"
      "start_epoch (the measured phase's start, wall clock).\n",
      f);
}

static uint64_t parse_u64(const char *name, const char *s, uint64_t min,
                          uint64_t max) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < min ||
      v > max) {
    fprintf(stderr,
            "loadgen: --%s: \"%s\" is not an integer in [%" PRIu64 ", %" PRIu64
            "]\n",
            name, s, min, max);
    exit(2);
  }
  return v;
}

static double parse_double(const char *name, const char *s, double min,
                           double max) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno != 0 || end == s || *end != '\0' || !(v >= min && v <= max)) {
    fprintf(stderr, "loadgen: --%s: \"%s\" is not a number in [%g, %g]\n", name,
            s, min, max);
    exit(2);
  }
  return v;
}

enum {
  OPT_HOST = 256,
  OPT_PORT,
  OPT_CONNS,
  OPT_PIPELINE,
  OPT_DURATION,
  OPT_REQUESTS,
  OPT_KEYS,
  OPT_KEY_MIN,
  OPT_KEY_MAX,
  OPT_GET_RATIO,
  OPT_VALUE_SIZE,
  OPT_PREFILL,
  OPT_SEED,
  OPT_DISTRIBUTION,
  OPT_UNIQUE,
  OPT_FIRST_ID,
  OPT_TIMEOUT,
  OPT_JSON,
  OPT_RATE,
  OPT_HOT_SHARE,
  OPT_HOT_ID,
};

static const struct option long_options[] = {
    {"host", required_argument, NULL, OPT_HOST},
    {"port", required_argument, NULL, OPT_PORT},
    {"conns", required_argument, NULL, OPT_CONNS},
    {"pipeline", required_argument, NULL, OPT_PIPELINE},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"requests", required_argument, NULL, OPT_REQUESTS},
    {"keys", required_argument, NULL, OPT_KEYS},
    {"key-min", required_argument, NULL, OPT_KEY_MIN},
    {"key-max", required_argument, NULL, OPT_KEY_MAX},
    {"get-ratio", required_argument, NULL, OPT_GET_RATIO},
    {"value-size", required_argument, NULL, OPT_VALUE_SIZE},
    {"prefill", no_argument, NULL, OPT_PREFILL},
    {"seed", required_argument, NULL, OPT_SEED},
    {"distribution", required_argument, NULL, OPT_DISTRIBUTION},
    {"unique", no_argument, NULL, OPT_UNIQUE},
    {"first-id", required_argument, NULL, OPT_FIRST_ID},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"json", no_argument, NULL, OPT_JSON},
    {"rate", required_argument, NULL, OPT_RATE},
    {"hot-share", required_argument, NULL, OPT_HOT_SHARE},
    {"hot-id", required_argument, NULL, OPT_HOT_ID},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Options that take a number; returns false if opt is not one of them. */
static bool parse_number_option(struct options *o, int opt, const char *arg) {
  switch (opt) {
  case OPT_CONNS:
    o->conns = (unsigned)parse_u64("conns", arg, 1, 4096);
    return true;
  case OPT_PIPELINE:
    o->pipeline = (unsigned)parse_u64("pipeline", arg, 1, 65536);
    return true;
  case OPT_DURATION:
    o->duration = parse_double("duration", arg, 0, 86400);
    return true;
  case OPT_REQUESTS:
    o->requests = parse_u64("requests", arg, 1, UINT64_MAX);
    return true;
  case OPT_KEYS:
    o->keys = parse_u64("keys", arg, 1, UINT32_MAX);
    return true;
  case OPT_KEY_MIN:
    o->key_min = (unsigned)parse_u64("key-min", arg, 1, KEY_LEN_MAX);
    return true;
  case OPT_KEY_MAX:
    o->key_max = (unsigned)parse_u64("key-max", arg, 1, KEY_LEN_MAX);
    return true;
  case OPT_GET_RATIO:
    o->get_ratio = parse_double("get-ratio", arg, 0, 1);
    return true;
  case OPT_VALUE_SIZE:
    o->value_size = parse_u64("value-size", arg, 0, VALUE_SIZE_MAX);
    return true;
  case OPT_SEED:
    o->seed = parse_u64("seed", arg, 0, UINT64_MAX);
    return true;
  case OPT_FIRST_ID:
    o->first_id = parse_u64("first-id", arg, 0, UINT64_MAX / 2);
    return true;
  case OPT_TIMEOUT:
    o->timeout = parse_double("timeout", arg, 0.1, 3600);
    return true;
  case OPT_RATE:
    o->rate = parse_double("rate", arg, 0, 1e8);
    return true;
  case OPT_HOT_SHARE:
    o->hot_share = parse_double("hot-share", arg, 0, 1);
    return true;
  case OPT_HOT_ID:
    o->hot_id = parse_u64("hot-id", arg, 0, UINT64_MAX / 2);
    return true;
  }
  return false;
}

static void parse_options(struct options *o, int argc, char **argv) {
  bool duration_set = false, first_id_set = false, hot_id_set = false;
  *o = (struct options){.host = "127.0.0.1",
                        .port = "11211",
                        .conns = 8,
                        .pipeline = 16,
                        .duration = 5,
                        .keys = 100000,
                        .key_min = 10,
                        .key_max = 40,
                        .get_ratio = 0.9,
                        .value_size = 64,
                        .seed = 1,
                        .timeout = 10};
  int opt;
  while ((opt = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
    duration_set |= opt == OPT_DURATION;
    first_id_set |= opt == OPT_FIRST_ID;
    hot_id_set |= opt == OPT_HOT_ID;
    if (parse_number_option(o, opt, optarg))
      continue;
    switch (opt) {
    case OPT_HOST:
      o->host = optarg;
      break;
    case OPT_PORT:
      parse_u64("port", optarg, 1, 65535);
      o->port = optarg;
      break;
    case OPT_PREFILL:
      o->prefill = true;
      break;
    case OPT_DISTRIBUTION:
      if (strcmp(optarg, "uniform") == 0)
        o->dist = DIST_UNIFORM;
      else if (strcmp(optarg, "zipf") == 0)
        o->dist = DIST_ZIPF;
      else {
        fprintf(stderr, "loadgen: --distribution: uniform or zipf\n");
        exit(2);
      }
      break;
    case OPT_UNIQUE:
      o->unique = true;
      break;
    case OPT_JSON:
      o->json = true;
      break;
    case 'h':
      usage(stdout);
      exit(0);
    default:
      usage(stderr);
      exit(2);
    }
  }
  if (optind < argc) {
    fprintf(stderr, "loadgen: unexpected argument \"%s\"\n", argv[optind]);
    exit(2);
  }
  if (o->key_min > o->key_max) {
    fprintf(stderr, "loadgen: --key-min %u is above --key-max %u\n", o->key_min,
            o->key_max);
    exit(2);
  }
  if (o->requests > 0 && !duration_set)
    o->duration = 0;
  if (o->requests == 0 && o->duration == 0) {
    fprintf(stderr, "loadgen: give --duration or --requests a limit\n");
    exit(2);
  }
  if (!first_id_set)
    o->first_id = o->keys;
  if (!hot_id_set)
    o->hot_id = o->keys;
  if (o->unique && o->hot_share > 0) {
    fprintf(stderr, "loadgen: --unique and --hot-share exclude each other\n");
    exit(2);
  }
}

/* ---- report -------------------------------------------------------------- */

static void report(const struct loadgen *lg) {
  const struct options *o = &lg->o;
  const struct counters *m = &lg->measure, *p = &lg->prefill;
  uint64_t requests = m->gets + m->sets;
  double ops = m->seconds > 0 ? (double)requests / m->seconds : 0;
  const char *dist = o->unique              ? "unique"
                     : o->dist == DIST_ZIPF ? "zipf"
                                            : "uniform";
  const char *fmt =
      o->json ? "{\"requests\":%" PRIu64 ",\"gets\":%" PRIu64
                ",\"sets\":%" PRIu64 ",\"hits\":%" PRIu64 ",\"misses\":%" PRIu64
                ",\"errors\":%" PRIu64 ",\"seconds\":%.3f,\"ops_per_sec\":%.0f"
                ",\"prefill_sets\":%" PRIu64 ",\"prefill_errors\":%" PRIu64
                ",\"prefill_seconds\":%.3f,\"bytes_sent\":%" PRIu64
                ",\"bytes_received\":%" PRIu64
                ",\"conns\":%u,\"pipeline\":%u,\"keys\":%" PRIu64
                ",\"key_min\":%u,\"key_max\":%u,\"value_size\":%zu"
                ",\"get_ratio\":%g,\"distribution\":\"%s\""
                ",\"seed\":%" PRIu64 ",\"next_id\":%" PRIu64
              : "requests=%" PRIu64 " gets=%" PRIu64 " sets=%" PRIu64
                " hits=%" PRIu64 " misses=%" PRIu64 " errors=%" PRIu64
                " seconds=%.3f ops_per_sec=%.0f prefill_sets=%" PRIu64
                " prefill_errors=%" PRIu64 " prefill_seconds=%.3f"
                " bytes_sent=%" PRIu64 " bytes_received=%" PRIu64
                " conns=%u pipeline=%u keys=%" PRIu64
                " key_min=%u key_max=%u value_size=%zu get_ratio=%g"
                " distribution=%s seed=%" PRIu64 " next_id=%" PRIu64;
  printf(fmt, requests, m->gets, m->sets, m->hits, m->misses, m->errors,
         m->seconds, ops, p->sets, p->errors, p->seconds, lg->bytes_out,
         lg->bytes_in, o->conns, o->pipeline, o->keys, o->key_min, o->key_max,
         o->value_size, o->get_ratio, dist, o->seed,
         o->unique ? lg->next_id : 0);
  /* Only the paced and hot modes print more: every other line stays as
   * it was. */
  if (o->rate > 0 || o->hot_share > 0)
    printf(o->json ? ",\"rate\":%g,\"hot_id\":%" PRIu64
                     ",\"hot_share\":%g,\"hot_gets\":%" PRIu64
                     ",\"start_epoch\":%.6f"
                   : " rate=%g hot_id=%" PRIu64
                     " hot_share=%g hot_gets=%" PRIu64 " start_epoch=%.6f",
           o->rate, o->hot_id, o->hot_share, m->hot_gets, lg->start_epoch);
  fputs(o->json ? "}\n" : "\n", stdout);
  if (m->errors + p->errors > 0)
    fprintf(stderr, "loadgen: %" PRIu64 " error replies; the first: %s\n",
            m->errors + p->errors, lg->first_error);
}

int main(int argc, char **argv) {
  static struct loadgen lg;
  parse_options(&lg.o, argc, argv);
  lg.rng = mix64(lg.o.seed);
  filler_init(&lg);
  payload_init(&lg);
  if (lg.o.dist == DIST_ZIPF && !lg.o.unique)
    lg.zipf = zipf_build(lg.o.keys);
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  conns_open(&lg);
  if (lg.o.prefill) {
    lg.prefilling = true;
    lg.next_id = 0;
    run_phase(&lg, &lg.prefill, lg.o.keys, 0);
    lg.prefilling = false;
  }
  lg.next_id = lg.o.first_id;
  struct timespec wall;
  clock_gettime(CLOCK_REALTIME, &wall);
  lg.start_epoch = (double)wall.tv_sec + (double)wall.tv_nsec * 1e-9;
  run_phase(&lg, &lg.measure, lg.o.requests ? lg.o.requests : UINT64_MAX,
            lg.o.duration);
  report(&lg);
  conns_close(&lg);
  free(lg.zipf);
  free(lg.value);
  return 0;
}
