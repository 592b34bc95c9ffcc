/*
 * mctop plugin: key sanitising.  Keys arrive as raw bytes (the binary
 * protocol allows any byte); collectd identifiers, file names written by the
 * csv and rrdtool plugins, and the writers' formats all want safe text.
 */
#include "keyname.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define HASH_SUFFIX_LEN 13 /* '~' + 12 hex digits */

uint64_t mctop_fnv1a(const uint8_t *data, size_t len) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < len; i++) {
    h ^= data[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), or 0 if malformed. */
static size_t utf8_len(const uint8_t *s, size_t avail) {
  size_t n;
  uint8_t lo = 0x80, hi = 0xBF;
  if (s[0] >= 0xC2 && s[0] <= 0xDF)
    n = 2;
  else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
    n = 3;
    if (s[0] == 0xE0)
      lo = 0xA0;
    if (s[0] == 0xED)
      hi = 0x9F;
  } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
    n = 4;
    if (s[0] == 0xF0)
      lo = 0x90;
    if (s[0] == 0xF4)
      hi = 0x8F;
  } else
    return 0;
  if (avail < n || s[1] < lo || s[1] > hi)
    return 0;
  for (size_t i = 2; i < n; i++)
    if (s[i] < 0x80 || s[i] > 0xBF)
      return 0;
  return n;
}

static bool plain_ascii(uint8_t c) {
  return c > 0x20 && c < 0x7F && c != '/' && c != '~';
}

/* Sanitises key into buf, writing at most cap bytes; returns the length
 * written.  *altered is set if a byte was replaced, *cut_short if the rest
 * did not fit. */
static size_t sanitise(const uint8_t *key, size_t len, char *buf, size_t cap,
                       bool *altered, bool *cut_short) {
  size_t o = 0;
  for (size_t i = 0; i < len;) {
    size_t n = plain_ascii(key[i]) ? 1 : utf8_len(key + i, len - i);
    size_t emit = n == 0 ? 1 : n;
    if (o + emit > cap) {
      *cut_short = true;
      break;
    }
    if (n == 0) {
      buf[o] = '_';
      *altered = true;
    } else {
      memcpy(buf + o, key + i, n);
    }
    o += emit;
    i += emit;
  }
  return o;
}

int mctop_key_name(const uint8_t *key, size_t len, char *out) {
  const size_t room = MCTOP_KEYNAME_SIZE - 1;
  char buf[MCTOP_KEYNAME_SIZE];
  bool altered = false, cut_short = false;
  size_t n = sanitise(key, len, buf, sizeof(buf), &altered, &cut_short);

  if (!altered && !cut_short && n <= room) {
    memcpy(out, buf, n);
    out[n] = '\0';
    return 0;
  }
  size_t cut = n < room - HASH_SUFFIX_LEN ? n : room - HASH_SUFFIX_LEN;
  /* Never leave half a UTF-8 sequence before the suffix. */
  while (cut > 0 && cut < n && ((uint8_t)buf[cut] & 0xC0) == 0x80)
    cut--;
  memcpy(out, buf, cut);
  snprintf(out + cut, MCTOP_KEYNAME_SIZE - cut, "~%012llx",
           (unsigned long long)(mctop_fnv1a(key, len) >> 16));
  return 1;
}
