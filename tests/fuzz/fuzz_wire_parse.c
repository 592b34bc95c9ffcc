/*
 * libFuzzer target: bpf/wire_parse.h, the parser the BPF program runs over
 * each read a client sends memcached (issue 24).
 *
 * Input: byte 0 picks how the stream starts (bit 0: joined mid-stream),
 * bytes 1-2 seed the cuts, the rest is the stream.  The stream is fed whole
 * (in MCTOP_WIRE_CHUNK pieces), then cut into reads at random offsets, then
 * byte by byte with the bytes the parser skips scrambled: the three must
 * give the same events and counters.  Each read is a copy of exactly its
 * bytes in its own allocation, so AddressSanitizer catches a read past it.
 * Every event must be sane (a known command, a key of 1-250 bytes that
 * occurs in the stream, value bytes only for a store, within memcached's
 * limits).  Then the stream again with gaps at the cuts: sane events, no
 * crash.  Any broken invariant calls abort().
 */
#define _GNU_SOURCE /* memmem */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mctop.h"
#include "wire_parse.h"

#define MAX_EVENTS 8192

struct event {
  uint32_t value_len;
  uint8_t cmd, key_len;
  uint8_t key[MCTOP_KEY_MAX];
};

struct run {
  struct mctop_wire_conn c;
  struct event ev[MAX_EVENTS];
  size_t n;
};

static struct run runs[3];
static const uint8_t *stream;
static size_t stream_len;

static void fail(const char *what) {
  fprintf(stderr, "fuzz_wire_parse: %s (stream of %zu bytes)\n", what,
          stream_len);
  abort();
}

static void record(struct run *r, const struct mctop_wire_event *e) {
  if (e->cmd >= MCTOP_CMD_COUNT)
    fail("an event with no command");
  if (e->key_len == 0 || e->key_len > MCTOP_KEY_MAX)
    fail("an event with a key of 0 or more than 250 bytes");
  if (memmem(stream, stream_len, r->c.tok, e->key_len) == NULL)
    fail("a key that is not in the stream");
  int store = e->cmd >= MCTOP_CMD_SET && e->cmd <= MCTOP_CMD_CAS;
  if (!store && e->value_len != 0)
    fail("value bytes on a command that is no store");
  if (e->value_len > MCTOP_WIRE_VALUE_MAX)
    fail("value bytes above memcached's limit");
  if (r->n == MAX_EVENTS)
    return;
  struct event *v = &r->ev[r->n++];
  v->cmd = e->cmd;
  v->key_len = e->key_len;
  v->value_len = e->value_len;
  memcpy(v->key, r->c.tok, e->key_len);
}

/* One read: a copy of exactly its bytes, stepped to its end. */
static void feed(struct run *r, const uint8_t *buf, size_t len) {
  for (size_t off = 0; off < len;) {
    uint32_t n =
        len - off > MCTOP_WIRE_CHUNK ? MCTOP_WIRE_CHUNK : (uint32_t)(len - off);
    uint8_t *copy = malloc(n);
    if (copy == NULL)
      abort();
    memcpy(copy, buf + off, n);
    uint32_t pos = 0;
    struct mctop_wire_event e;
    while (mctop_wire_next(&r->c, copy, n, &pos, &e))
      record(r, &e);
    if (pos != n)
      fail("a chunk not stepped to its end");
    free(copy);
    off += n;
  }
}

/* Byte by byte; what the parser skips is scrambled before anyone reads it. */
static void feed_blind(struct run *r, const uint8_t *in, size_t len) {
  uint8_t *buf = malloc(len ? len : 1);
  if (buf == NULL)
    abort();
  memcpy(buf, in, len);
  for (size_t p = 0; p < len;) {
    uint32_t n = mctop_wire_skip(&r->c, (uint32_t)(len - p));
    if (n > len - p)
      fail("skipped past the bytes offered");
    memset(buf + p, 0xa5, n);
    p += n;
    if (p < len) {
      struct mctop_wire_event e;
      if (mctop_wire_byte(&r->c, buf[p], &e))
        record(r, &e);
      p++;
    }
  }
  free(buf);
}

static int same(const struct run *a, const struct run *b) {
  if (a->n != b->n || a->c.bad != b->c.bad || a->c.gaps != b->c.gaps ||
      a->c.resyncs != b->c.resyncs)
    return 0;
  for (size_t i = 0; i < a->n; i++) {
    const struct event *x = &a->ev[i], *y = &b->ev[i];
    if (x->cmd != y->cmd || x->key_len != y->key_len ||
        x->value_len != y->value_len || memcmp(x->key, y->key, x->key_len))
      return 0;
  }
  return 1;
}

static void start(struct run *r, int midstream) {
  memset(&r->c, 0, sizeof(r->c));
  r->n = 0;
  mctop_wire_start(&r->c, midstream);
}

/* xorshift32: the cuts, from the input's seed. */
static uint32_t next_cut(uint32_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 17;
  *s ^= *s << 5;
  return *s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 3)
    return 0;
  int midstream = data[0] & 1;
  uint32_t seed = (uint32_t)data[1] << 8 | data[2] | 0x10000u;
  stream = data + 3;
  stream_len = size - 3;

  start(&runs[0], midstream);
  feed(&runs[0], stream, stream_len);

  start(&runs[1], midstream);
  uint32_t s = seed;
  for (size_t off = 0; off < stream_len;) {
    size_t n = 1 + next_cut(&s) % 64;
    if (n > stream_len - off)
      n = stream_len - off;
    feed(&runs[1], stream + off, n);
    off += n;
  }
  if (!same(&runs[0], &runs[1]))
    fail("random cuts changed the events or counters");

  start(&runs[2], midstream);
  feed_blind(&runs[2], stream, stream_len);
  if (!same(&runs[0], &runs[2]))
    fail("scrambling the skipped bytes changed the events");

  /* gaps at the cuts: only sanity (record() checks every event) */
  start(&runs[2], midstream);
  s = seed;
  for (size_t off = 0; off < stream_len;) {
    uint32_t r = next_cut(&s);
    size_t n = 1 + r % 64;
    if (n > stream_len - off)
      n = stream_len - off;
    if (r & 0x100)
      mctop_wire_gap(&runs[2].c, (r & 0x200) ? MCTOP_WIRE_LOST_UNKNOWN
                                             : (r >> 10) % 100000);
    feed(&runs[2], stream + off, n);
    off += n;
  }
  return 0;
}
