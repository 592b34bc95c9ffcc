/*
 * mctop command: the command line (see flags.h).
 */
#include "flags.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "near.h"
#include "options.h"

static char instance_name[] = MCTOP_CLI_INSTANCE;
static mctop_opt_value_t instance_value = {.value = {.string = instance_name},
                                           .type = MCTOP_OPT_STRING};

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
    mctop_option_arg(d, arg, sizeof(arg));
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

static const char *keep(mctop_cli_flags_t *f, const char *s, size_t len) {
  if (f->strings_used >= (int)(sizeof(f->strings) / sizeof(f->strings[0])))
    return NULL;
  char *copy = strndup(s, len);
  if (copy != NULL)
    f->strings[f->strings_used++] = copy;
  return copy;
}

static mctop_opt_value_t *new_value(mctop_cli_flags_t *f) {
  if (f->values_used >= (int)(sizeof(f->values) / sizeof(f->values[0])))
    return NULL;
  return &f->values[f->values_used++];
}

/* One value of type t from text; a number that does not parse is kept as
 * a string, so the core names the problem as it does in collectd.conf. */
static int add_value(mctop_cli_flags_t *f, mctop_opt_t *o,
                     enum mctop_opt_type t, const char *text, size_t len,
                     bool words) {
  mctop_opt_value_t *v = new_value(f);
  const char *s = keep(f, text, len);
  if (v == NULL || s == NULL)
    return -1;
  if (o->values == NULL)
    o->values = v;
  o->values_num++;
  char *end;
  double n = strtod(s, &end);
  if (t == MCTOP_OPT_NUMBER && *s != '\0' && *end == '\0' && isfinite(n)) {
    *v = (mctop_opt_value_t){.value = {.number = n}, .type = t};
  } else if (words &&
             (strcasecmp(s, "true") == 0 || strcasecmp(s, "false") == 0)) {
    /* --lookups true: collectd.conf's boolean, not the string */
    *v = (mctop_opt_value_t){.value = {.boolean = strcasecmp(s, "true") == 0},
                             .type = MCTOP_OPT_BOOLEAN};
  } else {
    *v = (mctop_opt_value_t){.value = {.string = s}, .type = MCTOP_OPT_STRING};
  }
  return 0;
}

/* The option d with the flag's argument arg (NULL for a switch). */
static int add_option(mctop_cli_flags_t *f, const mctop_option_def_t *d,
                      const char *arg) {
  if (f->block.children_num >= MCTOP_CLI_MAX_OPTS)
    return -1;
  mctop_opt_t *o = &f->children[f->block.children_num++];
  *o = (mctop_opt_t){.key = d->name};
  if (d->split == MCTOP_FLAG_SWITCH) { /* a switch: true */
    mctop_opt_value_t *v = new_value(f);
    if (v == NULL)
      return -1;
    *v = (mctop_opt_value_t){.value = {.boolean = true},
                             .type = MCTOP_OPT_BOOLEAN};
    o->values = v;
    o->values_num = 1;
    return 0;
  }
  /* Values are taken in order from one array: this option's are the next
   * ones. */
  const char *eq = strrchr(arg, '=');
  if (d->split == MCTOP_FLAG_PAIR && eq != NULL) /* cut at the last '=' */
    return add_value(f, o, MCTOP_OPT_STRING, arg, (size_t)(eq - arg), false) ||
           add_value(f, o, MCTOP_OPT_STRING, eq + 1, strlen(eq + 1), false);
  if (d->split == MCTOP_FLAG_LIST) {
    for (const char *p = arg;; p++) {
      const char *c = strchr(p, ',');
      size_t len = c ? (size_t)(c - p) : strlen(p);
      if (add_value(f, o, d->type, p, len, false) != 0)
        return -1;
      if (c == NULL)
        return 0;
      p = c;
    }
  }
  return add_value(f, o, d->type, arg, strlen(arg),
                   d->split == MCTOP_FLAG_BOOLEAN_OR_WORD);
}

static const mctop_option_def_t *find_flag(const char *name, char short_flag) {
  for (size_t i = 0; i < mctop_options_num; i++) {
    const mctop_option_def_t *d = &mctop_options[i];
    if (name != NULL ? strcmp(name, d->flag) == 0
                     : short_flag != 0 && short_flag == d->short_flag)
      return d;
  }
  return NULL;
}

/* The command's own flags that take no part in the core's table. */
static const struct {
  const char *name;
  char short_flag;
} own_flags[] = {
    {"interval", 'i'}, {"count", 'n'}, {"json", 0},
    {"verbose", 'v'},  {"help", 'h'},
};
#define OWN_NUM (sizeof(own_flags) / sizeof(own_flags[0]))

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
  for (size_t i = 0; i < OWN_NUM; i++)
    offer(&n, own_flags[i].name, own_flags[i].short_flag);
  for (size_t i = 0; i < mctop_options_num; i++)
    offer(&n, mctop_options[i].flag, mctop_options[i].short_flag);
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

