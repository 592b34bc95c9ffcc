/*
 * mctop: parsing and validating <Instance> blocks.
 *
 * Every rejection names the option, the value given and what is allowed, so
 * an operator can fix the config from the log line alone.
 */
#include "options.h"

#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "latency_options.h"
#include "log.h"
#include "regex_guard.h"

/* Every column the command's screen sorts by (but the key's name, which
 * ranks nothing), in its order, then the figures it has no column for. */
static const mctop_word_t sort_word[] = {
    {"calls", MCTOP_SORT_CALLS, false, NULL},
    {"gets", MCTOP_SORT_GETS, false, NULL},
    {"hits", MCTOP_SORT_HITS, false, NULL},
    {"misses", MCTOP_SORT_MISSES, false, NULL},
    {"sets", MCTOP_SORT_SETS, false, NULL},
    {"out", MCTOP_SORT_TX, false, NULL},
    {"in", MCTOP_SORT_RX, false, NULL},
    {"size", MCTOP_SORT_OBJSIZE, false, NULL},
    {"latency", MCTOP_SORT_LATENCY, false, NULL},
    {"bytes", MCTOP_SORT_BYTES, false, NULL},
    {"lookups", MCTOP_SORT_LOOKUPS, false, NULL},
};
_Static_assert(sizeof(sort_word) / sizeof(sort_word[0]) == MCTOP_SORT_COUNT,
               "every SortBy has its word");
static const mctop_words_t sort_words = MCTOP_WORDS(sort_word);

static const mctop_word_t probes_word[] = {
    {"auto", MCTOP_PROBES_AUTO, false, NULL},
    {"usdt", MCTOP_PROBES_USDT, false, NULL},
    {"symbols", MCTOP_PROBES_SYMBOLS, false, NULL},
};
static const mctop_words_t probes_words = MCTOP_WORDS(probes_word);

/* Lookups true and false are collectd.conf's booleans, "auto" a string. */
static const mctop_word_t lookups_word[] = {
    {"true", MCTOP_LOOKUPS_ON, true, NULL},
    {"false", MCTOP_LOOKUPS_OFF, true, NULL},
    {"auto", MCTOP_LOOKUPS_AUTO, false, NULL},
};
static const mctop_words_t lookups_words = MCTOP_WORDS(lookups_word);

const char *mctop_sort_by_name(enum mctop_sort s) {
  return mctop_word_name(&sort_words, (int)s);
}

static int want_one(const mctop_opt_t *ci, enum mctop_opt_type type,
                    const char *inst) {
  static const char *const type_names[] = {"a string", "a number", "a boolean"};
  if (ci->values_num == 1 && ci->values[0].type == type)
    return 0;
  MCTOP_ERROR("instance \"%s\": option %s takes exactly one argument, %s "
              "(got %d argument%s)",
              inst, ci->key, type_names[type], ci->values_num,
              ci->values_num == 1 ? " of another type" : "s");
  return -1;
}

/* A whole number in [min, max]; collectd hands every number over as double. */
static int get_uint(const mctop_opt_t *ci, const char *inst, double min,
                    double max, unsigned *out) {
  if (want_one(ci, MCTOP_OPT_NUMBER, inst) != 0)
    return -1;
  double v = ci->values[0].value.number;
  if (!isfinite(v) || v != floor(v) || v < min || v > max) {
    MCTOP_ERROR("instance \"%s\": %s %g is out of range: use a whole number "
                "from %.0f to %.0f",
                inst, ci->key, v, min, max);
    return -1;
  }
  *out = (unsigned)v;
  return 0;
}

static int get_string(const mctop_opt_t *ci, const char *inst, char **out) {
  if (want_one(ci, MCTOP_OPT_STRING, inst) != 0)
    return -1;
  const char *s = ci->values[0].value.string;
  if (s[0] == '\0') {
    MCTOP_ERROR("instance \"%s\": %s is empty: give a path", inst, ci->key);
    return -1;
  }
  char *copy = strdup(s);
  if (copy == NULL)
    return -1;
  free(*out);
  *out = copy;
  return 0;
}

