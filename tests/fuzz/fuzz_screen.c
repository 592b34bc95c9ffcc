/*
 * libFuzzer target: mctop_text_cell() (cli/text.c), which renders a key
 * name, a version or a log line for the mctop screen.
 *
 * The first byte chooses the cell's width (0-63), padding and whether the
 * terminal takes UTF-8; the rest is the text.  The cell must be valid UTF-8
 * with no byte below 0x20, no DEL, no C1, bidi, separator or BOM character,
 * nothing of no width, only ASCII if the terminal takes no UTF-8; its
 * columns must be the ones returned, at most the width (exactly with
 * padding); and read back, kept bytes and \xNN escapes must give a prefix
 * of the text.  Any broken invariant calls abort().
 */
#define _GNU_SOURCE /* wcwidth */
#include <locale.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "text.h"
#include "utf8_oracle.h"

static void fail(const char *what) {
  fprintf(stderr, "fuzz_screen: %s\n", what);
  abort();
}

static int width_of(uint32_t cp) {
  static locale_t loc;
  if (loc == (locale_t)0)
    loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
  if (loc == (locale_t)0)
    fail("no C.UTF-8 locale to measure with");
  locale_t was = uselocale(loc);
  int w = wcwidth((wchar_t)cp);
  uselocale(was);
  return w;
}

/* Columns of the cell; checks each character on the way. */
static int check_chars(const char *cell, size_t len, bool utf8) {
  int cols = 0;
  for (size_t i = 0; i < len;) {
    uint32_t cp;
    size_t n = utf8_seq((const uint8_t *)cell + i, len - i, &cp);
    if (n == 0)
      fail("the cell is not valid UTF-8");
    if (never_raw(cp))
      fail("the cell holds a control, C1, bidi, separator or BOM");
    if (!utf8 && cp >= 0x80)
      fail("a character above ASCII for a terminal that takes no UTF-8");
    int w = cp < 0x80 ? 1 : width_of(cp);
    if (w != 1 && w != 2)
      fail("the cell holds a character of no width");
    cols += w;
    i += n;
  }
  return cols;
}

static int hexval(char c) {
  return c >= '0' && c <= '9'   ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                : -1;
}

/* Reads the cell back against the text: each byte kept or \xNN. */
static void check_prefix(const char *cell, size_t len, const uint8_t *text,
                         size_t tlen, bool pad) {
  size_t o = 0, i = 0;
  while (o < len && i < tlen) {
    if ((uint8_t)cell[o] == text[i]) {
      o++, i++;
      continue;
    }
    if (o + 4 <= len && cell[o] == '\\' && cell[o + 1] == 'x' &&
        hexval(cell[o + 2]) >= 0 && hexval(cell[o + 3]) >= 0 &&
        (hexval(cell[o + 2]) << 4 | hexval(cell[o + 3])) == text[i]) {
      o += 4, i++;
      continue;
    }
    break;
  }
  for (; o < len; o++)
    if (!pad || cell[o] != ' ')
      fail("the cell is not the text's start, kept or \\xNN, then padding");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  int width = data[0] & 63;
  bool pad = data[0] & 64, utf8 = data[0] & 128;
  const uint8_t *text = data + 1;
  size_t tlen = size - 1;
  /* Exactly the documented room, on the heap: ASan sees any overflow. */
  size_t room = MCTOP_CELL_SIZE(width);
  char *cell = malloc(room);
  if (cell == NULL)
    abort();
  memset(cell, 0xA5, room);
  int cols =
      mctop_text_cell((const char *)text, tlen, width, pad, utf8, cell, room);
  if (memchr(cell, '\0', room) == NULL)
    fail("the cell is not NUL-terminated");
  size_t len = strlen(cell);
  if (cols < 0 || cols > width || (pad && cols != width))
    fail("columns returned out of range");
  if (check_chars(cell, len, utf8) != cols)
    fail("the cell's columns are not the ones returned");
  check_prefix(cell, len, text, tlen, pad);
  /* The screen's line cut: never more columns than asked, never a
   * character split (checked by reading the cut as a cell). */
  size_t fit = mctop_text_fit(cell, len, width / 2);
  if (fit > len || check_chars(cell, fit, utf8) > width / 2)
    fail("mctop_text_fit passed the width or split a character");
  free(cell);
  return 0;
}
