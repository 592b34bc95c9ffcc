/*
 * mctop command: text made safe to show (see text.h).
 */
/* wcwidth */
#define _GNU_SOURCE

#include "text.h"

#include <locale.h>
#include <stdint.h>
#include <string.h>
#include <wchar.h>

#include "utf8.h"

/* Widths come from glibc's tables for C.UTF-8 whatever the user's locale
 * (which only says whether the terminal takes UTF-8: screen.c asks it).
 * Without that locale nothing but ASCII is known to be one column wide. */
static locale_t width_locale(void) {
  static locale_t loc;
  static bool tried;
  if (!tried) {
    tried = true;
    loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
  }
  return loc;
}

/* Columns code point cp takes on the screen, or 0: show it escaped. */
static int columns(uint32_t cp) {
  if (mctop_utf8_unsafe(cp))
    return 0;
  if (cp < 0x80)
    return 1;
  locale_t loc = width_locale();
  if (loc == (locale_t)0)
    return 0;
  locale_t was = uselocale(loc);
  int w = wcwidth((wchar_t)cp);
  uselocale(was);
  return w == 1 || w == 2 ? w : 0;
}

/* The next unit of s[i..len): bytes it spans; *cols its columns, 0 if it is
 * one byte to escape. */
static size_t unit(const uint8_t *s, size_t len, size_t i, bool utf8,
                   int *cols) {
  uint32_t cp;
  size_t n = mctop_utf8_decode(s + i, len - i, &cp);
  *cols = 0;
  if (n == 1 || (n > 1 && utf8))
    *cols = columns(cp);
  return *cols > 0 ? n : 1;
}

int mctop_text_cell(const char *s, size_t len, int width, bool pad, bool utf8,
                    char *out, size_t size) {
  static const char hex[] = "0123456789abcdef";
  const uint8_t *p = (const uint8_t *)s;
  size_t o = 0;
  int used = 0;
  if (size == 0)
    return 0;
  for (size_t i = 0; i < len;) {
    int cols;
    size_t n = unit(p, len, i, utf8, &cols);
    bool esc = cols == 0;
    size_t bytes = esc ? 4 : n;
    if (esc)
      cols = 4;
    if (used + cols > width || o + bytes >= size)
      break;
    if (esc) {
      out[o] = '\\';
      out[o + 1] = 'x';
      out[o + 2] = hex[p[i] >> 4];
      out[o + 3] = hex[p[i] & 15];
    } else {
      memcpy(out + o, p + i, n);
    }
    o += bytes;
    used += cols;
    i += n;
  }
  for (; pad && used < width && o + 1 < size; used++)
    out[o++] = ' ';
  out[o] = '\0';
  return used;
}

/* Length of the "ESC [ parameters final" sequence at text[i..len), or 0. */
static size_t csi_len(const uint8_t *t, size_t len, size_t i) {
  if (t[i] != 0x1b || i + 1 >= len || t[i + 1] != '[')
    return 0;
  for (size_t j = i + 2; j < len; j++)
    if (t[j] >= 0x40 && t[j] <= 0x7e)
      return j + 1 - i;
  return 0;
}

size_t mctop_text_fit(const char *text, size_t len, int width) {
  const uint8_t *t = (const uint8_t *)text;
  size_t i = 0;
  int used = 0;
  while (i < len) {
    size_t n = csi_len(t, len, i);
    int cols = 0;
    if (n == 0) {
      n = unit(t, len, i, true, &cols);
      if (cols == 0)
        cols = 1; /* not from a cell: counted as the byte it is */
    }
    if (used + cols > width)
      break;
    used += cols;
    i += n;
  }
  return i;
}

static void json_escape(FILE *out, uint32_t cp) {
  /* No astral character is unsafe today; one added to utf8.h's set is
   * written as a UTF-16 surrogate pair, as RFC 8259 section 7 says. */
  if (cp >= 0x10000) {
    cp -= 0x10000;
    fprintf(out, "\\u%04x\\u%04x", 0xD800 + (unsigned)(cp >> 10),
            0xDC00 + (unsigned)(cp & 0x3FF));
  } else {
    fprintf(out, "\\u%04x", (unsigned)cp);
  }
}

void mctop_json_string(FILE *out, const char *s) {
  const uint8_t *p = (const uint8_t *)s;
  size_t len = strlen(s);
  fputc('"', out);
  for (size_t i = 0; i < len;) {
    uint32_t cp;
    size_t n = mctop_utf8_decode(p + i, len - i, &cp);
    if (n == 0) {
      fputs("\\ufffd", out); /* not UTF-8: never in a key name */
      n = 1;
    } else if (cp == '"' || cp == '\\') {
      fprintf(out, "\\%c", (char)cp);
    } else if (mctop_utf8_unsafe(cp)) {
      json_escape(out, cp);
    } else {
      fwrite(p + i, 1, n, out);
    }
    i += n;
  }
  fputc('"', out);
}