/* One of the words w (any case); the message lists them all. */
static int get_word(const mctop_opt_t *ci, const char *inst,
                    const mctop_words_t *w, int *out) {
  if (want_one(ci, MCTOP_OPT_STRING, inst) != 0)
    return -1;
  const char *v = ci->values[0].value.string;
  const mctop_word_t *found = mctop_word_find(w, v);
  if (found != NULL) {
    *out = found->value;
    return 0;
  }
  char allowed[256];
  mctop_words_list(w, MCTOP_WORDS_QUOTED, allowed, sizeof(allowed));
  MCTOP_ERROR("instance \"%s\": %s \"%s\" is unknown: use %s", inst, ci->key, v,
              allowed);
  return -1;
}

static int add_pid(const mctop_opt_t *ci, mctop_instance_config_t *cfg) {
  unsigned pid;
  if (get_uint(ci, cfg->name, 1, MCTOP_PID_MAX, &pid) != 0)
    return -1;
  pid_t *p = realloc(cfg->pids, (cfg->pids_num + 1) * sizeof(*p));
  if (p == NULL)
    return -1;
  p[cfg->pids_num++] = (pid_t)pid;
  cfg->pids = p;
  return 0;
}

static int add_binary(const mctop_opt_t *ci, mctop_instance_config_t *cfg) {
  char *path = NULL;
  if (get_string(ci, cfg->name, &path) != 0)
    return -1;
  if (path[0] != '/') {
    MCTOP_ERROR("instance \"%s\": Binary \"%s\" is not an absolute path: give "
                "the full path of the memcached executable",
                cfg->name, path);
    free(path);
    return -1;
  }
  char **b = realloc(cfg->binaries, (cfg->binaries_num + 1) * sizeof(*b));
  if (b == NULL) {
    free(path);
    return -1;
  }
  b[cfg->binaries_num++] = path;
  cfg->binaries = b;
  return 0;
}

/* ProcessMatch "regex": an extended regular expression, checked here so a
 * typo is reported at config time. */
static int add_match(const mctop_opt_t *ci, mctop_instance_config_t *cfg) {
  char *re_text = NULL;
  if (get_string(ci, cfg->name, &re_text) != 0)
    return -1;
  char why[128];
  if (mctop_regex_check(re_text, why, sizeof(why)) != 0) {
    MCTOP_ERROR("instance \"%s\": ProcessMatch \"%.64s%s\" is refused: %s "
                "(regcomp's memory grows with repetitions; keep the pattern "
                "simple)",
                cfg->name, re_text, strlen(re_text) > 64 ? "..." : "", why);
    free(re_text);
    return -1;
  }
  regex_t re;
  int rc = regcomp(&re, re_text, REG_EXTENDED | REG_NOSUB);
  if (rc != 0) {
    regerror(rc, &re, why, sizeof(why));
    MCTOP_ERROR("instance \"%s\": ProcessMatch \"%s\" is not a valid "
                "extended regular expression: %s",
                cfg->name, re_text, why);
    free(re_text);
    return -1;
  }
  regfree(&re);
  char **m = realloc(cfg->matches, (cfg->matches_num + 1) * sizeof(*m));
  if (m == NULL) {
    free(re_text);
    return -1;
  }
  m[cfg->matches_num++] = re_text;
  cfg->matches = m;
  return 0;
}

static int get_sort_by(const mctop_opt_t *ci, mctop_instance_config_t *cfg) {
  int v;
  if (get_word(ci, cfg->name, &sort_words, &v) != 0)
    return -1;
  cfg->sort_by = (enum mctop_sort)v;
  return 0;
}

/* Lookups true|false|"auto": a boolean word only as a boolean, "auto" only
 * as a string, as collectd.conf writes them. */
static int get_lookups(const mctop_opt_t *ci, mctop_instance_config_t *cfg) {
  const mctop_opt_value_t *v = ci->values_num == 1 ? &ci->values[0] : NULL;
  const char *given = v == NULL ? NULL
                      : v->type == MCTOP_OPT_BOOLEAN
                          ? (v->value.boolean ? "true" : "false")
                      : v->type == MCTOP_OPT_STRING ? v->value.string
                                                    : NULL;
  const mctop_word_t *w =
      given != NULL ? mctop_word_find(&lookups_words, given) : NULL;
  if (w != NULL && w->boolean == (v->type == MCTOP_OPT_BOOLEAN)) {
    cfg->lookups = (enum mctop_lookups)w->value;
    return 0;
  }
  char allowed[128];
  mctop_words_list(&lookups_words, MCTOP_WORDS_QUOTED, allowed,
                   sizeof(allowed));
  MCTOP_ERROR("instance \"%s\": Lookups takes %s", cfg->name, allowed);
  return -1;
}

