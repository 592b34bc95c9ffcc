/*
 * The fuzzers' own idea of safe text, for fuzz_json and fuzz_screen:
 * a UTF-8 decoder and the code points that must never be printed as they
 * are, written out here rather than taken from logic/utf8.c, so that
 * they check that one.
 */
#ifndef MCTOP_FUZZ_UTF8_ORACLE_H
#define MCTOP_FUZZ_UTF8_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes the UTF-8 sequence at s; 0 if it is not well formed. */
static size_t utf8_seq(const uint8_t *s, size_t avail, uint32_t *cp) {
  static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
  size_t n = s[0] < 0x80             ? 1
             : (s[0] & 0xE0) == 0xC0 ? 2
             : (s[0] & 0xF0) == 0xE0 ? 3
             : (s[0] & 0xF8) == 0xF0 ? 4
                                     : 0;
  if (n == 0 || n > avail)
    return 0;
  uint32_t c = n == 1 ? s[0] : s[0] & (0x7F >> n);
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    c = c << 6 | (s[i] & 0x3F);
  }
  if (c < min[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
    return 0;
  *cp = c;
  return n;
}

static bool never_raw(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x061C ||
         cp == 0x200E || cp == 0x200F || (cp >= 0x2028 && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF;
}

#endif /* MCTOP_FUZZ_UTF8_ORACLE_H */
