/* Unit tests: KeyPattern/KeyPrefix/KeyPrivacy/KeySalt/MaxNewSeries parsed
 * from mctop_opt_t literals, keys classified, names hashed. */
#include <stdlib.h>

#include "log_sink.h"
#include "options.h"
#include "tap.h"

#define STR(s)                                                                 \
  { .value = {.string = (char *)(s)}, .type = MCTOP_OPT_STRING }
#define NUM(n)                                                                 \
  { .value = {.number = (n)}, .type = MCTOP_OPT_NUMBER }

static mctop_opt_value_t name_c[] = {STR("c")};
static mctop_opt_value_t bin[] = {STR("/usr/bin/memcached")};

/* Parses <Instance "c"> with Binary and the given options. */
static int parse(mctop_opt_t *opts, int n, mctop_instance_config_t *c) {
  mctop_opt_t children[8];
  children[0] = (mctop_opt_t){.key = "Binary", .values = bin, .values_num = 1};
  for (int i = 0; i < n; i++)
    children[i + 1] = opts[i];
  mctop_opt_t inst = {.key = "Instance",
                      .values = name_c,
                      .values_num = 1,
                      .children = children,
                      .children_num = n + 1};
  log_sink_last[0] = '\0';
  return mctop_config_instance(&inst, c);
}

static int logged(const char *what) {
  return strstr(log_sink_last, what) != NULL;
}

static const char *classify(const mctop_key_policy_t *p, const char *key,
                            int *rule) {
  static char name[MCTOP_KEYNAME_SIZE];
  *rule = mctop_key_classify(p, (const uint8_t *)key, strlen(key), name);
  return *rule < 0 ? "" : name;
}

static void rules_in_order(void) {
  mctop_opt_value_t pat[] = {STR("^user:[0-9]+$"), STR("user:*")};
  mctop_opt_value_t pfx[] = {STR(":")};
  mctop_opt_t o[] = {
      {.key = "KeyPattern", .values = pat, .values_num = 2},
      {.key = "KeyPrefix", .values = pfx, .values_num = 1},
  };
  mctop_instance_config_t c;
  CHECK(parse(o, 2, &c) == 0, "KeyPattern then KeyPrefix parse");
  CHECK_U64(2, c.keys.rules_num, "two rules");
  int rule;
  CHECK_STR("user:*", classify(&c.keys, "user:42", &rule), "pattern matches");
  CHECK(rule == 0, "first rule wins");
  CHECK_STR("user:*", classify(&c.keys, "user:abc", &rule),
            "prefix catches what the pattern does not");
  CHECK(rule == 1, "second rule");
  CHECK_STR("sess:*", classify(&c.keys, "sess:9f:x", &rule),
            "prefix cuts at the first delimiter");
  CHECK_STR("a%2Eb:*", classify(&c.keys, "a.b:1", &rule),
            "a prefix is named like a key");
  classify(&c.keys, "plainkey", &rule);
  CHECK(rule == -1, "no rule: the key is its own series");
  /* Keys are bytes: a NUL inside does not end the match early. */
  char name[MCTOP_KEYNAME_SIZE];
  rule = mctop_key_classify(&c.keys, (const uint8_t *)"user:1\0x", 8, name);
  CHECK(rule == 1, "a key with NUL is matched whole (prefix rule, %d)", rule);
  mctop_config_free(&c);
}

