/* Unit tests: keys become safe, distinct collectd type_instances. */
#include <stdlib.h>

#include "keyname.h"
#include "tap.h"

static const char *name_of(const char *key, size_t len, int *altered) {
  static char out[MCTOP_KEYNAME_SIZE];
  *altered = mctop_key_name_escaped((const uint8_t *)key, len, NULL, out);
  return out;
}

static void plain_keys_are_kept(void) {
  int alt;
  CHECK_STR("user:42", name_of("user:42", 7, &alt), "plain key kept");
  CHECK(alt == 0, "plain key not altered");
  CHECK_STR("a-b_c:d", name_of("a-b_c:d", 7, &alt), "dashes, colons kept");
  CHECK_STR("x", name_of("x", 1, &alt), "one-byte key");
  CHECK_STR("caf\xc3\xa9", name_of("caf\xc3\xa9", 5, &alt), "UTF-8 kept");
  CHECK(alt == 0, "UTF-8 not altered");
}

static int has_suffix(const char *s) {
  size_t n = strlen(s);
  if (n < 25 || s[n - 25] != '~')
    return 0;
  for (size_t i = n - 12; i < n; i++)
    if (!strchr("0123456789abcdef", s[i]))
      return 0;
  return 1;
}

static void unsafe_bytes_are_escaped(void) {
  int alt;
  CHECK_STR("a%2Eb", name_of("a.b", 3, &alt), "dot escaped: one Graphite node");
  CHECK(alt == 1, "dot counts as altered");
  CHECK_STR("a%2Fb", name_of("a/b", 3, &alt), "slash escaped");
  CHECK_STR("a%00b", name_of("a\0b", 3, &alt), "NUL escaped");
  CHECK_STR("a%20b%0A", name_of("a b\n", 4, &alt), "space, newline escaped");
  CHECK_STR("x%7Ey%25", name_of("x~y%", 4, &alt), "marker and escape escaped");
  CHECK_STR("%FF%C3", name_of("\xff\xc3", 2, &alt), "malformed UTF-8");
  CHECK_STR("%ED%A0%80", name_of("\xed\xa0\x80", 3, &alt),
            "surrogates are malformed");
  CHECK_STR("%7F", name_of("\x7f", 1, &alt), "DEL escaped");
}

/* Well-formed UTF-8 of a character a terminal acts on or that reorders
 * the text around it: escaped byte by byte, as a control byte is. */
