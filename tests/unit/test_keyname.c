/* Unit tests: keys become safe, distinct collectd type_instances. */
#include <stdlib.h>

#include "keyname.h"
#include "tap.h"

static const char *name_of(const char *key, size_t len, int *altered) {
  static char out[MCTOP_KEYNAME_SIZE];
  *altered = mctop_key_name((const uint8_t *)key, len, out);
  return out;
}

static void plain_keys_are_kept(void) {
  int alt;
  CHECK_STR("user:42", name_of("user:42", 7, &alt), "plain key kept");
  CHECK(alt == 0, "plain key not altered");
  CHECK_STR("a.b-c_d", name_of("a.b-c_d", 7, &alt), "dots and dashes kept");
  CHECK_STR("x", name_of("x", 1, &alt), "one-byte key");
  CHECK_STR("caf\xc3\xa9", name_of("caf\xc3\xa9", 5, &alt), "UTF-8 kept");
  CHECK(alt == 0, "UTF-8 not altered");
}

static int has_suffix(const char *s) {
  size_t n = strlen(s);
  if (n < 13 || s[n - 13] != '~')
    return 0;
  for (size_t i = n - 12; i < n; i++)
    if (!strchr("0123456789abcdef", s[i]))
      return 0;
  return 1;
}

static void unsafe_bytes_are_replaced(void) {
  int alt;
  const char *n = name_of("a/b", 3, &alt);
  CHECK(alt == 1 && strncmp(n, "a_b~", 4) == 0 && has_suffix(n),
        "slash replaced, hash appended (%s)", n);
  n = name_of("a\0b", 3, &alt);
  CHECK(alt == 1 && strncmp(n, "a_b~", 4) == 0, "NUL replaced (%s)", n);
  n = name_of("a b\n", 4, &alt);
  CHECK(alt == 1 && strncmp(n, "a_b_~", 5) == 0, "space, newline replaced");
  n = name_of("x~y", 3, &alt);
  CHECK(alt == 1 && strncmp(n, "x_y~", 4) == 0, "our marker is never kept");
  n = name_of("\xff\xc3", 2, &alt);
  CHECK(alt == 1 && strncmp(n, "__~", 3) == 0, "malformed UTF-8 replaced");
  n = name_of("\xed\xa0\x80", 3, &alt);
  CHECK(alt == 1 && strncmp(n, "___~", 4) == 0, "surrogates are malformed");
}

static void altered_keys_stay_distinct(void) {
  char a[MCTOP_KEYNAME_SIZE], b[MCTOP_KEYNAME_SIZE];
  mctop_key_name((const uint8_t *)"a/b", 3, a);
  mctop_key_name((const uint8_t *)"a b", 3, b);
  CHECK(strcmp(a, b) != 0, "a/b and 'a b' differ (%s, %s)", a, b);
  mctop_key_name((const uint8_t *)"a_b", 3, b);
  CHECK(strcmp(a, b) != 0, "a/b and a_b differ");
}

static void long_keys_are_cut_with_hash(void) {
  uint8_t k1[250], k2[250];
  char n1[MCTOP_KEYNAME_SIZE], n2[MCTOP_KEYNAME_SIZE];
  memset(k1, 'k', sizeof(k1));
  memcpy(k2, k1, sizeof(k2));
  k2[249] = 'z'; /* differ only after byte 200 */
  int alt = mctop_key_name(k1, sizeof(k1), n1);
  mctop_key_name(k2, sizeof(k2), n2);
  CHECK(alt == 1 && strlen(n1) == 127, "250-byte key fits 127 (%zu)",
        strlen(n1));
  CHECK(has_suffix(n1), "long key gets a hash suffix");
  CHECK(strcmp(n1, n2) != 0, "keys differing at byte 250 stay apart");
  uint8_t k127[127];
  memset(k127, 'q', sizeof(k127));
  alt = mctop_key_name(k127, sizeof(k127), n1);
  CHECK(alt == 0 && strlen(n1) == 127, "127-byte key kept whole");
  uint8_t k128[128];
  memset(k128, 'q', sizeof(k128));
  alt = mctop_key_name(k128, sizeof(k128), n1);
  CHECK(alt == 1 && strlen(n1) == 127, "128-byte key cut");
}

static void utf8_is_not_split(void) {
  /* 60 two-byte characters: 120 bytes, then more. */
  uint8_t k[200];
  char n[MCTOP_KEYNAME_SIZE];
  for (size_t i = 0; i < sizeof(k); i += 2) {
    k[i] = 0xc3;
    k[i + 1] = 0xa9;
  }
  mctop_key_name(k, sizeof(k), n);
  size_t body = strlen(n) - 13;
  CHECK(body % 2 == 0, "cut between UTF-8 characters (body %zu)", body);
  CHECK(strlen(n) <= 127, "fits");
}

int main(void) {
  plain_keys_are_kept();
  unsafe_bytes_are_replaced();
  altered_keys_stay_distinct();
  long_keys_are_cut_with_hash();
  utf8_is_not_split();
  return tap_done();
}
