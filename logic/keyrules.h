/*
 * mctop: how keys become series.  Ordered rules collapse many keys
 * into one series (KeyPattern: a regular expression to a fixed name;
 * KeyPrefix: everything up to the first delimiter, like memcached's own
 * `stats detail`), and KeyPrivacy "hash" replaces every name made of key
 * bytes by a salted hash before it leaves the host.
 */
#ifndef MCTOP_KEYRULES_H
#define MCTOP_KEYRULES_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keyname.h"
#include "opt_tree.h"
#include "words.h"

#define MCTOP_KEYRULES_MAX 64
#define MCTOP_SALT_MIN 16
/* Hex digits of the salted hash a hashed name is made of (64 bits). */
#define MCTOP_HASHED_NAME_LEN 16

typedef struct {
  bool prefix; /* KeyPrefix; else KeyPattern */
  char delim;  /* KeyPrefix: the delimiter */
  regex_t re;  /* KeyPattern: compiled, REG_EXTENDED | REG_NOSUB */
  char name[MCTOP_KEYNAME_SIZE]; /* KeyPattern: the series name */
} mctop_key_rule_t;

typedef struct {
  mctop_key_rule_t *rules;
  size_t rules_num;
  bool hash; /* KeyPrivacy "hash" */
  uint8_t *salt;
  size_t salt_len;
  char escape[33];         /* KeyEscape: more characters written %XX */
  unsigned max_new_series; /* series not dispatched lately that may appear
                              per interval; 0: unset (TopKeys) */
} mctop_key_policy_t;

/* KeyPrivacy's words: "raw" (0) and "hash" (1). */
extern const mctop_words_t mctop_privacy_words;

/* Defaults: no rules, raw names, no new-series budget beyond TopKeys. */
void mctop_key_policy_init(mctop_key_policy_t *p);
void mctop_key_policy_free(mctop_key_policy_t *p);

/*
 * Applies option o if it is one of KeyPattern, KeyPrefix, KeyPrivacy,
 * KeySalt, KeyEscape or MaxNewSeries: returns 1 if taken, -1 if taken but
 * invalid (logged, naming the fix), 0 if o is some other option.
 */
int mctop_key_option(const mctop_opt_t *o, const char *inst,
                     mctop_key_policy_t *p);

/* Checks the options together once the block is read; -1 if they clash. */
int mctop_key_policy_check(const mctop_key_policy_t *p, const char *inst);

/*
 * The series a key belongs to: the index of the first rule that matches,
 * with the series name written to name (MCTOP_KEYNAME_SIZE bytes): the
 * KeyPattern's name, or for KeyPrefix the prefix through the delimiter and
 * '*' ("user:*").  -1 if no rule matches: the key is its own series.
 * With KeyPrivacy "hash", a prefix name is hashed like a key (it is made of
 * key bytes); KeyPattern names are the operator's own text and are kept.
 */
int mctop_key_classify(const mctop_key_policy_t *p, const uint8_t *key,
                       size_t len, char *name);

/* The name of a key that is its own series: keyname.h's name, or with
 * KeyPrivacy "hash" MCTOP_HASHED_NAME_LEN hex digits of
 * HMAC-SHA256(salt, key). */
void mctop_key_own_name(const mctop_key_policy_t *p, const uint8_t *key,
                        size_t len, char *out);

#endif /* MCTOP_KEYRULES_H */
