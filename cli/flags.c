/*
 * mctop command: the command line (see flags.h).
 *
 * getopt_long reads argv, from a `struct option` array made from the core's
 * option table and the command's own few flags; the messages are ours
 * (opterr is 0), and two things getopt would allow are refused before it
 * sees them: a long flag abbreviated (--top-key is not --top-keys: a prefix
 * that fits today may fit two flags tomorrow) and a long flag written with
 * one dash (getopt would read -pidfile as -p idfile).  What getopt allows
 * and the old hand-written loop refused is kept: -k5, -vk 5, and "--" to
 * end the flags.
 */
#include "flags.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "flag_values.h"
#include "near.h"
#include "options.h"

static char instance_name[] = MCTOP_CLI_INSTANCE;
static mctop_opt_value_t instance_value = {.value = {.string = instance_name},
                                           .type = MCTOP_OPT_STRING};

/* A flag: its long name, its short letter (0: none), whether it takes an
 * argument. */
typedef struct {
  const char *name;
  char short_flag;
  bool takes_arg;
} flag_t;

/* The command's own flags that take no part in the core's table. */
enum own_flag { OWN_INTERVAL, OWN_COUNT, OWN_JSON, OWN_VERBOSE, OWN_HELP };
static const flag_t own_flags[] = {
    [OWN_INTERVAL] = {"interval", 'i', true},
    [OWN_COUNT] = {"count", 'n', true},
    [OWN_JSON] = {"json", 0, false},
    [OWN_VERBOSE] = {"verbose", 'v', false},
    [OWN_HELP] = {"help", 'h', false},
};
#define OWN_NUM (sizeof(own_flags) / sizeof(own_flags[0]))

/* Every flag is numbered k: the command's own first (k < OWN_NUM), then
 * the core's options in their table's order. */
static size_t flags_num(void) { return OWN_NUM + mctop_options_num; }

static flag_t flag_at(size_t k) {
  if (k < OWN_NUM)
    return own_flags[k];
  const mctop_option_def_t *d = &mctop_options[k - OWN_NUM];
  return (flag_t){d->flag, d->short_flag, d->split != MCTOP_FLAG_SWITCH};
}

/* The flag's argument as the usage shows it, or "" for a switch. */
static const char *arg_of(const mctop_option_def_t *d, char *buf, size_t size) {
  mctop_option_arg(d, buf, size);
  return buf;
}

/* The option whose flag is --flag; every flag the usage names is one. */
static const mctop_option_def_t *option_of_flag(const char *flag) {
  for (size_t i = 0; i < mctop_options_num; i++)
    if (strcmp(mctop_options[i].flag, flag) == 0)
      return &mctop_options[i];
  return NULL;
}

static void usage_synopsis(FILE *out) {
  char probes[64], lookups[64], privacy[64];
  fprintf(out,
          "usage: mctop [-p PID]... [-b BINARY] [--pidfile FILE] [--match "
          "REGEX]\n"
          "       [-i SECONDS] [-n COUNT] [-k TOPKEYS] [-s WHAT]\n"
          "       [--probes %s] [--latency] [--lookups %s]\n"
          "       [--key-pattern REGEX=NAME]... [--key-prefix C]... "
          "[--privacy %s --salt SALT]\n"
          "       [--json] [-v]\n\n",
          arg_of(option_of_flag("probes"), probes, sizeof(probes)),
          arg_of(option_of_flag("lookups"), lookups, sizeof(lookups)),
          arg_of(option_of_flag("privacy"), privacy, sizeof(privacy)));
}

