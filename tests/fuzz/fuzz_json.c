/*
 * libFuzzer target: mctop_json_string() (cli/text.c), which writes a key's
 * name into the --json lines, after mctop_key_name_escaped() (logic/keyname.c)
 * made the name from raw key bytes.
 *
 * The input is split in two keys at a point its first byte chooses.  For
 * each: the JSON string must be valid UTF-8 with no raw control, C1, bidi,
 * separator or BOM character, and parse back to exactly the name; two
 * different keys with whole (uncut) names must give different strings.
 * The input itself, as text, must also give valid UTF-8 with no raw
 * control.  Any broken invariant calls abort().
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyname.h"
#include "text.h"
#include "utf8_oracle.h"

static void fail(const char *what) {
  fprintf(stderr, "fuzz_json: %s\n", what);
  abort();
}

static char *json(const char *s, size_t *len) {
  char *buf = NULL;
  FILE *f = open_memstream(&buf, len);
  if (f == NULL)
    abort();
  mctop_json_string(f, s);
  fclose(f);
  return buf;
}

static void check_text(const char *j, size_t len) {
  for (size_t i = 0; i < len;) {
    uint32_t cp;
    size_t n = utf8_seq((const uint8_t *)j + i, len - i, &cp);
    if (n == 0)
      fail("the JSON string is not valid UTF-8");
    if (never_raw(cp))
      fail("the JSON string holds a raw control, C1, bidi, separator or BOM");
    i += n;
  }
  if (len < 2 || j[0] != '"' || j[len - 1] != '"')
    fail("the JSON string is not quoted");
}

static int hex4(const char *p) {
  int v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0)
      fail("a \\u escape without four hex digits");
    v = v << 4 | d;
  }
  return v;
}

static size_t put_utf8(uint32_t cp, uint8_t *out) {
  if (cp < 0x80) {
    out[0] = (uint8_t)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (uint8_t)(0xC0 | cp >> 6);
    out[1] = (uint8_t)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (uint8_t)(0xE0 | cp >> 12);
    out[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
    out[2] = (uint8_t)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (uint8_t)(0xF0 | cp >> 18);
  out[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
  out[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
  out[3] = (uint8_t)(0x80 | (cp & 0x3F));
  return 4;
}

/* Parses the JSON string j (RFC 8259) into UTF-8 bytes; returns the
 * length.  out holds at least len bytes (no escape grows). */
static size_t parse(const char *j, size_t len, uint8_t *out) {
  size_t o = 0;
  for (size_t i = 1; i + 1 < len;) {
    if (j[i] == '"')
      fail("an unescaped quote inside the string");
    if (j[i] != '\\') {
      out[o++] = (uint8_t)j[i++];
      continue;
    }
    if (i + 2 >= len)
      fail("a backslash at the end");
    char e = j[i + 1];
    if (e == '"' || e == '\\' || e == '/') {
      out[o++] = (uint8_t)e;
      i += 2;
      continue;
    }
    if (e != 'u' || i + 6 > len - 1)
      fail("an escape JSON does not have");
    uint32_t cp = (uint32_t)hex4(j + i + 2);
    i += 6;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (i + 6 > len - 1 || j[i] != '\\' || j[i + 1] != 'u')
        fail("a high surrogate alone");
      uint32_t lo = (uint32_t)hex4(j + i + 2);
      if (lo < 0xDC00 || lo > 0xDFFF)
        fail("a high surrogate without a low one");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
      i += 6;
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      fail("a low surrogate alone");
    }
    o += put_utf8(cp, out + o);
  }
  return o;
}

/* Names key, writes the name as JSON and checks it; returns the JSON
 * (malloc'ed) and whether the name is whole (not cut with a hash). */
static char *check_key(const uint8_t *key, size_t len, size_t *jlen,
                       bool *whole) {
  char name[MCTOP_KEYNAME_SIZE];
  mctop_key_name_escaped(key, len, NULL, name);
  *whole = strchr(name, '~') == NULL;
  char *j = json(name, jlen);
  check_text(j, *jlen);
  uint8_t *back = malloc(*jlen + 1);
  if (back == NULL)
    abort();
  size_t n = parse(j, *jlen, back);
  if (n != strlen(name) || memcmp(back, name, n) != 0)
    fail("the JSON string does not parse back to the key's name");
  free(back);
  return j;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  size_t cut = 1 + data[0] % size;
  const uint8_t *a = data + 1, *b = data + cut;
  size_t alen = cut - 1, blen = size - cut;
  size_t ja_len, jb_len;
  bool wa, wb;
  char *ja = check_key(a, alen, &ja_len, &wa);
  char *jb = check_key(b, blen, &jb_len, &wb);
  if (wa && wb && (alen != blen || memcmp(a, b, alen) != 0) &&
      ja_len == jb_len && memcmp(ja, jb, ja_len) == 0)
    fail("two different keys give the same JSON string");
  free(ja);
  free(jb);
  /* Any text at all, not only names: still valid UTF-8, nothing raw. */
  char *text = malloc(size);
  if (text == NULL)
    abort();
  memcpy(text, data + 1, size - 1);
  text[size - 1] = '\0';
  size_t jlen;
  char *j = json(text, &jlen);
  check_text(j, jlen);
  free(j);
  free(text);
  return 0;
}