static void key_escape(void) {
  mctop_opt_value_t esc[] = {STR(":")};
  mctop_opt_value_t pfx[] = {STR("_")};
  mctop_opt_value_t pat[] = {STR("^x"), STR("a:b")};
  mctop_opt_t o[] = {
      {.key = "KeyEscape", .values = esc, .values_num = 1},
      {.key = "KeyPrefix", .values = pfx, .values_num = 1},
  };
  mctop_instance_config_t c;
  CHECK(parse(o, 2, &c) == 0, "KeyEscape then KeyPrefix parse");
  int rule;
  CHECK_STR("user%3A1_*", classify(&c.keys, "user:1_x", &rule),
            "a prefix name is escaped with KeyEscape");
  char out[MCTOP_KEYNAME_SIZE];
  mctop_key_own_name(&c.keys, (const uint8_t *)"a:b", 3, out);
  CHECK_STR("a%3Ab", out, "own names too");
  mctop_config_free(&c);
  mctop_opt_t o2[] = {
      {.key = "KeyEscape", .values = esc, .values_num = 1},
      {.key = "KeyPattern", .values = pat, .values_num = 2},
  };
  CHECK(parse(o2, 2, &c) != 0 && logged("KeyPattern name \"a:b\""),
        "a KeyPattern name holding an escaped character is refused");
  mctop_opt_t o3[] = {
      {.key = "KeyPrefix", .values = pfx, .values_num = 1},
      {.key = "KeyEscape", .values = esc, .values_num = 1},
  };
  CHECK(parse(o3, 2, &c) != 0 && logged("before KeyPattern"),
        "KeyEscape after a rule is refused, naming the order");
  mctop_opt_value_t sp[] = {STR("a b")};
  mctop_opt_t o4[] = {{.key = "KeyEscape", .values = sp, .values_num = 1}};
  CHECK(parse(o4, 1, &c) != 0 && logged("printable ASCII"),
        "KeyEscape with a space is refused");
}

static void bad_rules_are_refused(void) {
  mctop_instance_config_t c;
  mctop_opt_value_t dot[] = {STR("^a"), STR("a.*")};
  mctop_opt_t o1[] = {{.key = "KeyPattern", .values = dot, .values_num = 2}};
  CHECK(parse(o1, 1, &c) != 0 && logged("KeyPattern name \"a.*\""),
        "a series name with '.' is refused, named");
  mctop_opt_value_t badre[] = {STR("^(user"), STR("u")};
  mctop_opt_t o2[] = {{.key = "KeyPattern", .values = badre, .values_num = 2}};
  CHECK(parse(o2, 1, &c) != 0 && logged("KeyPattern \"^(user\"") &&
            logged("unbalanced"),
        "a broken regex is refused at config time");
  CHECK(c.keys.rules == NULL, "nothing half-built is left");
  mctop_opt_value_t badre2[] = {STR("[z-a]"), STR("u")};
  mctop_opt_t o2b[] = {
      {.key = "KeyPattern", .values = badre2, .values_num = 2}};
  CHECK(parse(o2b, 1, &c) != 0 && logged("not a valid extended"),
        "regcomp's own error is named");
  mctop_opt_value_t one[] = {STR("^x")};
  mctop_opt_t o3[] = {{.key = "KeyPattern", .values = one, .values_num = 1}};
  CHECK(parse(o3, 1, &c) != 0 && logged("takes two strings"),
        "KeyPattern needs a name");
  mctop_opt_value_t two[] = {STR("::")};
  mctop_opt_t o4[] = {{.key = "KeyPrefix", .values = two, .values_num = 1}};
  CHECK(parse(o4, 1, &c) != 0 && logged("one printable ASCII character"),
        "KeyPrefix takes one character");
  mctop_opt_value_t big[] = {STR("x++++++++++++++++++++++"), STR("x")};
  mctop_opt_t o5[] = {{.key = "KeyPattern", .values = big, .values_num = 2}};
  CHECK(parse(o5, 1, &c) != 0 && logged("refused"),
        "a costly pattern is refused by the regex guard");
  mctop_opt_value_t zero[] = {NUM(0)};
  mctop_opt_t o6[] = {{.key = "MaxNewSeries", .values = zero, .values_num = 1}};
  CHECK(parse(o6, 1, &c) != 0 && logged("from 1 to 1000"),
        "MaxNewSeries 0 is refused");
}

