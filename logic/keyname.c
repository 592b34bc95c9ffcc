/*
 * mctop: key naming.  Keys arrive as raw bytes (the binary protocol
 * allows any byte); collectd identifiers, the files the csv and rrdtool
 * plugins write, Graphite paths and the other writers' formats all want safe
 * text, and one key must be one name everywhere.
 */
#include "keyname.h"

#include <nettle/sha2.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

/*
 * '~' + 24 hex digits: 96 bits of SHA-256.  Key bytes are any client's to
 * choose, so the suffix must not be a hash whose collisions can be
 * computed: with 48 bits of FNV-1a two long keys sharing a name (and a
 * series, their counts summed) took a client seconds; 96 bits of SHA-256
 * take 2^48 tries.  Unkeyed on purpose: a key keeps its name across
 * restarts, so its series in Graphite or Prometheus goes on.
 */
#define HASH_HEX 24
#define HASH_SUFFIX_LEN (1 + HASH_HEX)

uint64_t mctop_fnv1a(const uint8_t *data, size_t len) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < len; i++) {
    h ^= data[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

/*
 * Printable ASCII is kept except: '.' (write_graphite turns it into '_', so
 * "a.b" would become a second path level or collide with "a_b"), '/'
 * (collectd's identifier separator and a path separator for the csv and
 * rrdtool files), '%' (our escape) and '~' (our hash marker).
 */
static bool kept_ascii(uint8_t c, const char *escape) {
  return c > 0x20 && c < 0x7F && c != '.' && c != '/' && c != '%' && c != '~' &&
         (escape == NULL || strchr(escape, c) == NULL);
}

/* Bytes of key[i..] that form the next unit: a kept byte, a whole UTF-8
 * sequence, or one byte to escape (*escape set).  A well-formed sequence of
 * a code point utf8.h calls unsafe (C1 controls, bidi controls, U+2028,
 * U+2029, U+FEFF) is escaped byte by byte, as a control byte is: names go to
 * terminals, logs and dashboards. */
static size_t next_unit(const uint8_t *key, size_t len, size_t i,
                        const char *extra, bool *escape) {
  *escape = false;
  if (kept_ascii(key[i], extra))
    return 1;
  if (key[i] >= 0x80) {
    uint32_t cp;
    size_t n = mctop_utf8_decode(key + i, len - i, &cp);
    if (n > 0 && !mctop_utf8_unsafe(cp))
      return n;
  }
  *escape = true;
  return 1;
}

/* Encodes key into out, stopping before the unit that would pass limit;
 * returns the length written (out is not terminated). */
static size_t encode(const uint8_t *key, size_t len, const char *extra,
                     char *out, size_t limit, bool *altered, bool *complete) {
  static const char hex[] = "0123456789ABCDEF";
  size_t o = 0, i = 0;
  while (i < len) {
    bool esc;
    size_t n = next_unit(key, len, i, extra, &esc);
    size_t width = esc ? 3 : n;
    if (o + width > limit)
      break;
    if (esc) {
      out[o] = '%';
      out[o + 1] = hex[key[i] >> 4];
      out[o + 2] = hex[key[i] & 0xF];
      *altered = true;
    } else {
      memcpy(out + o, key + i, n);
    }
    o += width;
    i += n;
  }
  *complete = i == len;
  return o;
}

int mctop_key_name_escaped(const uint8_t *key, size_t len, const char *escape,
                           char *out) {
  const size_t room = MCTOP_KEYNAME_SIZE - 1;
  bool altered = false, complete;
  size_t n = encode(key, len, escape, out, room, &altered, &complete);
  if (complete) {
    out[n] = '\0';
    return altered ? 1 : 0;
  }
  /* Too long: cut on a unit boundary and name the whole key by its hash. */
  n = encode(key, len, escape, out, room - HASH_SUFFIX_LEN, &altered,
             &complete);
  uint8_t digest[SHA256_DIGEST_SIZE];
  struct sha256_ctx ctx;
  sha256_init(&ctx);
  sha256_update(&ctx, len, key);
  sha256_digest(&ctx, sizeof(digest), digest);
  out[n++] = '~';
  for (size_t i = 0; i < HASH_HEX / 2; i++, n += 2)
    snprintf(out + n, MCTOP_KEYNAME_SIZE - n, "%02x", digest[i]);
  return 1;
}
