/*
 * mctop: key collapsing rules and key privacy (see keyrules.h).
 */
#include "keyrules.h"

#include "mctop.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <nettle/hmac.h>

#include "log.h"
#include "regex_guard.h"

void mctop_key_policy_init(mctop_key_policy_t *p) { memset(p, 0, sizeof(*p)); }

void mctop_key_policy_free(mctop_key_policy_t *p) {
  for (size_t i = 0; i < p->rules_num; i++)
    if (!p->rules[i].prefix)
      regfree(&p->rules[i].re);
  free(p->rules);
  free(p->salt);
  memset(p, 0, sizeof(*p));
}

static mctop_key_rule_t *new_rule(mctop_key_policy_t *p, const char *inst,
                                  const char *opt) {
  if (p->rules_num == MCTOP_KEYRULES_MAX) {
    MCTOP_ERROR("instance \"%s\": %s: more than %d KeyPattern/KeyPrefix "
                "rules; merge some (each rule is tried on every new key)",
                inst, opt, MCTOP_KEYRULES_MAX);
    return NULL;
  }
  mctop_key_rule_t *r = realloc(p->rules, (p->rules_num + 1) * sizeof(*r));
  if (r == NULL)
    return NULL;
  p->rules = r;
  memset(&r[p->rules_num], 0, sizeof(*r));
  return &r[p->rules_num];
}

/* KeyPattern "regex" "name" */
static int add_pattern(const mctop_opt_t *o, const char *inst,
                       mctop_key_policy_t *p) {
  if (o->values_num != 2 || o->values[0].type != MCTOP_OPT_STRING ||
      o->values[1].type != MCTOP_OPT_STRING) {
    MCTOP_ERROR("instance \"%s\": KeyPattern takes two strings, a regular "
                "expression and a series name, e.g. KeyPattern "
                "\"^user:[0-9]+$\" \"user:*\"",
                inst);
    return -1;
  }
  const char *re_text = o->values[0].value.string;
  const char *name = o->values[1].value.string;
  char check[MCTOP_KEYNAME_SIZE];
  size_t nlen = strlen(name);
  if (nlen == 0 || nlen > 100 ||
      mctop_key_name_escaped((const uint8_t *)name, nlen, p->escape, check) !=
          0) {
    MCTOP_ERROR("instance \"%s\": KeyPattern name \"%s\" is refused: use 1 "
                "to 100 printable characters without '.', '/', '%%', '~', "
                "spaces or KeyEscape's \"%s\" (it must be one series name in "
                "every writer)",
                inst, name, p->escape);
    return -1;
  }
  char why[128];
  if (mctop_regex_check(re_text, why, sizeof(why)) != 0) {
    MCTOP_ERROR("instance \"%s\": KeyPattern \"%.64s%s\" is refused: %s", inst,
                re_text, strlen(re_text) > 64 ? "..." : "", why);
    return -1;
  }
  mctop_key_rule_t *r = new_rule(p, inst, "KeyPattern");
  if (r == NULL)
    return -1;
  int rc = regcomp(&r->re, re_text, REG_EXTENDED | REG_NOSUB);
  if (rc != 0) {
    regerror(rc, &r->re, why, sizeof(why));
    MCTOP_ERROR("instance \"%s\": KeyPattern \"%s\" is not a valid extended "
                "regular expression: %s",
                inst, re_text, why);
    return -1;
  }
  memcpy(r->name, name, nlen + 1);
  p->rules_num++;
  return 1;
}

/* KeyPrefix ":" */
static int add_prefix(const mctop_opt_t *o, const char *inst,
                      mctop_key_policy_t *p) {
  const char *d = o->values_num == 1 && o->values[0].type == MCTOP_OPT_STRING
                      ? o->values[0].value.string
                      : NULL;
  if (d == NULL || strlen(d) != 1 || (unsigned char)d[0] <= 0x20 ||
      (unsigned char)d[0] >= 0x7F) {
    MCTOP_ERROR("instance \"%s\": KeyPrefix takes one printable ASCII "
                "character, the delimiter, e.g. KeyPrefix \":\"",
                inst);
    return -1;
  }
  mctop_key_rule_t *r = new_rule(p, inst, "KeyPrefix");
  if (r == NULL)
    return -1;
  r->prefix = true;
  r->delim = d[0];
  p->rules_num++;
  return 1;
}

static const mctop_word_t privacy_word[] = {
    {"raw", 0, false, "keys as they are"},
    {"hash", 1, false, "keys leave the host as a salted hash; needs KeySalt"},
};
const mctop_words_t mctop_privacy_words = MCTOP_WORDS(privacy_word);

static int set_privacy(const mctop_opt_t *o, const char *inst,
                       mctop_key_policy_t *p) {
  const char *v = o->values_num == 1 && o->values[0].type == MCTOP_OPT_STRING
                      ? o->values[0].value.string
                      : "";
  const mctop_word_t *w = mctop_word_find(&mctop_privacy_words, v);
  if (w != NULL) {
    p->hash = w->value == 1;
    return 1;
  }
  char allowed[160];
  mctop_words_list(&mctop_privacy_words, MCTOP_WORDS_QUOTED, allowed,
                   sizeof(allowed));
  MCTOP_ERROR("instance \"%s\": KeyPrivacy takes %s", inst, allowed);
  return -1;
}