void mctop_cli_usage(FILE *out) {
  usage_synopsis(out);
  fprintf(out, "A live top of memcached's hot keys, from eBPF (needs root, or "
               "CAP_BPF and CAP_PERFMON).\n"
               "  -i, --interval SECONDS   refresh every SECONDS (default 1)\n"
               "  -n, --count COUNT        show COUNT intervals, then exit\n"
               "      --json               one JSON object per interval on "
               "stdout, no screen\n"
               "  -v, --verbose            every log line on stderr\n"
               "  -h, --help               this text\n"
               "The tracing options, each the collectd plugin's option in "
               "parentheses (README, Configuration):\n");
  for (size_t i = 0; i < mctop_options_num; i++) {
    const mctop_option_def_t *d = &mctop_options[i];
    char left[128], arg[64], help[160];
    arg_of(d, arg, sizeof(arg));
    snprintf(left, sizeof(left), "%c%c%s --%s%s%s", d->short_flag ? '-' : ' ',
             d->short_flag ? d->short_flag : ' ', d->short_flag ? "," : " ",
             d->flag, arg[0] ? " " : "", arg);
    mctop_option_help(d, help, sizeof(help));
    fprintf(out, "  %-32s %s (%s)\n", left, help, d->name);
  }
  fprintf(out,
          "  %-32s the screen in key order, the keys ranked by calls "
          "(the command only)\n",
          "-s, --sort key");
}

/* Keeps the nearest of the candidates offered to it. */
typedef struct {
  const char *word;
  size_t best;
  char flag[72];
} nearest_t;

static void offer(nearest_t *n, const char *name, char short_flag) {
  size_t d = mctop_near_distance(n->word, name);
  if (mctop_near(n->word, name) && d < n->best) {
    n->best = d;
    snprintf(n->flag, sizeof(n->flag), "--%s", name);
  }
  /* "--p", or "-P" for "-p": the short flag */
  if (short_flag != 0 && n->best > 0 && n->word[0] != '\0' &&
      n->word[1] == '\0' &&
      (n->word[0] == short_flag || (n->word[0] ^ 0x20) == short_flag)) {
    n->best = 0;
    snprintf(n->flag, sizeof(n->flag), "-%c", short_flag);
  }
}

/* The flag `word` (a flag's name without its dashes) was probably meant to
 * be: " (did you mean --json?)", or "" if none is near. */
static void suggest(const char *word, char *out, size_t size) {
  nearest_t n = {.word = word, .best = (size_t)-1};
  for (size_t k = 0; k < flags_num(); k++)
    offer(&n, flag_at(k).name, flag_at(k).short_flag);
  if (n.flag[0] != '\0')
    snprintf(out, size, " (did you mean %s?)", n.flag);
  else if (size > 0)
    out[0] = '\0';
}

static bool near_one(const char *word) {
  char hint[96];
  suggest(word, hint, sizeof(hint));
  return hint[0] != '\0';
}

/* A bad command line: what is wrong, and where the flags are, not all of
 * them (the message is what the user needs to see). */
static int bad(const char *fmt, const char *what) {
  fprintf(stderr, "mctop: ");
  fprintf(stderr, fmt, what);
  fputc('\n', stderr);
  mctop_cli_see_help(NULL);
  return 2;
}

/* A flag that is none of ours, named as given, with the nearest one. */
static int unknown(const char *given, const char *word) {
  char hint[96];
  suggest(word, hint, sizeof(hint));
  fprintf(stderr, "mctop: unknown flag %s%s\n", given, hint);
  mctop_cli_see_help(NULL);
  return 2;
}

static int stray(const char *given) {
  return bad("unexpected argument \"%s\": every value follows its flag", given);
}

#define LETTERS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

/* The option named by msg's word at [w, w + len), or NULL. */
static const mctop_option_def_t *option_named(const char *w, size_t len) {
  for (size_t i = 0; i < mctop_options_num; i++)
    if (strlen(mctop_options[i].name) == len &&
        strncmp(w, mctop_options[i].name, len) == 0)
      return &mctop_options[i];
  return NULL;
}

size_t mctop_cli_as_flags(const char *text, char *buf, size_t size) {
  size_t n = 0;
  if (size > 0)
    buf[0] = '\0';
  for (const char *p = text; *p != '\0';) {
    size_t len = strspn(p, LETTERS);
    const mctop_option_def_t *d = len ? option_named(p, len) : NULL;
    char word[72];
    if (d == NULL) /* a word that is no option, or a character between */
      snprintf(word, sizeof(word), "%.*s", (int)(len ? len : 1), p);
    else if (d->short_flag != 0)
      snprintf(word, sizeof(word), "-%c", d->short_flag);
    else
      snprintf(word, sizeof(word), "--%s", d->flag);
    int w = snprintf(buf + n, n < size ? size - n : 0, "%s", word);
    n += w > 0 ? (size_t)w : 0;
    p += len ? len : 1;
  }
  return n;
}