/* The option named by msg's word at [w, w + len), or NULL. */
static const mctop_option_def_t *option_named(const char *w, size_t len) {
  for (size_t i = 0; i < mctop_options_num; i++)
    if (strlen(mctop_options[i].name) == len &&
        strncmp(w, mctop_options[i].name, len) == 0)
      return &mctop_options[i];
  return NULL;
}

void mctop_cli_see_help(const char *msg) {
  char flags[512] = "";
  size_t n = 0;
  const mctop_option_def_t *said[8];
  size_t said_num = 0;
  for (const char *p = msg ? msg : ""; *p != '\0' && said_num < 8;) {
    size_t len =
        strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
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

/* The command's own flags; 1 if taken (with its argument), 0 if not one of
 * them, -1 if its argument is bad. */
static int own_flag(mctop_cli_flags_t *f, const char *name, char s,
                    const char *arg, bool *needs_arg) {
  bool is_i = name ? strcmp(name, "interval") == 0 : s == 'i';
  bool is_n = name ? strcmp(name, "count") == 0 : s == 'n';
  *needs_arg = is_i || is_n;
  if (is_i || is_n) {
    if (arg == NULL)
      return -1;
    char *end;
    double v = strtod(arg, &end);
    if (*arg == '\0' || *end != '\0' || !isfinite(v) ||
        (is_i && (v < 0.1 || v > 3600)) ||
        (is_n && (v < 1 || v != floor(v) || v > 1e9)))
      return -1;
    if (is_i)
      f->interval = v;
    else
      f->count = (long)v;
    return 1;
  }
  if (name ? strcmp(name, "json") == 0 : false) {
    f->json = true;
    return 1;
  }
  if (name ? strcmp(name, "verbose") == 0 : s == 'v') {
    f->verbose = true;
    return 1;
  }
  return 0;
}

int mctop_cli_parse(mctop_cli_flags_t *f, int argc, char **argv) {
  memset(f, 0, sizeof(*f));
  f->interval = 1;
  f->block = (mctop_opt_t){.key = "Instance",
                           .values = &instance_value,
                           .values_num = 1,
                           .children = f->children};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *name = NULL, *inline_arg = NULL;
    char s = 0, longname[64];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      mctop_cli_usage(stdout);
      return 1;
    }
    if (strncmp(a, "--", 2) == 0 && a[2] != '\0') {
      const char *eq = strchr(a + 2, '=');
      size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
      if (len >= sizeof(longname))
        return bad("unknown flag %s", a);
      memcpy(longname, a + 2, len);
      longname[len] = '\0';
      name = longname;
      inline_arg = eq ? eq + 1 : NULL;
    } else if (a[0] == '-' && a[1] != '\0' && a[2] == '\0') {
      s = a[1];
    } else if (a[0] == '-' && a[1] != '\0' && a[1] != '-' && near_one(a + 1)) {
      return unknown(a, a + 1); /* "-json": a long flag with one dash */
    } else {
      return bad("unexpected argument \"%s\": every value follows its "
                 "flag",
                 a);
    }
    bool needs_arg;
    const char *next = i + 1 < argc ? argv[i + 1] : NULL;
    int own = own_flag(f, name, s, inline_arg ? inline_arg : next, &needs_arg);
    if (own < 0)
      return bad("%s needs a number: -i SECONDS from 0.1 to 3600, -n "
                 "COUNT from 1",
                 a);
    if (own > 0) {
      if (needs_arg && inline_arg == NULL)
        i++;
      continue;
    }
    const mctop_option_def_t *d = find_flag(name, s);
    if (d == NULL)
      return unknown(a, name != NULL ? name : (char[]){s, '\0'});
    const char *arg = NULL;
    if (d->split != MCTOP_FLAG_SWITCH) {
      arg = inline_arg ? inline_arg : next;
      if (arg == NULL)
        return bad("%s needs an argument", a);
      if (inline_arg == NULL)
        i++;
    } else if (inline_arg != NULL) {
      return bad("%s takes no argument", a);
    }
    /* The screen sorts by the key's name too; a name ranks nothing, so
     * the plugin has no such SortBy and the keys shown rank by calls. */
    if (strcmp(d->name, "SortBy") == 0 && strcasecmp(arg, "key") == 0) {
      f->sort_key = true;
      continue;
    }
    if (add_option(f, d, arg) != 0)
      return bad("too many flags at %s", a);
  }
  return 0;
}

void mctop_cli_flags_free(mctop_cli_flags_t *f) {
  for (int i = 0; i < f->strings_used; i++)
    free(f->strings[i]);
  f->strings_used = 0;
}
