/*
 * libFuzzer target: mctop_config_instance() (logic/options.c), which
 * validates an <Instance> block of collectd's config.
 *
 * The input is read as a recipe for an mctop_opt_t tree: the name value,
 * then 0..8 children, each with a key from the options we know (plus one we
 * do not) and 0..3 values.  Every string is its own exact-size heap block,
 * so ASan reports a read past its end.  An accepted block must satisfy the
 * documented limits; a rejected one must leave the output empty.
 * LeakSanitizer checks that both paths free what they allocate.
 *
 * The recipe, one byte each unless said:
 *   shape (name values: %16 == 0 none, == 1 two, else one), name values,
 *   children (%9), then per child: key (%15 into keys[]; bit 6 lower case,
 *   bit 7 upper case), values (%4), values.
 *   A value is a type byte (%3: string, number, boolean), then
 *   - a string: a length byte (< 0xF0) and that many bytes (a NUL ends it
 *     early), or a byte >= 0xF0 choosing one of words[];
 *   - a number: a selector: < 128, 8 raw bytes follow (any double: NaN,
 *     inf, huge, negative); < 192, a limit from edges[]; else 2 bytes, a
 *     small whole number;
 *   - a boolean: one byte.
 */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "options.h"

#define MAX_CHILDREN 8
#define MAX_VALUES 3
/* "Instance" and up to two name values, then per child its key and up to
 * MAX_VALUES strings. */
#define MAX_STRINGS (3 + MAX_CHILDREN * (1 + MAX_VALUES))

/* The log sink: format every message (so bad format arguments still trip
 * the sanitizers) and throw it away. */
static void drop(int level, const char *msg, void *ctx) {
  (void)level, (void)msg, (void)ctx;
}

__attribute__((constructor)) static void quiet(void) {
  mctop_log_set_sink(drop, NULL);
}

static const char *const keys[] = {
    "PID",       "PIDFile",    "Binary",  "TopKeys",      "SortBy",
    "MaxKeys",   "Lookups",    "Bogus",   "ProcessMatch", "KeyPattern",
    "KeyPrefix", "KeyPrivacy", "KeySalt", "MaxNewSeries", "KeyEscape"};

/* The input, consumed from the front; reads past its end give zeros. */
typedef struct {
  const uint8_t *p;
  size_t left;
} reader_t;

static uint8_t get_byte(reader_t *r) {
  if (r->left == 0)
    return 0;
  r->left--;
  return *r->p++;
}

/* Everything malloc'd for one tree, freed together. */
typedef struct {
  char *strings[MAX_STRINGS];
  size_t strings_num;
} arena_t;

static char *keep(arena_t *a, char *s) {
  if (s == NULL || a->strings_num >= MAX_STRINGS) {
    fprintf(stderr, "fuzz_options: harness out of memory or arena\n");
    abort();
  }
  a->strings[a->strings_num++] = s;
  return s;
}

/* Strings random bytes seldom spell: the words options accept, and names
 * and paths at their limits. */
#define NAME_63                                                                \
  "123456789012345678901234567890123456789012345678901234567890123"
static const char *const words[16] = {"calls",
                                      "bytes",
                                      "misses",
                                      "lookups",
                                      "auto",
                                      "AUTO",
                                      "Lookups",
                                      "/usr/bin/memcached",
                                      "/run/mc.pid",
                                      "memcached",
                                      "^memcached$",
                                      "cache1",
                                      "",
                                      "a/b",
                                      NAME_63,
                                      NAME_63 "4"};

/* A length byte below 0xF0 and that many input bytes (a NUL among them ends
 * the string early), or a byte from 0xF0 choosing one of words[]. */
static char *get_string(reader_t *r, arena_t *a) {
  size_t n = get_byte(r);
  if (n >= 0xF0)
    return keep(a, strdup(words[n - 0xF0]));
  if (n > r->left)
    n = r->left;
  size_t len = strnlen((const char *)r->p, n);
  char *s = keep(a, malloc(len + 1)); /* exact size: ASan sees overreads */
  memcpy(s, r->p, len);
  s[len] = '\0';
  r->p += n;
  r->left -= n;
  return s;
}