void mctop_cli_see_help(const char *msg) {
  char flags[512] = "";
  size_t n = 0;
  const mctop_option_def_t *said[8];
  size_t said_num = 0;
  for (const char *p = msg ? msg : ""; *p != '\0' && said_num < 8;) {
    size_t len = strspn(p, LETTERS);
    const mctop_option_def_t *d = len ? option_named(p, len) : NULL;
    p += len ? len : 1;
    for (size_t i = 0; d != NULL && i < said_num; i++)
      if (said[i] == d)
        d = NULL;
    if (d == NULL || n >= sizeof(flags))
      continue;
    said[said_num++] = d;
    char s[8] = "";
    if (d->short_flag != 0)
      snprintf(s, sizeof(s), "-%c or ", d->short_flag);
    n += (size_t)snprintf(flags + n, sizeof(flags) - n, "%s is %s--%s; ",
                          d->name, s, d->flag);
  }
  fprintf(stderr, "mctop: %smctop --help lists every flag\n", flags);
}

/* getopt_long's tables: a flag with a short letter is returned as that
 * letter, one without as LONG_ONLY + its index k (past every char). */
#define LONG_ONLY 0x100
#define GETOPT_FLAGS_MAX 64
typedef struct {
  struct option longopts[GETOPT_FLAGS_MAX + 1];
  /* "+": stop at the first argument that is no flag (the command takes
   * none, so it is an error, not a value to collect); ":": a missing
   * argument is ':', told apart from an unknown flag. */
  char shortopts[2 + 2 * GETOPT_FLAGS_MAX + 1];
} getopt_tables_t;

static int getopt_tables(getopt_tables_t *t) {
  size_t n = flags_num(), s = 0;
  if (n > GETOPT_FLAGS_MAX)
    return -1;
  t->shortopts[s++] = '+';
  t->shortopts[s++] = ':';
  for (size_t k = 0; k < n; k++) {
    flag_t fl = flag_at(k);
    t->longopts[k] = (struct option){
        fl.name, fl.takes_arg ? required_argument : no_argument, NULL,
        fl.short_flag ? (unsigned char)fl.short_flag : LONG_ONLY + (int)k};
    if (fl.short_flag != 0) {
      t->shortopts[s++] = fl.short_flag;
      if (fl.takes_arg)
        t->shortopts[s++] = ':';
    }
  }
  t->longopts[n] = (struct option){0};
  t->shortopts[s] = '\0';
  return 0;
}

/* The index k of the flag getopt_long returned as c, or flags_num(). */
static size_t flag_index(int c) {
  if (c >= LONG_ONLY)
    return (size_t)(c - LONG_ONLY);
  size_t k = 0;
  while (k < flags_num() && (c == 0 || flag_at(k).short_flag != c))
    k++;
  return k;
}

static bool is_flag_name(const char *name) {
  for (size_t k = 0; k < flags_num(); k++)
    if (strcmp(name, flag_at(k).name) == 0)
      return true;
  return false;
}

/* What getopt_long would take but the command refuses, checked on each
 * argv element before getopt reads it: a long flag that is not one of
 * ours whole (getopt would take a unique prefix), and a long flag with one
 * dash ("-json").  0, or the status once the message is printed. */
static int refused(const char *a) {
  if (strncmp(a, "--", 2) == 0 && a[2] != '\0') {
    char name[64] = "";
    size_t len = strcspn(a + 2, "=");
    if (len < sizeof(name)) {
      memcpy(name, a + 2, len);
      name[len] = '\0';
    }
    return is_flag_name(name) ? 0 : unknown(a, name);
  }
  if (a[0] == '-' && a[1] != '\0' && a[1] != '-' && a[2] != '\0' &&
      near_one(a + 1))
    return unknown(a, a + 1);
  return 0;
}