static void privacy_needs_salt(void) {
  mctop_instance_config_t c;
  mctop_opt_value_t hash[] = {STR("hash")};
  mctop_opt_t o1[] = {{.key = "KeyPrivacy", .values = hash, .values_num = 1}};
  CHECK(parse(o1, 1, &c) != 0 && logged("needs KeySalt"),
        "hash without a salt is refused, naming KeySalt");
  mctop_opt_value_t shortsalt[] = {STR("abc")};
  mctop_opt_t o2[] = {{.key = "KeyPrivacy", .values = hash, .values_num = 1},
                      {.key = "KeySalt", .values = shortsalt, .values_num = 1}};
  CHECK(parse(o2, 2, &c) != 0 && logged("at least 16"), "a short salt");
  mctop_opt_value_t other[] = {STR("md5")};
  mctop_opt_t o3[] = {{.key = "KeyPrivacy", .values = other, .values_num = 1}};
  CHECK(parse(o3, 1, &c) != 0 && logged("\"raw\""), "unknown privacy mode");
  mctop_opt_value_t salt[] = {STR("0123456789abcdef-salt")};
  mctop_opt_t o4[] = {{.key = "KeyPrivacy", .values = hash, .values_num = 1},
                      {.key = "KeySalt", .values = salt, .values_num = 1}};
  CHECK(parse(o4, 2, &c) == 0 && c.keys.hash, "hash with a salt parses");
  mctop_config_free(&c);
}

static void hashed_names(void) {
  /* RFC 4231 test case 2: HMAC-SHA256("Jefe", "what do ya want for
   * nothing?") starts 5bdcc146bf60754e. */
  mctop_key_policy_t p;
  mctop_key_policy_init(&p);
  p.hash = true;
  p.salt = (uint8_t *)"Jefe";
  p.salt_len = 4;
  char out[MCTOP_KEYNAME_SIZE];
  const char *msg = "what do ya want for nothing?";
  mctop_key_own_name(&p, (const uint8_t *)msg, strlen(msg), out);
  CHECK_STR("5bdcc146bf60754e", out, "own key: 16 hex of HMAC-SHA256");
  p.salt = (uint8_t *)"Jeff";
  mctop_key_own_name(&p, (const uint8_t *)msg, strlen(msg), out);
  CHECK(strcmp(out, "5bdcc146bf60754e") != 0, "another salt, another name");
  p.salt = NULL; /* not ours to free */
  p.hash = false;
  mctop_key_own_name(&p, (const uint8_t *)"a.b", 3, out);
  CHECK_STR("a%2Eb", out, "raw: the key's name");
  mctop_key_policy_free(&p);
}

static void prefix_is_hashed_pattern_kept(void) {
  mctop_opt_value_t pat[] = {STR("^user:"), STR("users")};
  mctop_opt_value_t pfx[] = {STR(":")};
  mctop_opt_value_t hash[] = {STR("hash")};
  mctop_opt_value_t salt[] = {STR("0123456789abcdef-salt")};
  mctop_opt_t o[] = {
      {.key = "KeyPattern", .values = pat, .values_num = 2},
      {.key = "KeyPrefix", .values = pfx, .values_num = 1},
      {.key = "KeyPrivacy", .values = hash, .values_num = 1},
      {.key = "KeySalt", .values = salt, .values_num = 1},
  };
  mctop_instance_config_t c;
  CHECK(parse(o, 4, &c) == 0, "collapsing with hashing parses");
  int rule;
  CHECK_STR("users", classify(&c.keys, "user:1", &rule),
            "a KeyPattern name is the operator's text: kept");
  const char *n = classify(&c.keys, "sess:1", &rule);
  CHECK(strlen(n) == MCTOP_HASHED_NAME_LEN + 1 && n[16] == '*' &&
            strspn(n, "0123456789abcdef") == 16,
        "a prefix is key data: hashed, then '*' (%s)", n);
  char again[MCTOP_KEYNAME_SIZE];
  snprintf(again, sizeof(again), "%s", n);
  CHECK_STR(again, classify(&c.keys, "sess:2", &rule),
            "same prefix, same hashed series");
  mctop_config_free(&c);
}

int main(void) {
  rules_in_order();
  bad_rules_are_refused();
  key_escape();
  privacy_needs_salt();
  hashed_names();
  prefix_is_hashed_pattern_kept();
  return tap_done();
}