/* Raw doubles rarely land on a limit, so half the time pick one. */
static double get_number(reader_t *r) {
  static const double edges[] = {
      0,        1,         -1,    15,           16,      17,
      20,       10000,     10001, 65536,        4194303, 4194304,
      4194305,  0.5,       -0.0,  1e300,        -1e300,  4294967296.0,
      INFINITY, -INFINITY, NAN,   2147483648.0, 1e-300,  9007199254740993.0};
  uint8_t sel = get_byte(r);
  if (sel < 128) {
    uint8_t raw[sizeof(double)] = {0};
    double d;
    for (size_t i = 0; i < sizeof(raw); i++)
      raw[i] = get_byte(r);
    memcpy(&d, raw, sizeof(d));
    return d;
  }
  if (sel < 192)
    return edges[sel % (sizeof(edges) / sizeof(edges[0]))];
  unsigned hi = get_byte(r); /* small whole numbers */
  return (double)(hi << 8 | get_byte(r));
}

static void get_value(reader_t *r, arena_t *a, mctop_opt_value_t *v) {
  v->type = get_byte(r) % 3;
  if (v->type == MCTOP_OPT_STRING)
    v->value.string = get_string(r, a);
  else if (v->type == MCTOP_OPT_NUMBER)
    v->value.number = get_number(r);
  else
    v->value.boolean = get_byte(r) & 1;
}

/* A key from keys[], in upper, lower or given case (keys are
 * case-insensitive). */
static char *get_key(reader_t *r, arena_t *a) {
  uint8_t b = get_byte(r);
  char *k = keep(a, strdup(keys[b % (sizeof(keys) / sizeof(keys[0]))]));
  for (char *c = k; *c != '\0'; c++) {
    if (b & 0x40)
      *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + ('a' - 'A') : *c);
    else if (b & 0x80)
      *c = (char)(*c >= 'a' && *c <= 'z' ? *c - ('a' - 'A') : *c);
  }
  return k;
}

typedef struct {
  mctop_opt_t inst;
  mctop_opt_t children[MAX_CHILDREN];
  mctop_opt_value_t name[2];
  mctop_opt_value_t values[MAX_CHILDREN][MAX_VALUES];
  arena_t arena;
} tree_t;

/* <Instance> with usually one name value, sometimes none or two. */
static void build_tree(reader_t *r, tree_t *t) {
  uint8_t shape = get_byte(r);
  t->inst.key = keep(&t->arena, strdup("Instance"));
  t->inst.values = t->name;
  t->inst.values_num = shape % 16 == 0 ? 0 : shape % 16 == 1 ? 2 : 1;
  for (int i = 0; i < t->inst.values_num; i++)
    get_value(r, &t->arena, &t->name[i]);
  t->inst.children = t->children;
  t->inst.children_num = get_byte(r) % (MAX_CHILDREN + 1);
  for (int c = 0; c < t->inst.children_num; c++) {
    mctop_opt_t *o = &t->children[c];
    o->key = get_key(r, &t->arena);
    o->values = t->values[c];
    o->values_num = get_byte(r) % (MAX_VALUES + 1);
    for (int v = 0; v < o->values_num; v++)
      get_value(r, &t->arena, &t->values[c][v]);
  }
}

static void free_tree(tree_t *t) {
  for (size_t i = 0; i < t->arena.strings_num; i++)
    free(t->arena.strings[i]);
}

static void fail(const char *what) {
  fprintf(stderr, "fuzz_options: %s\n", what);
  abort();
}

static size_t count_key(const tree_t *t, const char *key) {
  size_t n = 0;
  for (int c = 0; c < t->inst.children_num; c++)
    n += strcasecmp(t->children[c].key, key) == 0;
  return n;
}