#define NEEDS_NUMBER                                                           \
  "%s needs a number: -i SECONDS from 0.1 to 3600, -n COUNT from 1"

/* -i SECONDS or -n COUNT, given in argv element a. */
static int own_number(mctop_cli_flags_t *f, size_t k, const char *a,
                      const char *arg) {
  char *end;
  double v = strtod(arg, &end);
  bool is_i = k == OWN_INTERVAL;
  if (*arg == '\0' || *end != '\0' || !isfinite(v) ||
      (is_i && (v < 0.1 || v > 3600)) ||
      (!is_i && (v < 1 || v != floor(v) || v > 1e9)))
    return bad(NEEDS_NUMBER, a);
  if (is_i)
    f->interval = v;
  else
    f->count = (long)v;
  return 0;
}

/* Flag k, given in argv element a with its argument arg (NULL for a
 * switch): 0, 1 for --help (the usage printed), 2 for a bad one. */
static int take(mctop_cli_flags_t *f, size_t k, const char *a,
                const char *arg) {
  switch (k) {
  case OWN_INTERVAL:
  case OWN_COUNT:
    return own_number(f, k, a, arg);
  case OWN_JSON:
    f->json = true;
    return 0;
  case OWN_VERBOSE:
    f->verbose = true;
    return 0;
  case OWN_HELP:
    mctop_cli_usage(stdout);
    return 1;
  }
  if (k >= flags_num())
    return unknown(a, "");
  const mctop_option_def_t *d = &mctop_options[k - OWN_NUM];
  /* The screen sorts by the key's name too; a name ranks nothing, so
   * the plugin has no such SortBy and the keys shown rank by calls. */
  if (strcmp(d->name, "SortBy") == 0 && strcasecmp(arg, "key") == 0) {
    f->sort_key = true;
    return 0;
  }
  return mctop_cli_add_option(f, d, arg) == 0 ? 0
                                              : bad("too many flags at %s", a);
}

/* What getopt_long refused in argv element a ('?'): long names were
 * checked before, so there it is an argument to a switch. */
static int getopt_refused(const char *a) {
  if (strncmp(a, "--", 2) == 0)
    return bad("%s takes no argument", a);
  if (a[2] == '\0')
    return unknown(a, a + 1);
  return stray(a); /* "-vx": x is no flag */
}

/* A flag at the end of argv without its argument (':'). */
static int missing(const char *a, int c) {
  size_t k = flag_index(c);
  if (k == OWN_INTERVAL || k == OWN_COUNT)
    return bad(NEEDS_NUMBER, a);
  return bad("%s needs an argument", a);
}

int mctop_cli_parse(mctop_cli_flags_t *f, int argc, char **argv) {
  memset(f, 0, sizeof(*f));
  f->interval = 1;
  f->block = (mctop_opt_t){.key = "Instance",
                           .values = &instance_value,
                           .values_num = 1,
                           .children = f->children};
  getopt_tables_t t;
  if (getopt_tables(&t) != 0)
    return bad("%s: more flags than the parser's tables hold", "mctop");
  opterr = 0; /* our messages, not getopt's */
  optind = 0; /* glibc: start afresh, should argv be parsed twice */
  int checked = 0;
  for (;;) {
    /* The element getopt reads next: one it has not started (checked
     * here once), or the rest of "-vk5" after -v. */
    int at = optind > 0 ? optind : 1;
    if (at < argc && at != checked) {
      checked = at;
      int rc = refused(argv[at]);
      if (rc != 0)
        return rc;
    }
    int c = getopt_long(argc, argv, t.shortopts, t.longopts, NULL);
    if (c == -1)
      break;
    const char *a = argv[at];
    int rc = c == '?'   ? getopt_refused(a)
             : c == ':' ? missing(a, optopt)
                        : take(f, flag_index(c), a, optarg);
    if (rc != 0)
      return rc;
  }
  if (optind < argc)
    return stray(argv[optind]);
  return 0;
}

void mctop_cli_flags_free(mctop_cli_flags_t *f) {
  for (int i = 0; i < f->strings_used; i++)
    free(f->strings[i]);
  f->strings_used = 0;
}