static int set_salt(const mctop_opt_t *o, const char *inst,
                    mctop_key_policy_t *p) {
  const char *v = o->values_num == 1 && o->values[0].type == MCTOP_OPT_STRING
                      ? o->values[0].value.string
                      : NULL;
  if (v == NULL || strlen(v) < MCTOP_SALT_MIN) {
    MCTOP_ERROR("instance \"%s\": KeySalt must be a string of at least %d "
                "characters, kept secret (e.g. the output of `head -c 24 "
                "/dev/urandom | base64`)",
                inst, MCTOP_SALT_MIN);
    return -1;
  }
  free(p->salt);
  p->salt_len = strlen(v);
  p->salt = malloc(p->salt_len);
  if (p->salt == NULL)
    return -1;
  memcpy(p->salt, v, p->salt_len);
  return 1;
}

/* KeyEscape ":!,()" */
static int set_escape(const mctop_opt_t *o, const char *inst,
                      mctop_key_policy_t *p) {
  const char *v = o->values_num == 1 && o->values[0].type == MCTOP_OPT_STRING
                      ? o->values[0].value.string
                      : NULL;
  bool ok = v != NULL && strlen(v) < sizeof(p->escape);
  for (const char *c = v; ok && *c; c++)
    ok = (unsigned char)*c > 0x20 && (unsigned char)*c < 0x7F;
  if (!ok) {
    MCTOP_ERROR("instance \"%s\": KeyEscape takes one string of up to %zu "
                "printable ASCII characters to write as %%XX in names, e.g. "
                "KeyEscape \":!,()\\\"\\\\\" for Graphite",
                inst, sizeof(p->escape) - 1);
    return -1;
  }
  if (p->rules_num > 0) {
    MCTOP_ERROR("instance \"%s\": put KeyEscape before KeyPattern and "
                "KeyPrefix: the rules' names are checked against it",
                inst);
    return -1;
  }
  snprintf(p->escape, sizeof(p->escape), "%s", v);
  return 1;
}

static int set_max_new(const mctop_opt_t *o, const char *inst,
                       mctop_key_policy_t *p) {
  double v = o->values_num == 1 && o->values[0].type == MCTOP_OPT_NUMBER
                 ? o->values[0].value.number
                 : -1;
  if (!isfinite(v) || v != floor(v) || v < 1 || v > 1000) {
    MCTOP_ERROR("instance \"%s\": MaxNewSeries takes a whole number from 1 "
                "to 1000 (series not dispatched lately that may appear per "
                "interval)",
                inst);
    return -1;
  }
  p->max_new_series = (unsigned)v;
  return 1;
}

int mctop_key_option(const mctop_opt_t *o, const char *inst,
                     mctop_key_policy_t *p) {
  if (strcasecmp(o->key, "KeyPattern") == 0)
    return add_pattern(o, inst, p);
  if (strcasecmp(o->key, "KeyPrefix") == 0)
    return add_prefix(o, inst, p);
  if (strcasecmp(o->key, "KeyPrivacy") == 0)
    return set_privacy(o, inst, p);
  if (strcasecmp(o->key, "KeySalt") == 0)
    return set_salt(o, inst, p);
  if (strcasecmp(o->key, "KeyEscape") == 0)
    return set_escape(o, inst, p);
  if (strcasecmp(o->key, "MaxNewSeries") == 0)
    return set_max_new(o, inst, p);
  return 0;
}

int mctop_key_policy_check(const mctop_key_policy_t *p, const char *inst) {
  if (p->hash && p->salt == NULL) {
    MCTOP_ERROR("instance \"%s\": KeyPrivacy \"hash\" needs KeySalt: add "
                "KeySalt \"<at least %d secret characters>\" (without a "
                "secret salt, anyone could hash guessed keys and compare)",
                inst, MCTOP_SALT_MIN);
    return -1;
  }
  return 0;
}

static void hashed_name(const mctop_key_policy_t *p, const uint8_t *bytes,
                        size_t len, char *out) {
  struct hmac_sha256_ctx ctx;
  uint8_t mac[SHA256_DIGEST_SIZE];
  hmac_sha256_set_key(&ctx, p->salt_len, p->salt);
  hmac_sha256_update(&ctx, len, bytes);
  hmac_sha256_digest(&ctx, sizeof(mac), mac);
  for (int i = 0; i < MCTOP_HASHED_NAME_LEN / 2; i++)
    snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

void mctop_key_own_name(const mctop_key_policy_t *p, const uint8_t *key,
                        size_t len, char *out) {
  if (p->hash)
    hashed_name(p, key, len, out);
  else
    mctop_key_name_escaped(key, len, p->escape, out);
}

int mctop_key_classify(const mctop_key_policy_t *p, const uint8_t *key,
                       size_t len, char *name) {
  for (size_t i = 0; i < p->rules_num; i++) {
    const mctop_key_rule_t *r = &p->rules[i];
    if (r->prefix) {
      const uint8_t *d = memchr(key, r->delim, len);
      if (d == NULL || len > MCTOP_KEY_MAX)
        continue;
      size_t plen = (size_t)(d - key) + 1;
      if (p->hash) {
        hashed_name(p, key, plen, name);
        strcat(name, "*");
      } else {
        /* Name the prefix and its '*' as one key would be named, so a
         * long prefix is cut with a hash like a long key. */
        uint8_t star[MCTOP_KEY_MAX + 1];
        memcpy(star, key, plen);
        star[plen] = '*';
        mctop_key_name_escaped(star, plen + 1, p->escape, name);
      }
      return (int)i;
    }
    /* REG_STARTEND: keys are bytes, not C strings (NUL is a valid byte). */
    regmatch_t m = {.rm_so = 0, .rm_eo = (regoff_t)len};
    if (regexec(&r->re, (const char *)key, 1, &m, REG_STARTEND) == 0) {
      snprintf(name, MCTOP_KEYNAME_SIZE, "%s", r->name);
      return (int)i;
    }
  }
  return -1;
}