/* An accepted block: the limits README.md and options.h promise. */
static void check_accepted(const tree_t *t, const mctop_instance_config_t *c) {
  size_t name_len = strnlen(c->name, sizeof(c->name));
  if (name_len == 0 || name_len >= MCTOP_NAME_MAX ||
      strchr(c->name, '/') != NULL)
    fail("accepted an empty, unterminated or '/'-holding name");
  if (c->top_keys > MCTOP_TOPKEYS_MAX)
    fail("accepted TopKeys above the hard cap");
  if (c->max_keys < MCTOP_MAXKEYS_MIN || c->max_keys > MCTOP_MAXKEYS_MAX)
    fail("accepted MaxKeys outside 16..4194304");
  if (c->pids_num == 0 && c->pidfile == NULL && c->binaries_num == 0 &&
      c->matches_num == 0)
    fail("accepted a block with no PID, PIDFile, Binary or ProcessMatch");
  if (c->pids_num != count_key(t, "PID") ||
      c->binaries_num != count_key(t, "Binary") ||
      c->matches_num != count_key(t, "ProcessMatch"))
    fail("PID, Binary or ProcessMatch count differs from the block's");
  for (size_t i = 0; i < c->pids_num; i++)
    if (c->pids[i] < 1 || c->pids[i] > MCTOP_PID_MAX)
      fail("accepted a PID outside 1..4194304");
  for (size_t i = 0; i < c->binaries_num; i++)
    if (c->binaries[i] == NULL || c->binaries[i][0] != '/')
      fail("accepted a Binary that is not an absolute path");
  for (size_t i = 0; i < c->matches_num; i++)
    if (c->matches[i] == NULL || c->matches[i][0] == '\0')
      fail("accepted an empty ProcessMatch");
  if (c->pidfile != NULL && c->pidfile[0] == '\0')
    fail("accepted an empty PIDFile");
  if ((unsigned)c->sort_by >= MCTOP_SORT_COUNT ||
      (unsigned)c->lookups > MCTOP_LOOKUPS_OFF)
    fail("sort_by or lookups out of its enum");
  if (c->sort_by == MCTOP_SORT_LOOKUPS && c->lookups == MCTOP_LOOKUPS_OFF)
    fail("accepted SortBy lookups with Lookups false");
  if (c->keys.rules_num !=
      count_key(t, "KeyPattern") + count_key(t, "KeyPrefix"))
    fail("rule count differs from the block's KeyPattern/KeyPrefix");
  if (c->keys.hash && (c->keys.salt == NULL || c->keys.salt_len < 16))
    fail("accepted KeyPrivacy hash without a 16-byte salt");
  if (c->keys.max_new_series > 1000)
    fail("accepted MaxNewSeries above 1000");
  /* Every accepted rule set must name any key safely. */
  static const char *const samples[] = {"user:42", "a.b:c", "x",
                                        "sess:",   ":lead", "k\xff:z"};
  for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
    char name[MCTOP_KEYNAME_SIZE];
    memset(name, 0x5A, sizeof(name));
    int rule = mctop_key_classify(&c->keys, (const uint8_t *)samples[i],
                                  strlen(samples[i]), name);
    if (rule >= (int)c->keys.rules_num)
      fail("classify returned a rule that does not exist");
    if (rule >= 0 && (memchr(name, '\0', sizeof(name)) == NULL ||
                      strchr(name, '.') != NULL || strchr(name, '/') != NULL))
      fail("a collapsed series name is unterminated or holds '.' or '/'");
  }
}

static bool all_zero(const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++)
    if (b[i] != 0)
      return false;
  return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  reader_t r = {data, size};
  tree_t t;
  mctop_instance_config_t cfg;
  memset(&t, 0, sizeof(t));
  build_tree(&r, &t);
  memset(&cfg, 0xA5, sizeof(cfg)); /* must be overwritten either way */
  if (mctop_config_instance(&t.inst, &cfg) == 0) {
    check_accepted(&t, &cfg);
    mctop_config_free(&cfg);
  } else if (!all_zero(&cfg, sizeof(cfg))) {
    fail("a rejected block left the output non-empty");
  }
  if (!all_zero(&cfg, sizeof(cfg)))
    fail("mctop_config_free left the config non-empty");
  free_tree(&t);
  return 0;
}
