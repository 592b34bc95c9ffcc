/*
 * Unit tests: bpf/wire_parse.h, the parser of memcached's request stream
 * the BPF program runs over each read (issue 24).  Every stream is fed
 * whole, split at every byte offset into two reads, at every pair of
 * offsets into three, one byte a read, and step by step with the bytes the
 * parser skips scrambled: each way must give exactly the same events and
 * counters, which are checked against what memcached does with the stream
 * (read in its source: see the header's comment).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mctop.h"
#include "tap.h"
#include "wire_parse.h"

static const char *const cmd_names[MCTOP_CMD_COUNT] = {
    "get", "set",  "add",  "replace", "append", "prepend",
    "cas", "incr", "decr", "delete",  "touch"};

/* What a feeding produced: the events as text, and the counters. */
struct run {
  char ev[16384];
  size_t len;
  int events;
  int broken; /* an event the parser should never give */
  struct mctop_wire_conn c;
};

static void put(struct run *r, const char *s, size_t n) {
  if (r->len + n >= sizeof(r->ev)) {
    r->broken = 1;
    return;
  }
  memcpy(r->ev + r->len, s, n);
  r->len += n;
  r->ev[r->len] = '\0';
}

/* "get:foo", "set:k/5" (a store's value bytes), keys' odd bytes as \xNN. */
static void record(struct run *r, const struct mctop_wire_event *e) {
  char b[16];
  if (e->cmd >= MCTOP_CMD_COUNT || e->key_len == 0 ||
      e->key_len > MCTOP_KEY_MAX) {
    r->broken = 1;
    return;
  }
  if (r->events++)
    put(r, " ", 1);
  put(r, cmd_names[e->cmd], strlen(cmd_names[e->cmd]));
  put(r, ":", 1);
  for (int i = 0; i < e->key_len; i++) {
    uint8_t ch = r->c.tok[i];
    if (ch > ' ' && ch < 0x7f && ch != '\\')
      put(r, (const char *)&ch, 1);
    else
      put(r, b, (size_t)snprintf(b, sizeof(b), "\\x%02x", ch));
  }
  if (e->cmd >= MCTOP_CMD_SET && e->cmd <= MCTOP_CMD_CAS)
    put(r, b, (size_t)snprintf(b, sizeof(b), "/%u", e->value_len));
  else if (e->value_len != 0)
    r->broken = 1;
}

static void run_start(struct run *r, int midstream) {
  memset(r, 0, sizeof(*r));
  mctop_wire_start(&r->c, midstream);
}

/* One read, as the BPF program sees it: chunks of at most
 * MCTOP_WIRE_CHUNK, each stepped event by event to its end. */
static void feed(struct run *r, const uint8_t *buf, size_t len) {
  for (size_t off = 0; off < len;) {
    uint32_t n =
        len - off > MCTOP_WIRE_CHUNK ? MCTOP_WIRE_CHUNK : (uint32_t)(len - off);
    uint32_t pos = 0;
    struct mctop_wire_event e;
    while (mctop_wire_next(&r->c, buf + off, n, &pos, &e))
      record(r, &e);
    if (pos != n)
      r->broken = 1;
    off += n;
  }
}

/* A stream and what memcached makes of it. */
struct stream {
  const char *name;
  const uint8_t *bytes;
  size_t len;
  const char *want; /* the events */
  uint32_t bad;
};

static int same(const struct run *a, const struct run *b) {
  return a->broken == 0 && b->broken == 0 && a->len == b->len &&
         memcmp(a->ev, b->ev, a->len) == 0 && a->c.bad == b->c.bad &&
         a->c.gaps == b->c.gaps && a->c.resyncs == b->c.resyncs;
}

static struct run whole, other;

/* Byte by byte through mctop_wire_skip() and mctop_wire_byte(), the bytes
 * skipped replaced by 'X' before anything reads them: they must not
 * matter. */
