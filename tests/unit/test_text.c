/* Unit tests: key names and target text as the screen and --json show
 * them (cli/text.c). */
#include <stdlib.h>

#include "tap.h"
#include "text.h"

static char cell[MCTOP_CELL_SIZE(64)];
static int cols;

static const char *show(const char *s, int width, bool pad, bool utf8) {
  cols = mctop_text_cell(s, strlen(s), width, pad, utf8, cell, sizeof(cell));
  return cell;
}

static void kept(void) {
  CHECK_STR("user:42   ", show("user:42", 10, true, true), "ASCII, padded");
  CHECK(cols == 10, "10 columns");
  CHECK_STR("caf\xc3\xa9  ", show("caf\xc3\xa9", 6, true, true),
            "UTF-8 kept, counted as one column");
  CHECK_STR("\xe4\xb8\xad\xe6\x96\x87 ",
            show("\xe4\xb8\xad\xe6\x96\x87", 5, true, true),
            "wide characters count two columns");
  CHECK_STR("\xe4\xb8\xad ", show("\xe4\xb8\xad\xe6\x96\x87", 3, true, true),
            "a wide character that does not fit is left out, not split");
  CHECK_STR("a\\b", show("a\\b", 10, false, true),
            "a backslash as it is (the log's escapes are not doubled)");
  CHECK(cols == 3, "unpadded: 3 columns");
}

static void escaped(void) {
  CHECK_STR("\\x1b]0;t\\x07\\x0d\\x0a",
            show("\x1b]0;t\x07\r\n", 40, false, true),
            "ESC, BEL, CR, LF as \\xNN");
  CHECK_STR("a\\xc2\\x9b"
            "2J",
            show("a\xc2\x9b"
                 "2J",
                 40, false, true),
            "U+009B (CSI) byte by byte");
  CHECK_STR("\\xe2\\x80\\xaeabc",
            show("\xe2\x80\xae"
                 "abc",
                 40, false, true),
            "U+202E right-to-left override");
  CHECK_STR("\\xe2\\x81\\xa6\\xe2\\x80\\xa8\\xef\\xbb\\xbf",
            show("\xe2\x81\xa6\xe2\x80\xa8\xef\xbb\xbf", 40, false, true),
            "an isolate, U+2028, U+FEFF");
  CHECK_STR("e\\xcc\\x81\\xe2\\x80\\x8b",
            show("e\xcc\x81\xe2\x80\x8b", 40, false, true),
            "characters of no width (combining, U+200B)");
  CHECK_STR("\\xff\\xc3(\\x7f", show("\xff\xc3(\x7f", 40, false, true),
            "bytes that are not UTF-8, DEL");
  CHECK_STR("caf\\xc3\\xa9", show("caf\xc3\xa9", 40, false, false),
            "a terminal that takes no UTF-8: every byte above ASCII escaped");
  CHECK_STR("ab\\x1b   ", show("ab\x1b\x1b", 9, true, true),
            "an escape that does not fit is left out whole");
  CHECK(cols == 9, "and the cell padded to its width");
}

static void fit(void) {
  const char *t = "\033[7mkey  \xc3\xa9\xe4\xb8\xad\033[0m";
  size_t len = strlen(t);
  CHECK(mctop_text_fit(t, len, 100) == len, "all fits");
  CHECK(mctop_text_fit(t, len, 6) == strlen("\033[7mkey  \xc3\xa9"),
        "cut before a wide character that would pass the width");
  CHECK(mctop_text_fit(t, len, 8) == len,
        "the screen's own attributes take no columns");
}

static const char *json(const char *s) {
  static char *buf;
  size_t size;
  free(buf);
  FILE *f = open_memstream(&buf, &size);
  mctop_json_string(f, s);
  fclose(f);
  return buf;
}

static void json_strings(void) {
  CHECK_STR("\"caf\xc3\xa9\"", json("caf\xc3\xa9"),
            "UTF-8 as it is: \"caf\xc3\xa9\", not \"caf\\u00c3\\u00a9\"");
  CHECK_STR("\"\xf0\x9f\x94\xa5\"", json("\xf0\x9f\x94\xa5"),
            "a character beyond the BMP as it is");
  CHECK_STR("\"a\\\"b\\\\c\"", json("a\"b\\c"), "quote and backslash");
  CHECK_STR("\"\\u001b[2J\\u007f\"", json("\x1b[2J\x7f"), "controls, DEL");
  CHECK_STR("\"\\u009b\\u202e\\u2028\\u2066\\ufeff\"",
            json("\xc2\x9b\xe2\x80\xae\xe2\x80\xa8\xe2\x81\xa6\xef\xbb\xbf"),
            "C1, bidi, U+2028, U+FEFF as \\u escapes of their code points");
  CHECK_STR("\"a\\ufffdb\"",
            json("a\xff"
                 "b"),
            "a byte that is not UTF-8 (never in a name): U+FFFD");
}

int main(void) {
  kept();
  escaped();
  fit();
  json_strings();
  free((void *)json(""));
  return tap_done();
}