/* Probes "auto"|"usdt"|"symbols". */
static int get_probes(const mctop_opt_t *ci, mctop_instance_config_t *cfg) {
  int v;
  if (get_word(ci, cfg->name, &probes_words, &v) != 0)
    return -1;
  cfg->probes = (enum mctop_probes)v;
  return 0;
}

/* DebugDirectory "/path": where debug files are looked for (repeatable). */
static int add_debug_dir(const mctop_opt_t *ci, mctop_instance_config_t *cfg) {
  char *dir = NULL;
  if (get_string(ci, cfg->name, &dir) != 0)
    return -1;
  if (dir[0] != '/' || cfg->debug_dirs_num >= MCTOP_DEBUG_DIRS_MAX) {
    MCTOP_ERROR("instance \"%s\": DebugDirectory \"%s\": %s", cfg->name, dir,
                dir[0] != '/' ? "give an absolute path"
                              : "at most 8 directories");
    free(dir);
    return -1;
  }
  char **dirs =
      realloc(cfg->debug_dirs, (cfg->debug_dirs_num + 1) * sizeof(*dirs));
  if (dirs == NULL) {
    free(dir);
    return -1;
  }
  size_t len = strlen(dir);
  while (len > 1 && dir[len - 1] == '/')
    dir[--len] = '\0';
  dirs[cfg->debug_dirs_num++] = dir;
  cfg->debug_dirs = dirs;
  return 0;
}

static int set_name(const mctop_opt_t *ci, mctop_instance_config_t *cfg) {
  if (ci->values_num != 1 || ci->values[0].type != MCTOP_OPT_STRING) {
    MCTOP_ERROR("<Instance> needs exactly one string argument, its name, "
                "e.g. <Instance \"cache1\">");
    return -1;
  }
  const char *name = ci->values[0].value.string;
  size_t len = strlen(name);
  if (len == 0 || len >= sizeof(cfg->name) || strchr(name, '/') != NULL) {
    MCTOP_ERROR("<Instance \"%s\">: the name must be 1 to %zu characters "
                "without '/' (it becomes collectd's plugin instance)",
                name, sizeof(cfg->name) - 1);
    return -1;
  }
  memcpy(cfg->name, name, len + 1);
  return 0;
}

static int get_pidfile(const mctop_opt_t *o, mctop_instance_config_t *cfg) {
  return get_string(o, cfg->name, &cfg->pidfile);
}

static int get_top_keys(const mctop_opt_t *o, mctop_instance_config_t *cfg) {
  return get_uint(o, cfg->name, 0, MCTOP_TOPKEYS_MAX, &cfg->top_keys);
}

static int get_max_keys(const mctop_opt_t *o, mctop_instance_config_t *cfg) {
  return get_uint(o, cfg->name, MCTOP_MAXKEYS_MIN, MCTOP_MAXKEYS_MAX,
                  &cfg->max_keys);
}

static int get_debuginfod_timeout(const mctop_opt_t *o,
                                  mctop_instance_config_t *cfg) {
  return get_uint(o, cfg->name, 1, MCTOP_DEBUGINFOD_TIMEOUT_MAX,
                  &cfg->debuginfod_timeout);
}

/* The options keyrules.c and latency_options.c parse themselves. */
static int key_option(const mctop_opt_t *o, mctop_instance_config_t *cfg) {
  return mctop_key_option(o, cfg->name, &cfg->keys) > 0 ? 0 : -1;
}

static int latency_option(const mctop_opt_t *o, mctop_instance_config_t *cfg) {
  return mctop_latency_option(o, cfg) == 0 ? 0 : -1;
}