static void feed_blind(struct run *r, const uint8_t *in, size_t len) {
  uint8_t *buf = malloc(len ? len : 1);
  memcpy(buf, in, len);
  for (size_t p = 0; p < len;) {
    uint32_t n = mctop_wire_skip(&r->c, (uint32_t)(len - p));
    memset(buf + p, 'X', n);
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

/* The stream whole, then every way of cutting it must agree. */
static void check_stream(const struct stream *s) {
  run_start(&whole, 0);
  feed(&whole, s->bytes, s->len);
  CHECK(whole.broken == 0 && strcmp(whole.ev, s->want) == 0,
        "%s: whole, the events memcached runs", s->name);
  if (strcmp(whole.ev, s->want) != 0)
    printf("#   want \"%s\"\n#   got  \"%s\"\n", s->want, whole.ev);
  CHECK(whole.c.bad == s->bad && whole.c.gaps == 0 && whole.c.resyncs == 0,
        "%s: %u refused, no gap, no resync (got %u, %u, %u)", s->name, s->bad,
        whole.c.bad, whole.c.gaps, whole.c.resyncs);

  int bad2 = -1, bad3 = -1;
  for (size_t i = 0; i <= s->len && bad2 < 0; i++) {
    run_start(&other, 0);
    feed(&other, s->bytes, i);
    feed(&other, s->bytes + i, s->len - i);
    if (!same(&whole, &other))
      bad2 = (int)i;
  }
  CHECK(bad2 < 0, "%s: split in two at every offset (first bad: %d)", s->name,
        bad2);
  for (size_t i = 1; s->len <= 400 && i < s->len && bad3 < 0; i++)
    for (size_t j = i; j < s->len && bad3 < 0; j++) {
      run_start(&other, 0);
      feed(&other, s->bytes, i);
      feed(&other, s->bytes + i, j - i);
      feed(&other, s->bytes + j, s->len - j);
      if (!same(&whole, &other))
        bad3 = (int)(i * 1000 + j);
    }
  CHECK(bad3 < 0, "%s: split in three at every pair of offsets (%d)", s->name,
        bad3);
  run_start(&other, 0);
  for (size_t i = 0; i < s->len; i++)
    feed(&other, s->bytes + i, 1);
  CHECK(same(&whole, &other), "%s: one byte a read", s->name);
  run_start(&other, 0);
  feed_blind(&other, s->bytes, s->len);
  CHECK(same(&whole, &other), "%s: skipped bytes scrambled", s->name);
}

#define TEXT(name, bytes, want, bad)                                           \
  check_stream(&(struct stream){name, (const uint8_t *)(bytes),                \
                                sizeof(bytes) - 1, want, bad})

static void text_commands(void) {
  TEXT("get", "get foo\r\n", "get:foo", 0);
  TEXT("gets", "gets foo\n", "get:foo", 0);
  TEXT("gat: a touch per key, as memcached counts it", "gat 60 foo bar\r\n",
       "touch:foo touch:bar", 0);
  TEXT("gats", "gats -1 foo\r\n", "touch:foo", 0);
  TEXT("gat without a number", "gat x foo\r\n", "", 1);
  TEXT("set", "set foo 0 0 5\r\nhello\r\n", "set:foo/5", 0);
  TEXT("add, replace, append, prepend with noreply",
       "add a 1 2 1 noreply\r\nx\r\nreplace b 0 0 0\r\n\r\n"
       "append c 0 0 2\r\nxy\r\nprepend d 0 0 1\r\nz\r\n",
       "add:a/1 replace:b/0 append:c/2 prepend:d/1", 0);
  TEXT("cas", "cas foo 0 0 3 12345\r\nabc\r\n", "cas:foo/3", 0);
  TEXT("cas without its unique: block swallowed, nothing stored",
       "cas foo 0 0 3\r\nabc\r\nget x\r\n", "get:x", 1);
  TEXT("incr, decr", "incr n 5\r\ndecr n 18446744073709551615\r\n",
       "incr:n decr:n", 0);
  TEXT("incr without a delta, with a bad one", "incr n\r\nincr n x\r\n", "", 2);
  TEXT("delete", "delete foo\r\ndelete bar noreply\r\ndelete\r\n",
       "delete:foo delete:bar", 1);
  TEXT("touch", "touch foo 10\r\ntouch foo\r\n", "touch:foo", 1);
  TEXT("lines without a key count nothing",
       "stats\r\nstats items\r\nversion\r\nflush_all\r\nflush_all 0\r\n"
       "verbosity 1\r\nmn\r\nwatch\r\nlru_crawler metadump all\r\n"
       "slabs automove 1\r\nget k\r\nquit\r\n",
       "get:k", 0);
  TEXT("a get with many keys, runs of spaces between",
       "get k1 k2  k3   k4 k5 k6 k7 k8 k9 k10 k11 k12 k13 k14 k15 k16 k17 "
       "k18 k19 k20 \r\n",
       "get:k1 get:k2 get:k3 get:k4 get:k5 get:k6 get:k7 get:k8 get:k9 "
       "get:k10 get:k11 get:k12 get:k13 get:k14 get:k15 get:k16 get:k17 "
       "get:k18 get:k19 get:k20",
       0);
  TEXT("pipelined",
       "get a\r\nset b 0 0 1\r\n1\r\ndelete c\r\nincr d 1\r\ngets e f\r\n"
       "touch g 0\r\nmg h v\r\nms i 2\r\nxx\r\n",
       "get:a set:b/1 delete:c incr:d get:e get:f touch:g get:h set:i/2", 0);
  TEXT("a value block holding commands and line ends is skipped",
       "set v 0 0 20\r\nget foo\r\n\r\nget x y\r\n\r\nget after\r\n",
       "set:v/20 get:after", 0);
  TEXT("a value block of 0x80 and NULs",
       "set v 0 0 4\r\n\x80\0\n\r\r\nget w\r\n", "set:v/4 get:w", 0);
  TEXT("a bad data chunk: nothing stored, the stream goes on after it",
       "set k 0 0 3\r\nabcd\r\nget z\r\n", "get:z", 2);
  TEXT("bare \\n line ends, a \\r inside a key is the key's",
       "get a\nget b\rc\r\nget d\r e\r\n", "get:a get:b\\x0dc get:d\\x0d get:e",
       0);
  TEXT("garbage lines: refused, counted, the next line parsed",
       "hello world\r\n\r\nGET x\r\n get y\r\nge\r\nget\r\nset k\r\n"
       "getfoo x\r\nset\0 k 0 0 1\r\nget ok\r\n",
       "get:ok", 9);
}

static void numbers(void) {
  TEXT("a length of 2^64-1 does not wrap: no block, the line refused",
       "set k 0 0 18446744073709551615\r\nget a\r\n", "get:a", 1);
  TEXT("a length above INT_MAX - 2 is refused",
       "set k 0 0 2147483646\r\nget a\r\n", "get:a", 1);
  TEXT("a negative length is refused", "set k 0 0 -1\r\nget a\r\n", "get:a", 1);
  TEXT("a length with a letter is refused", "set k 0 0 5x\r\nget a\r\n",
       "get:a", 1);
  TEXT("a negative exptime is fine, a negative flags is not",
       "set k 0 -1 1\r\na\r\nset j -1 0 1\r\nb\r\n", "set:k/1", 1);
}

static char long_key[300];

static void long_keys(void) {
  char buf[1024];
  memset(long_key, 'k', sizeof(long_key) - 1);
  snprintf(buf, sizeof(buf), "get %.250s\r\n", long_key);
  static char want[300];
  snprintf(want, sizeof(want), "get:%.250s", long_key);
  check_stream(&(struct stream){"a 250-byte key, its event",
                                (const uint8_t *)buf, strlen(buf), want, 0});
  static char b2[1024];
  snprintf(b2, sizeof(b2), "get a %.251s b\r\nget c\r\n", long_key);
  check_stream(&(struct stream){
      "a 251-byte key: refused, the keys after it not looked up",
      (const uint8_t *)b2, strlen(b2), "get:a get:c", 1});
  static char b3[1024];
  snprintf(b3, sizeof(b3), "set %.299s 0 0 5\r\nget x\r\nget y\r\n", long_key);
  check_stream(
      &(struct stream){"a store's 299-byte key: refused, its block skipped",
                       (const uint8_t *)b3, strlen(b3), "get:y", 1});
}

static void meta_commands(void) {
  TEXT("mg", "mg foo v k t\r\nmg bar\r\n", "get:foo get:bar", 0);
  TEXT("mg with a base64 key: the key as sent", "mg Zm9v b v\r\n", "get:Zm9v",
       0);
  TEXT("ms, datalen after the key (1.6.10+)", "ms foo 5 T0 F3\r\nhello\r\n",
       "set:foo/5", 0);
  TEXT("ms's modes",
       "ms a 1 MS\r\n1\r\nms b 1 ME\r\n1\r\nms c 1 MA\r\n1\r\n"
       "ms d 1 MP\r\n1\r\nms e 1 MR\r\n1\r\n",
       "set:a/1 add:b/1 append:c/1 prepend:d/1 replace:e/1", 0);
  TEXT("ms with C: set and replace become cas, add stays",
       "ms a 2 C99\r\nxx\r\nms b 2 MR C5\r\nxx\r\nms c 2 ME C5\r\nxx\r\n",
       "cas:a/2 cas:b/2 add:c/2", 0);
  TEXT("ms with a bad mode: block skipped, nothing stored",
       "ms a 3 MX\r\nabc\r\nmg b\r\n", "get:b", 1);
  TEXT("ms before 1.6.10: the S flag", "ms foo S3 T0\r\nabc\r\nmg z\r\n",
       "set:foo/3 get:z", 0);
  TEXT("ms without a length: refused, no block", "ms foo T0\r\nmg z\r\n",
       "get:z", 1);
  TEXT("ms without a key", "ms\r\nmg z\r\n", "get:z", 1);
  TEXT("md", "md foo q\r\nmd bar\r\n", "delete:foo delete:bar", 0);
  TEXT("ma's modes",
       "ma a\r\nma b MI\r\nma c M+\r\nma d MD\r\nma e M- N0 J5\r\n"
       "ma f MX\r\n",
       "incr:a incr:b incr:c decr:d decr:e", 1);
  TEXT("mn, me: nothing", "mn\r\nme foo\r\nmg k\r\n", "get:k", 0);
  TEXT("mg without a key", "mg\r\nmg  \r\nmg k\r\n", "get:k", 2);
}

/* ---- binary ---------------------------------------------------------- */

static uint8_t bin[8192];
static size_t bin_len;

/* A request: header, extras (0x80s, to look like magic), key, value. */
static void reqn(uint8_t op, const char *key, uint8_t ext, const void *value,
                 size_t v, uint64_t cas) {
  size_t k = strlen(key);
  uint32_t body = (uint32_t)(k + ext + v);
  uint8_t *h = bin + bin_len;
  memset(h, 0, 24);
  h[0] = 0x80;
  h[1] = op;
  h[2] = (uint8_t)(k >> 8);
  h[3] = (uint8_t)k;
  h[4] = ext;
  for (int i = 0; i < 4; i++)
    h[8 + i] = (uint8_t)(body >> (24 - 8 * i));
  h[12] = 0xaa; /* opaque */
  for (int i = 0; i < 8; i++)
    h[16 + i] = (uint8_t)(cas >> (56 - 8 * i));
  bin_len += 24;
  memset(bin + bin_len, 0x80, ext);
  bin_len += ext;
  memcpy(bin + bin_len, key, k);
  bin_len += k;
  memcpy(bin + bin_len, value, v);
  bin_len += v;
}

static void req(uint8_t op, const char *key, uint8_t ext, const char *value,
                uint64_t cas) {
  reqn(op, key, ext, value, strlen(value), cas);
}

static void check_bin(const char *name, const char *want, uint32_t bad) {
  check_stream(&(struct stream){name, bin, bin_len, want, bad});
  bin_len = 0;
}

static void binary_commands(void) {
  req(0x00, "a", 0, "", 0);
  req(0x09, "b", 0, "", 0);
  req(0x0c, "c", 0, "", 0);
  req(0x0d, "d", 0, "", 0);
  req(0x0a, "", 0, "", 0); /* noop */
  check_bin("binary get, getq, getk, getkq, noop: quiet gets",
            "get:a get:b get:c get:d", 0);
  req(0x01, "s", 8, "hello", 0);
  req(0x11, "sq", 8, "hi", 0);
  req(0x02, "a", 8, "x", 0);
  req(0x12, "aq", 8, "", 0);
  req(0x03, "r", 8, "yy", 0);
  req(0x13, "rq", 8, "z", 0);
  check_bin("binary set, add, replace and their quiet forms",
            "set:s/5 set:sq/2 add:a/1 add:aq/0 replace:r/2 replace:rq/1", 0);
  req(0x01, "c1", 8, "v", 7);
  req(0x03, "c2", 8, "v", 1ULL << 63);
  req(0x12, "c3", 8, "v", 1);
  req(0x0e, "ap", 0, "tail", 5);
  check_bin("binary set, replace, add with a cas: cas; append keeps its name",
            "cas:c1/1 cas:c2/1 cas:c3/1 append:ap/4", 0);
  req(0x0e, "p", 0, "12", 0);
  req(0x19, "pq", 0, "3", 0);
  req(0x0f, "q", 0, "45", 0);
  req(0x1a, "qq", 0, "", 0);
  check_bin("binary append, prepend and their quiet forms",
            "append:p/2 append:pq/1 prepend:q/2 prepend:qq/0", 0);
  req(0x04, "d", 0, "", 0);
  req(0x14, "dq", 0, "", 0);
  req(0x05, "i", 20, "", 0);
  req(0x15, "iq", 20, "", 0);
  req(0x06, "e", 20, "", 0);
  req(0x16, "eq", 20, "", 0);
  check_bin("binary delete, increment, decrement and quiet forms",
            "delete:d delete:dq incr:i incr:iq decr:e decr:eq", 0);
  req(0x1c, "t", 4, "", 0);
  req(0x1d, "g1", 4, "", 0);
  req(0x1e, "g2", 4, "", 0);
  req(0x23, "g3", 4, "", 0);
  req(0x24, "g4", 4, "", 0);
  check_bin("binary touch, gat, gatq, gatk, gatkq: touches",
            "touch:t touch:g1 touch:g2 touch:g3 touch:g4", 0);
  req(0x0b, "", 0, "", 0);                /* version */
  req(0x10, "items", 0, "", 0);           /* stat with a key */
  reqn(0x21, "PLAIN", 0, "\0u\0p", 4, 0); /* sasl auth */
  req(0x00, "after", 0, "", 0);
  check_bin("binary commands without a key to count", "get:after", 0);
  /* unknown: after extras and key, the body's 8 bytes are swallowed, 5
   * past the request's end */
  req(0x42, "zz", 3, "abc", 0);
  memcpy(bin + bin_len, "XXXXX", 5);
  bin_len += 5;
  req(0x00, "after", 0, "", 0);
  check_bin("binary unknown opcode: a body's length swallowed after its key, "
            "as memcached does",
            "get:after", 0);
  uint8_t inner[32];
  req(0x00, "inner", 0, "", 0);
  memcpy(inner, bin, 29);
  bin_len = 0;
  reqn(0x1d, "g", 4, inner, 29, 0);
  check_bin("binary gat with a body past its key: memcached reads the rest "
            "as the next request",
            "touch:g get:inner", 0);
  req(0x00, "", 0, "", 0);
  check_bin("binary get without a key: memcached closes", "", 1);
  req(0x01, "s", 4, "x", 0);
  check_bin("binary set with 4 bytes of extras: refused", "", 1);
  req(0x00, long_key, 0, "", 0);
  check_bin("binary get with a 299-byte key: refused", "", 1);
  static char k250[251];
  memcpy(k250, long_key, 250);
  req(0x01, k250, 8, "v", 0);
  static char want[300];
  snprintf(want, sizeof(want), "set:%s/1", k250);
  check_bin("binary set with a 250-byte key", want, 0);
  /* a value that is a text command and a binary get */
  uint8_t v[64];
  memcpy(v, "get foo\r\n", 9);
  req(0x00, "x", 0, "", 0);
  memcpy(v + 9, bin, 25);
  bin_len = 0;
  reqn(0x01, "outer", 8, v, 34, 0);
  req(0x00, "next", 0, "", 0);
  check_bin("binary value holding a text get and a header",
            "set:outer/34 get:next", 0);
}

/* ---- gaps -------------------------------------------------------------- */

static void feed_s(struct run *r, const char *s) {
  feed(r, (const uint8_t *)s, strlen(s));
}

static void gaps(void) {
  struct run *r = &whole;
  run_start(r, 0);
  feed_s(r, "get a\r\nget b");
  mctop_wire_gap(&r->c, MCTOP_WIRE_LOST_UNKNOWN);
  feed_s(r, "xyz\r\nget c\r\n");
  CHECK_STR("get:a get:c", r->ev, "a gap: the line it cut is lost");
  CHECK(r->c.gaps == 1 && r->c.resyncs == 1 && r->c.bad == 0,
        "... counted: 1 gap, 1 resync, nothing refused (%u %u %u)", r->c.gaps,
        r->c.resyncs, r->c.bad);

  run_start(r, 0);
  feed_s(r, "get a\r\n");
  mctop_wire_gap(&r->c, 40);
  feed_s(r, "get b\r\n");
  CHECK_STR("get:a get:b", r->ev,
            "a gap at a line's start: the next known word resyncs at once");
  CHECK(r->c.gaps == 1 && r->c.resyncs == 1, "... counted");

  run_start(r, 0);
  feed_s(r, "get a\r\n");
  mctop_wire_gap(&r->c, MCTOP_WIRE_LOST_UNKNOWN);
  feed_s(r, "lue\r\nfoo bar\r\nget k\r\nset x 0 0 1\r\ny\r\n");
  CHECK_STR("get:a get:k set:x/1", r->ev,
            "after a gap, unknown words are skipped to a known one");
  CHECK(r->c.gaps == 1 && r->c.resyncs == 1 && r->c.bad == 0,
        "... nothing counted as refused while lost (%u)", r->c.bad);

  run_start(r, 0);
  feed_s(r, "set big 0 0 100000\r\n0123");
  mctop_wire_gap(&r->c, 100000 - 4);
  feed_s(r, "\r\nget after\r\n");
  CHECK_STR("set:big/100000 get:after", r->ev,
            "bytes lost inside a value block: skipped, no gap");
  CHECK(r->c.gaps == 0 && r->c.resyncs == 0, "... nothing counted");

  run_start(r, 0);
  feed_s(r, "set big 0 0 2147483645\r\n");
  for (int i = 0; i < 4; i++)
    mctop_wire_gap(&r->c, 536870911);
  feed_s(r, "x\r\nget z\r\n");
  CHECK_STR("set:big/2147483645 get:z", r->ev,
            "the largest value memcached takes, skipped without a look");

  run_start(r, 0);
  feed_s(r, "set big 0 0 10\r\n01");
  mctop_wire_gap(&r->c, 20);
  feed_s(r, "garbage\r\nget z\r\n");
  CHECK_STR("get:z", r->ev, "bytes lost past a block's end: lost");
  CHECK(r->c.gaps == 1 && r->c.resyncs == 1, "... and counted");

  run_start(r, 1);
  feed_s(r, "ue\r\nget q\r\n");
  CHECK_STR("get:q", r->ev,
            "a connection joined mid-stream: from a known word");
  CHECK(r->c.gaps == 1 && r->c.resyncs == 1, "... a gap and a resync");

  run_start(r, 1);
  feed_s(r, "mg q v\r\n");
  CHECK_STR("get:q", r->ev, "mid-stream at a line's start: at once");

  /* binary: a gap, then junk holding 0x80s, then requests */
  bin_len = 0;
  req(0x00, "one", 0, "", 0);
  size_t first = bin_len;
  static const uint8_t junk[] = {0x80, 0x00, 0x00, 0x03, 0x00, 0x00,
                                 0x00, 0x00, 0x80, 0x80, 0x01, 0x02,
                                 0x80, 0x42, 0x00, 0x01};
  memcpy(bin + bin_len, junk, sizeof(junk));
  bin_len += sizeof(junk);
  size_t resume = bin_len;
  req(0x01, "two", 8, "v", 0);
  req(0x0d, "three", 0, "", 0);
  run_start(r, 0);
  feed(r, bin, first);
  mctop_wire_gap(&r->c, MCTOP_WIRE_LOST_UNKNOWN);
  feed(r, bin + first, resume - first);
  feed(r, bin + resume, bin_len - resume);
  CHECK_STR("get:one set:two/1 get:three", r->ev,
            "binary: a gap, junk with 0x80s, then the next sane header");
  CHECK(r->c.gaps == 1 && r->c.resyncs == 1 && r->c.bad == 0,
        "... 1 gap, 1 resync (%u %u %u)", r->c.gaps, r->c.resyncs, r->c.bad);

  run_start(r, 1);
  feed(r, bin + resume, bin_len - resume);
  CHECK_STR("set:two/1 get:three", r->ev,
            "binary joined mid-stream at a header");

  bin[0] = 0x81; /* a response's magic where a request's belongs */
  run_start(r, 0);
  feed(r, bin, bin_len);
  CHECK(r->c.bad == 0 && r->events == 0,
        "a first byte other than 0x80 is text: binary junk is one bad line "
        "at most (%u, %d)",
        r->c.bad, r->events);
  bin[0] = 0x80;
  bin[first] = 0x81;
  run_start(r, 0);
  feed(r, bin, first + 1);
  CHECK(r->c.bad == 1, "a wrong magic mid-stream: refused (memcached closes)");
  bin_len = 0;
}

/* An event limit per read: the caller stops after each event and resumes
 * at the same position later; nothing may be lost. */
static void one_event_per_call(void) {
  static const char s[] = "get a b c d\r\nset e 0 0 1\r\nx\r\nmg f\r\n";
  struct run *r = &other;
  run_start(r, 0);
  uint32_t pos = 0, calls = 0;
  struct mctop_wire_event e;
  while (pos < sizeof(s) - 1 && calls < 100) {
    calls++;
    if (mctop_wire_next(&r->c, (const uint8_t *)s, sizeof(s) - 1, &pos, &e))
      record(r, &e);
  }
  CHECK_STR("get:a get:b get:c get:d set:e/1 get:f", r->ev,
            "one event per call, resumed at the position: all of them");
  CHECK(calls == 6, "... in 6 calls, one an event (%u)", calls);
}

int main(void) {
  text_commands();
  numbers();
  long_keys();
  meta_commands();
  binary_commands();
  gaps();
  one_event_per_call();
  return tap_done();
}
