/*
 * libFuzzer target: mctop_key_name_escaped() (logic/keyname.c), which turns the
 * raw key bytes memcached hands the BPF program into a collectd type_instance.
 *
 * Every input is named twice: as given, and tiled to a length above
 * memcached's 250-byte KEY_MAX_LENGTH, so the truncation path runs on every
 * execution.  Any broken invariant calls abort().
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/sha2.h>

#include "keyname.h"

#define SUFFIX_LEN 25 /* '~' + 24 lowercase hex digits of SHA-256 */

static void fail(const char *what, size_t len) {
  fprintf(stderr, "fuzz_keyname: %s (key of %zu bytes)\n", what, len);
  abort();
}

/* Length of the RFC 3629 sequence at s, or 0 if it is not well formed:
 * decodes the code point, then rejects overlongs, surrogates and anything
 * above U+10FFFF. */
static size_t utf8_seq(const unsigned char *s, size_t avail, uint32_t *out) {
  static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
  size_t n;
  uint32_t cp;
  *out = s[0];
  if (s[0] < 0x80)
    return 1;
  if ((s[0] & 0xE0) == 0xC0) {
    n = 2;
    cp = s[0] & 0x1F;
  } else if ((s[0] & 0xF0) == 0xE0) {
    n = 3;
    cp = s[0] & 0x0F;
  } else if ((s[0] & 0xF8) == 0xF0) {
    n = 4;
    cp = s[0] & 0x07;
  } else {
    return 0;
  }
  if (n > avail)
    return 0;
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (cp < min_cp[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  *out = cp;
  return n;
}

/* The characters a name must never hold as they are (README, "Key names"):
 * C1 controls, bidi controls, line and paragraph separators, BOM.  Listed
 * here, not taken from utf8.h, so the fuzzer checks the documented set. */
static bool shown_raw_is_unsafe(uint32_t cp) {
  static const uint32_t one[] = {0x061C, 0x200E, 0x200F, 0x2028, 0x2029,
                                 0x202A, 0x202B, 0x202C, 0x202D, 0x202E,
                                 0x2066, 0x2067, 0x2068, 0x2069, 0xFEFF};
  if (cp >= 0x80 && cp <= 0x9F)
    return true;
  for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++)
    if (cp == one[i])
      return true;
  return false;
}

static void check_utf8(const char *str, size_t len, size_t keylen) {
  const unsigned char *s = (const unsigned char *)str;
  for (size_t i = 0; i < len;) {
    uint32_t cp;
    size_t n = utf8_seq(s + i, len - i, &cp);
    if (n == 0)
      fail("name is not valid UTF-8", keylen);
    if (shown_raw_is_unsafe(cp))
      fail("name holds a C1, bidi, separator or BOM character", keylen);
    i += n;
  }
}

static void check_suffix(const char *out, size_t olen, const uint8_t *key,
                         size_t len) {
  char want[SUFFIX_LEN + 1];
  if (olen < SUFFIX_LEN || out[olen - SUFFIX_LEN] != '~')
    fail("altered name does not end in '~' + 24 hex digits", len);
  for (size_t i = olen - SUFFIX_LEN + 1; i < olen; i++)
    if (!((out[i] >= '0' && out[i] <= '9') || (out[i] >= 'a' && out[i] <= 'f')))
      fail("suffix holds a byte that is not a lowercase hex digit", len);
  if (memchr(out, '~', olen - SUFFIX_LEN) != NULL)
    fail("altered name has a '~' before its suffix", len);
  /* SHA-256 from nettle, the documented hash, not the plugin's helper. */
  uint8_t digest[SHA256_DIGEST_SIZE];
  struct sha256_ctx ctx;
  sha256_init(&ctx);
  sha256_update(&ctx, len, key);
  sha256_digest(&ctx, sizeof(digest), digest);
  want[0] = '~';
  for (size_t i = 0; i < (SUFFIX_LEN - 1) / 2; i++)
    snprintf(want + 1 + 2 * i, sizeof(want) - 1 - 2 * i, "%02x", digest[i]);
  if (memcmp(out + olen - SUFFIX_LEN, want, SUFFIX_LEN) != 0)
    fail("suffix is not the first 96 bits of the key's SHA-256", len);
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Decodes %XX escapes (upper-case hex only, as documented); a malformed
 * escape is a failure.  Returns the decoded length. */
static size_t percent_decode(const char *s, size_t n, uint8_t *out,
                             size_t keylen) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '%') {
      out[o++] = (uint8_t)s[i];
      continue;
    }
    if (i + 2 >= n)
      fail("a '%' escape is cut short", keylen);
    int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
    if (hi < 0 || lo < 0)
      fail("a '%' is not followed by two upper-case hex digits", keylen);
    out[o++] = (uint8_t)(hi << 4 | lo);
    i += 2;
  }
  return o;
}

static void check_name(const uint8_t *key, size_t len) {
  /* Exactly MCTOP_KEYNAME_SIZE bytes on the heap: ASan sees any overflow. */
  char *out = malloc(MCTOP_KEYNAME_SIZE), *again = malloc(MCTOP_KEYNAME_SIZE);
  if (out == NULL || again == NULL)
    abort();
  memset(out, 0xA5, MCTOP_KEYNAME_SIZE);
  memset(again, 0x5A, MCTOP_KEYNAME_SIZE);
  int r = mctop_key_name_escaped(key, len, NULL, out);
  if (memchr(out, '\0', MCTOP_KEYNAME_SIZE) == NULL)
    fail("name is not NUL-terminated", len);
  size_t olen = strlen(out);
  if (olen > MCTOP_KEYNAME_SIZE - 1)
    fail("name is longer than 127 bytes", len);
  for (size_t i = 0; i < olen; i++) {
    unsigned char c = (unsigned char)out[i];
    if (c == '/' || c == '.' || c <= 0x20 || c == 0x7F)
      fail("name holds '/', '.', a space or a control byte", len);
  }
  check_utf8(out, olen, len);
  if (r == 0) {
    if (olen != len || memcmp(out, key, len) != 0)
      fail("returned 0 but the name differs from the key", len);
    if (memchr(out, '~', olen) != NULL)
      fail("unaltered name contains '~'", len);
  } else if (r == 1) {
    const char *tilde = memchr(out, '~', olen);
    size_t body = tilde ? (size_t)(tilde - out) : olen;
    uint8_t *dec = malloc(body + 1);
    if (dec == NULL)
      abort();
    size_t dlen = percent_decode(out, body, dec, len);
    if (tilde != NULL) {
      check_suffix(out, olen, key, len);
      if (dlen > len || memcmp(dec, key, dlen) != 0)
        fail("a cut name's body does not decode to the key's start", len);
    } else if (dlen != len || memcmp(dec, key, len) != 0) {
      fail("an escaped name does not decode back to the key", len);
    }
    free(dec);
  } else {
    fail("return value is neither 0 nor 1", len);
  }
  if (mctop_key_name_escaped(key, len, NULL, again) != r ||
      strcmp(out, again) != 0)
    fail("a second call gave another name", len);
  free(out);
  free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  check_name(data, size);
  if (size == 0)
    return 0;
  /* 251..506 bytes: the input repeated, its first byte choosing the length. */
  size_t long_len = 251 + data[0];
  uint8_t *tiled = malloc(long_len);
  if (tiled == NULL)
    abort();
  for (size_t i = 0; i < long_len; i++)
    tiled[i] = data[i % size];
  check_name(tiled, long_len);
  free(tiled);
  return 0;
}