/* Every option, in the order README's table and "allowed are" give them. */
const mctop_option_def_t mctop_options[] = {
    {"PID", MCTOP_OPT_NUMBER, "pid", 'p', MCTOP_FLAG_ONE, "PID", NULL, add_pid,
     "trace this memcached process"},
    {"PIDFile", MCTOP_OPT_STRING, "pidfile", 0, MCTOP_FLAG_ONE, "FILE", NULL,
     get_pidfile, "trace the process this file names (read every interval)"},
    {"Binary", MCTOP_OPT_STRING, "binary", 'b', MCTOP_FLAG_ONE, "PATH", NULL,
     add_binary, "trace every process running this executable"},
    {"ProcessMatch", MCTOP_OPT_STRING, "match", 0, MCTOP_FLAG_ONE, "REGEX",
     NULL, add_match, "trace every process whose command line matches"},
    {"TopKeys", MCTOP_OPT_NUMBER, "top-keys", 'k', MCTOP_FLAG_ONE, "N", NULL,
     get_top_keys, "keys shown per interval, besides ~other"},
    {"SortBy", MCTOP_OPT_STRING, "sort", 's', MCTOP_FLAG_ONE, "WHAT",
     &sort_words, get_sort_by, NULL},
    {"MaxKeys", MCTOP_OPT_NUMBER, "max-keys", 0, MCTOP_FLAG_ONE, "N", NULL,
     get_max_keys, "slots of the in-kernel key table"},
    {"Lookups", MCTOP_OPT_STRING, "lookups", 0, MCTOP_FLAG_BOOLEAN_OR_WORD,
     NULL, &lookups_words, get_lookups, "also count key lookups (assoc__find)"},
    {"Probes", MCTOP_OPT_STRING, "probes", 0, MCTOP_FLAG_ONE, NULL,
     &probes_words, get_probes, "where the counts come from"},
    {"DebugDirectory", MCTOP_OPT_STRING, "debug-dir", 0, MCTOP_FLAG_ONE, "DIR",
     NULL, add_debug_dir, "where symbol mode looks for debug files"},
    {"DebuginfodTimeout", MCTOP_OPT_NUMBER, "debuginfod-timeout", 0,
     MCTOP_FLAG_ONE, "S", NULL, get_debuginfod_timeout,
     "seconds debuginfod fetches may take per interval"},
    {"Latency", MCTOP_OPT_BOOLEAN, "latency", 0, MCTOP_FLAG_SWITCH, NULL, NULL,
     latency_option, "time each command (two more probes a request)"},
    {"LatencyPercentiles", MCTOP_OPT_NUMBER, "percentiles", 0, MCTOP_FLAG_LIST,
     "P,...", NULL, latency_option, "latency percentiles per command type"},
    {"KeyPattern", MCTOP_OPT_STRING, "key-pattern", 0, MCTOP_FLAG_PAIR,
     "REGEX=NAME", NULL, key_option,
     "count keys matching REGEX as one series NAME"},
    {"KeyPrefix", MCTOP_OPT_STRING, "key-prefix", 0, MCTOP_FLAG_ONE, "C", NULL,
     key_option, "count keys under their prefix through C"},
    {"KeyPrivacy", MCTOP_OPT_STRING, "privacy", 0, MCTOP_FLAG_ONE, NULL,
     &mctop_privacy_words, key_option,
     "hash: names leave as HMAC-SHA256(salt, key)"},
    {"KeySalt", MCTOP_OPT_STRING, "salt", 0, MCTOP_FLAG_ONE, "SALT", NULL,
     key_option, "the HMAC key for --privacy hash (>= 16 characters)"},
    {"KeyEscape", MCTOP_OPT_STRING, "key-escape", 0, MCTOP_FLAG_ONE, "CHARS",
     NULL, key_option, "more characters to write as %XX in names"},
    {"MaxNewSeries", MCTOP_OPT_NUMBER, "max-new-series", 0, MCTOP_FLAG_ONE, "N",
     NULL, key_option, "new series that may appear per interval"},
};
const size_t mctop_options_num =
    sizeof(mctop_options) / sizeof(mctop_options[0]);

const mctop_option_def_t *mctop_option_find(const char *name) {
  for (size_t i = 0; i < mctop_options_num; i++)
    if (strcasecmp(name, mctop_options[i].name) == 0)
      return &mctop_options[i];
  return NULL;
}

size_t mctop_options_allowed(char *buf, size_t size) {
  size_t n = 0;
  if (size > 0)
    buf[0] = '\0';
  for (size_t i = 0; i < mctop_options_num; i++) {
    const char *sep = i == 0 ? "" : i + 1 == mctop_options_num ? " and " : ", ";
    int w = snprintf(buf + n, n < size ? size - n : 0, "%s%s", sep,
                     mctop_options[i].name);
    if (w > 0)
      n += (size_t)w;
  }
  return n;
}