static void unsafe_characters_are_escaped(void) {
  static const struct {
    const char *key, *want, *what;
  } cases[] = {
      {"a\xc2\x9b"
       "2Jb",
       "a%C2%9B2Jb", "U+009B (CSI, a C1 control)"},
      {"\xc2\x80\xc2\x9f", "%C2%80%C2%9F", "U+0080 and U+009F: C1's ends"},
      {"abc\xe2\x80\xae"
       "def",
       "abc%E2%80%AEdef", "U+202E right-to-left override"},
      {"\xe2\x80\xaa\xe2\x80\xac", "%E2%80%AA%E2%80%AC", "U+202A, U+202C"},
      {"\xe2\x81\xa6x\xe2\x81\xa9", "%E2%81%A6x%E2%81%A9",
       "U+2066 and U+2069 isolates"},
      {"\xe2\x80\x8e\xe2\x80\x8f", "%E2%80%8E%E2%80%8F",
       "U+200E, U+200F marks"},
      {"\xd8\x9c", "%D8%9C", "U+061C Arabic letter mark"},
      {"l1\xe2\x80\xa8l2\xe2\x80\xa9", "l1%E2%80%A8l2%E2%80%A9",
       "U+2028, U+2029 line and paragraph separators"},
      {"\xef\xbb\xbf"
       "bom",
       "%EF%BB%BFbom", "U+FEFF byte order mark"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    int alt;
    const char *got = name_of(cases[i].key, strlen(cases[i].key), &alt);
    CHECK(strcmp(got, cases[i].want) == 0 && alt == 1, "%s: escaped (%s)",
          cases[i].what, cases[i].want);
  }
  int alt;
  /* Their neighbours are ordinary characters and stay. */
  const char *kept = "\xc2\xa0\xc2\xa9\xe2\x80\x8b\xe2\x80\xaf\xe2\x81\xa0"
                     "\xef\xbb\xbe";
  CHECK_STR(kept, name_of(kept, strlen(kept), &alt),
            "U+00A0, U+00A9, U+200B, U+202F, U+2060, U+FEFE kept");
  CHECK(alt == 0, "and not altered");
}

static void extra_escapes(void) {
  char out[MCTOP_KEYNAME_SIZE];
  int alt =
      mctop_key_name_escaped((const uint8_t *)"user:42(x)", 10, ":()", out);
  CHECK_STR("user%3A42%28x%29", out, "KeyEscape characters are escaped");
  CHECK(alt == 1, "and count as altered");
  mctop_key_name_escaped((const uint8_t *)"user_42", 7, ":()", out);
  CHECK_STR("user_42", out, "user_42 stays apart from user%%3A42");
  mctop_key_name_escaped((const uint8_t *)"a.b", 3, NULL, out);
  CHECK_STR("a%2Eb", out, "NULL: the default set");
}

static void names_stay_distinct(void) {
  const char *keys[] = {"a/b", "a b", "a_b", "a.b", "a%2Eb", "a%b"};
  char names[6][MCTOP_KEYNAME_SIZE];
  for (int i = 0; i < 6; i++)
    mctop_key_name_escaped((const uint8_t *)keys[i], strlen(keys[i]), NULL,
                           names[i]);
  for (int i = 0; i < 6; i++)
    for (int j = i + 1; j < 6; j++)
      CHECK(strcmp(names[i], names[j]) != 0, "'%s' and '%s' differ (%s, %s)",
            keys[i], keys[j], names[i], names[j]);
}

static void long_keys_are_cut_with_hash(void) {
  uint8_t k1[250], k2[250];
  char n1[MCTOP_KEYNAME_SIZE], n2[MCTOP_KEYNAME_SIZE];
  memset(k1, 'k', sizeof(k1));
  memcpy(k2, k1, sizeof(k2));
  k2[249] = 'z'; /* differ only after byte 200 */
  int alt = mctop_key_name_escaped(k1, sizeof(k1), NULL, n1);
  mctop_key_name_escaped(k2, sizeof(k2), NULL, n2);
  CHECK(alt == 1 && strlen(n1) == 127, "250-byte key fits 127 (%zu)",
        strlen(n1));
  CHECK(has_suffix(n1), "long key gets a hash suffix");
  CHECK(strcmp(n1, n2) != 0, "keys differing at byte 250 stay apart");
  uint8_t k127[127];
  memset(k127, 'q', sizeof(k127));
  alt = mctop_key_name_escaped(k127, sizeof(k127), NULL, n1);
  CHECK(alt == 0 && strlen(n1) == 127, "127-byte key kept whole");
  uint8_t k128[128];
  memset(k128, 'q', sizeof(k128));
  alt = mctop_key_name_escaped(k128, sizeof(k128), NULL, n1);
  CHECK(alt == 1 && strlen(n1) == 127, "128-byte key cut");
}

static void escapes_are_not_split(void) {
  /* 50 dots: 150 bytes encoded; the cut keeps whole %2E triples. */
  uint8_t k[50];
  char n[MCTOP_KEYNAME_SIZE];
  memset(k, '.', sizeof(k));
  int alt = mctop_key_name_escaped(k, sizeof(k), NULL, n);
  size_t body = strlen(n) - 25;
  CHECK(alt == 1 && has_suffix(n), "long escaped key gets a hash");
  CHECK(body % 3 == 0 && body <= 102, "cut between escapes (body %zu)", body);
}

static void utf8_is_not_split(void) {
  /* 60 two-byte characters: 120 bytes, then more. */
  uint8_t k[200];
  char n[MCTOP_KEYNAME_SIZE];
  for (size_t i = 0; i < sizeof(k); i += 2) {
    k[i] = 0xc3;
    k[i + 1] = 0xa9;
  }
  mctop_key_name_escaped(k, sizeof(k), NULL, n);
  size_t body = strlen(n) - 25;
  CHECK(body % 2 == 0, "cut between UTF-8 characters (body %zu)", body);
  CHECK(strlen(n) <= 127, "fits");
}

int main(void) {
  plain_keys_are_kept();
  unsafe_bytes_are_escaped();
  unsafe_characters_are_escaped();
  names_stay_distinct();
  extra_escapes();
  escapes_are_not_split();
  long_keys_are_cut_with_hash();
  utf8_is_not_split();
  return tap_done();
}
