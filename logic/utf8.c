/*
 * mctop: UTF-8 decoding (see utf8.h).
 */
#include "utf8.h"

size_t mctop_utf8_decode(const uint8_t *s, size_t avail, uint32_t *cp) {
  size_t n;
  uint8_t lo = 0x80, hi = 0xBF;
  *cp = s[0];
  if (s[0] < 0x80)
    return 1;
  if (s[0] >= 0xC2 && s[0] <= 0xDF) {
    n = 2;
  } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
    n = 3;
    if (s[0] == 0xE0)
      lo = 0xA0; /* overlong */
    if (s[0] == 0xED)
      hi = 0x9F; /* surrogates */
  } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
    n = 4;
    if (s[0] == 0xF0)
      lo = 0x90; /* overlong */
    if (s[0] == 0xF4)
      hi = 0x8F; /* above U+10FFFF */
  } else {
    return 0;
  }
  if (avail < n || s[1] < lo || s[1] > hi)
    return 0;
  for (size_t i = 2; i < n; i++)
    if (s[i] < 0x80 || s[i] > 0xBF)
      return 0;
  uint32_t c = s[0] & (0x7F >> n);
  for (size_t i = 1; i < n; i++)
    c = c << 6 | (s[i] & 0x3F);
  *cp = c;
  return n;
}