size_t mctop_option_arg(const mctop_option_def_t *d, char *buf, size_t size) {
  if (d->arg == NULL && d->words != NULL)
    return mctop_words_list(d->words, MCTOP_WORDS_FLAG, buf, size);
  return (size_t)snprintf(buf, size, "%s", d->arg ? d->arg : "");
}

size_t mctop_option_help(const mctop_option_def_t *d, char *buf, size_t size) {
  if (d->help == NULL && d->words != NULL)
    return mctop_words_list(d->words, MCTOP_WORDS_PROSE, buf, size);
  return (size_t)snprintf(buf, size, "%s", d->help ? d->help : "");
}

static int apply_option(const mctop_opt_t *o, mctop_instance_config_t *cfg) {
  const mctop_option_def_t *def = mctop_option_find(o->key);
  if (def != NULL)
    return def->apply(o, cfg);
  char allowed[512];
  mctop_options_allowed(allowed, sizeof(allowed));
  MCTOP_ERROR("instance \"%s\": unknown option \"%s\": allowed are %s",
              cfg->name, o->key, allowed);
  return -1;
}

int mctop_config_instance(const mctop_opt_t *ci, mctop_instance_config_t *out) {
  mctop_instance_config_t cfg = {
      .top_keys = MCTOP_TOPKEYS_DEFAULT,
      .sort_by = MCTOP_SORT_CALLS,
      .max_keys = MCTOP_MAXKEYS_DEFAULT,
      .debuginfod_timeout = MCTOP_DEBUGINFOD_TIMEOUT_DEFAULT,
  };
  memset(out, 0, sizeof(*out));
  mctop_key_policy_init(&cfg.keys);
  mctop_latency_defaults(&cfg);
  if (set_name(ci, &cfg) != 0)
    return -1;
  for (int i = 0; i < ci->children_num; i++) {
    if (apply_option(&ci->children[i], &cfg) != 0) {
      mctop_config_free(&cfg);
      return -1;
    }
  }
  if (cfg.pids_num == 0 && cfg.pidfile == NULL && cfg.binaries_num == 0 &&
      cfg.matches_num == 0) {
    MCTOP_ERROR("instance \"%s\": nothing to trace: give at least one of "
                "" MCTOP_TARGET_OPTIONS,
                cfg.name);
    mctop_config_free(&cfg);
    return -1;
  }
  if (mctop_key_policy_check(&cfg.keys, cfg.name) != 0) {
    mctop_config_free(&cfg);
    return -1;
  }
  if (cfg.sort_by == MCTOP_SORT_LOOKUPS && cfg.lookups == MCTOP_LOOKUPS_OFF) {
    MCTOP_ERROR("instance \"%s\": SortBy \"lookups\" needs key lookups: "
                "remove Lookups false",
                cfg.name);
    mctop_config_free(&cfg);
    return -1;
  }
  if (cfg.latency && cfg.probes == MCTOP_PROBES_SYMBOLS) {
    MCTOP_ERROR("instance \"%s\": Latency true needs memcached's USDT probes: "
                "its functions give no sound start and end of a command (the "
                "binary protocol never passes through process_command_ascii, "
                "and the end of a reply batch is no function); use Probes "
                "\"usdt\" with a memcached built with --enable-dtrace, or "
                "remove Latency",
                cfg.name);
    mctop_config_free(&cfg);
    return -1;
  }
  if (mctop_latency_validate(&cfg) != 0) {
    mctop_config_free(&cfg);
    return -1;
  }
  *out = cfg;
  return 0;
}

void mctop_config_free(mctop_instance_config_t *cfg) {
  free(cfg->pids);
  free(cfg->pidfile);
  for (size_t i = 0; i < cfg->binaries_num; i++)
    free(cfg->binaries[i]);
  free(cfg->binaries);
  for (size_t i = 0; i < cfg->matches_num; i++)
    free(cfg->matches[i]);
  free(cfg->matches);
  for (size_t i = 0; i < cfg->debug_dirs_num; i++)
    free(cfg->debug_dirs[i]);
  free(cfg->debug_dirs);
  mctop_key_policy_free(&cfg->keys);
  memset(cfg, 0, sizeof(*cfg));
}
