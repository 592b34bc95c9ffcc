/* Unit tests: <Instance> blocks parsed from mctop_opt_t literals. */
#include <stdlib.h>

#include "log_sink.h"
#include "options.h"
#include "tap.h"

#define STR(s)                                                                 \
  { .value = {.string = (char *)(s)}, .type = MCTOP_OPT_STRING }
#define NUM(n)                                                                 \
  { .value = {.number = (n)}, .type = MCTOP_OPT_NUMBER }
#define BOOL(b)                                                                \
  { .value = {.boolean = (b)}, .type = MCTOP_OPT_BOOLEAN }

static mctop_opt_value_t name_cache1[] = {STR("cache1")};

/* Parses an <Instance "cache1"> block holding the given options. */
static int parse(mctop_opt_t *children, int n, mctop_instance_config_t *c) {
  mctop_opt_t inst = {.key = "Instance",
                      .values = name_cache1,
                      .values_num = 1,
                      .children = children,
                      .children_num = n};
  log_sink_last[0] = '\0';
  return mctop_config_instance(&inst, c);
}

static void full_block(void) {
  mctop_opt_value_t pid1[] = {NUM(1234)}, pid2[] = {NUM(99)};
  mctop_opt_value_t pf[] = {STR("/run/memcached.pid")};
  mctop_opt_value_t bin[] = {STR("/usr/bin/memcached")};
  mctop_opt_value_t top[] = {NUM(5)}, sort[] = {STR("Bytes")};
  mctop_opt_value_t max[] = {NUM(1024)};
  mctop_opt_t o[] = {
      {.key = "PID", .values = pid1, .values_num = 1},
      {.key = "pid", .values = pid2, .values_num = 1},
      {.key = "PIDFile", .values = pf, .values_num = 1},
      {.key = "Binary", .values = bin, .values_num = 1},
      {.key = "TopKeys", .values = top, .values_num = 1},
      {.key = "SortBy", .values = sort, .values_num = 1},
      {.key = "MaxKeys", .values = max, .values_num = 1},
  };
  mctop_instance_config_t c;
  CHECK(parse(o, 7, &c) == 0, "a full block parses");
  CHECK_STR("cache1", c.name, "name");
  CHECK(c.pids_num == 2 && c.pids[0] == 1234 && c.pids[1] == 99, "PID repeats");
  CHECK_STR("/run/memcached.pid", c.pidfile, "PIDFile");
  CHECK(c.binaries_num == 1, "Binary");
  CHECK_U64(5, c.top_keys, "TopKeys");
  CHECK(c.sort_by == MCTOP_SORT_BYTES, "SortBy is case-insensitive");
  CHECK_U64(1024, c.max_keys, "MaxKeys");
  mctop_config_free(&c);
}

static void defaults(void) {
  mctop_opt_value_t bin[] = {STR("/usr/bin/memcached")};
  mctop_opt_t o[] = {{.key = "Binary", .values = bin, .values_num = 1}};
  mctop_instance_config_t c;
  CHECK(parse(o, 1, &c) == 0, "Binary alone parses");
  CHECK_U64(MCTOP_TOPKEYS_DEFAULT, c.top_keys, "TopKeys default");
  CHECK_U64(MCTOP_MAXKEYS_DEFAULT, c.max_keys, "MaxKeys default");
  CHECK(c.sort_by == MCTOP_SORT_CALLS, "SortBy default calls");
  mctop_config_free(&c);
  mctop_opt_value_t gets[] = {STR("gets")};
  mctop_opt_t g[] = {{.key = "Binary", .values = bin, .values_num = 1},
                     {.key = "SortBy", .values = gets, .values_num = 1}};
  CHECK(parse(g, 2, &c) == 0 && c.sort_by == MCTOP_SORT_GETS,
        "SortBy gets parses");
  mctop_config_free(&c);
}

/* Every sort the command's screen offers but the key's name (cli/screen.c:
 * col_names) is a SortBy, and the SortBy help lists them all. */
static void sort_words(void) {
  static const struct {
    const char *word;
    enum mctop_sort want;
  } w[] = {
      {"calls", MCTOP_SORT_CALLS},     {"gets", MCTOP_SORT_GETS},
      {"hits", MCTOP_SORT_HITS},       {"misses", MCTOP_SORT_MISSES},
      {"sets", MCTOP_SORT_SETS},       {"out", MCTOP_SORT_TX},
      {"in", MCTOP_SORT_RX},           {"size", MCTOP_SORT_OBJSIZE},
      {"latency", MCTOP_SORT_LATENCY}, {"bytes", MCTOP_SORT_BYTES},
      {"lookups", MCTOP_SORT_LOOKUPS},
  };
  const mctop_option_def_t *d = mctop_option_find("SortBy");
  for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
    mctop_opt_value_t bin[] = {STR("/usr/bin/memcached")},
                      v[] = {STR(w[i].word)};
    mctop_opt_value_t yes[] = {BOOL(true)};
    mctop_opt_t o[] = {{.key = "Binary", .values = bin, .values_num = 1},
                       {.key = "SortBy", .values = v, .values_num = 1},
                       {.key = "Latency", .values = yes, .values_num = 1}};
    mctop_instance_config_t c;
    CHECK(parse(o, 3, &c) == 0 && c.sort_by == w[i].want,
          "SortBy \"%s\" parses", w[i].word);
    mctop_config_free(&c);
    CHECK_STR(w[i].word, mctop_sort_by_name(w[i].want), "%s's name", w[i].word);
    char help[256];
    mctop_option_help(d, help, sizeof(help));
    CHECK(strstr(help, w[i].word) != NULL, "the -s help lists %s", w[i].word);
  }
  mctop_opt_value_t bin[] = {STR("/usr/bin/memcached")}, key[] = {STR("key")};
  mctop_opt_t o[] = {{.key = "Binary", .values = bin, .values_num = 1},
                     {.key = "SortBy", .values = key, .values_num = 1}};
  mctop_instance_config_t c;
  CHECK(parse(o, 2, &c) != 0 &&
            strstr(log_sink_last, "SortBy \"key\" is unknown: use \"calls\", "
                                  "\"gets\", \"hits\", \"misses\", \"sets\", "
                                  "\"out\", \"in\", \"size\", \"latency\", "
                                  "\"bytes\" or \"lookups\"") != NULL,
        "SortBy \"key\" ranks nothing: refused with the list (%s)",
        log_sink_last);
}

/* One bad option: rejected, and the log names the option and the fix. */
static void rejects(const char *what, mctop_opt_t *o, int n,
                    const char *must_mention) {
  mctop_instance_config_t c;
  int rc = parse(o, n, &c);
  CHECK(rc != 0, "rejects %s", what);
  CHECK(strstr(log_sink_last, must_mention) != NULL,
        "the error for %s mentions \"%s\"", what, must_mention);
}

static void bad_values(void) {
  mctop_opt_value_t bin[] = {STR("/usr/bin/memcached")};
  mctop_opt_value_t neg[] = {NUM(-1)}, frac[] = {NUM(2.5)},
                    huge[] = {NUM(1e12)};
  mctop_opt_value_t word[] = {STR("many")}, b[] = {BOOL(1)};
  mctop_opt_value_t rel[] = {STR("bin/memcached")}, empty[] = {STR("")};
  mctop_opt_value_t sort[] = {STR("speed")}, two[] = {NUM(1), NUM(2)};
#define ONE(k, v)                                                              \
  (mctop_opt_t[]) {                                                            \
    {.key = "Binary", .values = bin, .values_num = 1}, {                       \
      .key = (k), .values = (v), .values_num = 1                               \
    }                                                                          \
  }
  rejects("a negative PID", ONE("PID", neg), 2, "PID -1");
  rejects("a fractional TopKeys", ONE("TopKeys", frac), 2, "whole number");
  rejects("a huge MaxKeys", ONE("MaxKeys", huge), 2, "MaxKeys");
  rejects("a tiny MaxKeys", ONE("MaxKeys", neg), 2, "from 16 to 4194304");
  rejects("a string PID", ONE("PID", word), 2, "a number");
  rejects("a boolean TopKeys", ONE("TopKeys", b), 2, "TopKeys");
  rejects("a relative Binary", ONE("Binary", rel), 2, "absolute path");
  rejects("an empty PIDFile", ONE("PIDFile", empty), 2, "PIDFile is empty");
  rejects("an unknown SortBy", ONE("SortBy", sort), 2, "\"misses\"");
  rejects("an unknown option", ONE("Colour", bin), 2,
          "unknown option \"Colour\"");
  mctop_opt_t twovals[] = {{.key = "PID", .values = two, .values_num = 2}};
  rejects("two values", twovals, 1, "exactly one argument");
  rejects("no target", NULL, 0, "at least one of PID, PIDFile, Binary or");
}

static void bad_names(void) {
  mctop_opt_value_t empty[] = {STR("")}, slash[] = {STR("a/b")},
                    num[] = {NUM(3)};
  mctop_opt_t inst = {.key = "Instance", .values = empty, .values_num = 1};
  mctop_instance_config_t c;
  CHECK(mctop_config_instance(&inst, &c) != 0, "empty Instance name rejected");
  CHECK(strstr(log_sink_last, "1 to 63 characters") != NULL,
        "empty name error says what is allowed");
  inst.values = slash;
  CHECK(mctop_config_instance(&inst, &c) != 0, "name with '/' rejected");
  inst.values = num;
  CHECK(mctop_config_instance(&inst, &c) != 0, "numeric name rejected");
  inst.values_num = 0;
  CHECK(mctop_config_instance(&inst, &c) != 0, "missing name rejected");
}

static void process_match(void) {
  mctop_opt_value_t good[] = {STR("^/usr/bin/memcached .*-p 11211")};
  mctop_opt_value_t bad[] = {STR("memcached [[:nope:]]")};
  mctop_instance_config_t c;
  mctop_opt_t o[] = {{.key = "ProcessMatch", .values = good, .values_num = 1}};
  CHECK(parse(o, 1, &c) == 0 && c.matches_num == 1,
        "ProcessMatch alone is a target");
  mctop_config_free(&c);
  o[0].values = bad;
  rejects("a broken ProcessMatch", o, 1, "not a valid extended regular");
  mctop_opt_value_t open_paren[] = {STR("memcached (")};
  o[0].values = open_paren;
  rejects("an unbalanced ProcessMatch", o, 1, "unbalanced '('");
  /* Patterns whose compilation would blow up (found by fuzz_options). */
  mctop_opt_value_t plus[] = {STR("x++++++++++++++++++++++")};
  o[0].values = plus;
  rejects("stacked repetitions", o, 1, "a repetition of a repetition");
  mctop_opt_value_t nest[] = {
      STR("((((((((((((((x+)+)+)+)+)+)+)+)+)+)+)+)+)+)")};
  o[0].values = nest;
  rejects("nested repetitions", o, 1, "too costly");
  mctop_opt_value_t big[] = {STR("(x{1000}){1000}")};
  o[0].values = big;
  rejects("large bounds", o, 1, "too costly");
  mctop_opt_value_t back[] = {STR("(a)\\1")};
  o[0].values = back;
  rejects("a back reference", o, 1, "back reference");
  mctop_opt_value_t fine[] = {STR("^/usr/(local/)?bin/memcached( .*)? -p "
                                  "(11211|11212)( |$)")};
  o[0].values = fine;
  CHECK(parse(o, 1, &c) == 0, "a sensible pattern passes the cost check");
  mctop_config_free(&c);
}

static void lookups(void) {
  mctop_opt_value_t bin[] = {STR("/usr/bin/memcached")};
  mctop_opt_value_t on[] = {BOOL(1)}, off[] = {BOOL(0)}, aut[] = {STR("Auto")};
  mctop_opt_value_t by[] = {STR("lookups")}, bad[] = {STR("sometimes")};
  mctop_instance_config_t c;
  mctop_opt_t o[] = {{.key = "Binary", .values = bin, .values_num = 1},
                     {.key = "Lookups", .values = on, .values_num = 1},
                     {.key = "SortBy", .values = by, .values_num = 1}};
  CHECK(parse(o, 3, &c) == 0 && c.lookups == MCTOP_LOOKUPS_ON &&
            c.sort_by == MCTOP_SORT_LOOKUPS,
        "Lookups true, SortBy lookups");
  mctop_config_free(&c);
  o[1].values = aut;
  CHECK(parse(o, 2, &c) == 0 && c.lookups == MCTOP_LOOKUPS_AUTO,
        "Lookups \"auto\"");
  mctop_config_free(&c);
  CHECK(parse(o, 1, &c) == 0 && c.lookups == MCTOP_LOOKUPS_AUTO,
        "Lookups defaults to auto");
  mctop_config_free(&c);
  o[1].values = off;
  rejects("SortBy lookups without lookups", o, 3, "remove Lookups false");
  o[1].values = bad;
  rejects("Lookups \"sometimes\"", o, 2, "true, false or \"auto\"");
}

static void latency(void) {
  mctop_opt_value_t bin[] = {STR("/usr/bin/memcached")};
  mctop_opt_value_t on[] = {BOOL(1)}, off[] = {BOOL(0)},
                    by[] = {STR("Latency")};
  mctop_opt_value_t pcts[] = {NUM(50), NUM(99.9), NUM(100)};
  mctop_opt_value_t zero[] = {NUM(0)}, big[] = {NUM(100.5)},
                    word[] = {STR("x")};
  mctop_instance_config_t c;
  mctop_opt_t o[] = {
      {.key = "Binary", .values = bin, .values_num = 1},
      {.key = "SortBy", .values = by, .values_num = 1},
      {.key = "Latency", .values = on, .values_num = 1},
      {.key = "LatencyPercentiles", .values = pcts, .values_num = 3}};
  CHECK(parse(o, 1, &c) == 0 && !c.latency && c.percentiles_num == 4 &&
            c.percentiles[0] == 50 && c.percentiles[3] == 100,
        "Latency off by default, percentiles 50 90 99 100");
  mctop_config_free(&c);
  CHECK(parse(o, 4, &c) == 0 && c.latency && c.sort_by == MCTOP_SORT_LATENCY &&
            c.percentiles_num == 3 && c.percentiles[1] == 99.9,
        "Latency true, SortBy latency, LatencyPercentiles 50 99.9 100");
  mctop_config_free(&c);
  rejects("SortBy latency without Latency", o, 2, "add Latency true");
  o[2].values = off;
  rejects("SortBy latency with Latency false", o, 3, "add Latency true");
  o[2].values = word;
  rejects("Latency \"x\"", o + 2, 1, "Latency takes true or false");
  mctop_opt_t p[] = {
      {.key = "Binary", .values = bin, .values_num = 1},
      {.key = "LatencyPercentiles", .values = zero, .values_num = 1}};
  rejects("percentile 0", p, 2, "argument 1 is not a number above 0");
  p[1].values = big;
  rejects("percentile 100.5", p, 2, "at most 100");
  p[1].values = word;
  rejects("a word as percentile", p, 2, "LatencyPercentiles: argument 1");
  p[1].values_num = 0;
  rejects("no percentile", p, 2, "takes 1 to 16 numbers");
}

static void probes(void) {
  mctop_opt_value_t bin[] = {STR("/usr/bin/memcached")};
  mctop_opt_value_t sym[] = {STR("Symbols")}, usdt[] = {STR("usdt")};
  mctop_opt_value_t bad[] = {STR("kprobes")}, on[] = {BOOL(1)};
  mctop_opt_value_t d1[] = {STR("/srv/debug/")}, d2[] = {STR("/usr/lib/debug")};
  mctop_opt_value_t rel[] = {STR("debug")};
  mctop_instance_config_t c;
  mctop_opt_t o[] = {{.key = "Binary", .values = bin, .values_num = 1},
                     {.key = "Probes", .values = sym, .values_num = 1},
                     {.key = "DebugDirectory", .values = d1, .values_num = 1},
                     {.key = "DebugDirectory", .values = d2, .values_num = 1},
                     {.key = "Latency", .values = on, .values_num = 1}};
  CHECK(parse(o, 1, &c) == 0 && c.probes == MCTOP_PROBES_AUTO &&
            c.debug_dirs_num == 0,
        "Probes defaults to auto, no DebugDirectory: the system's");
  mctop_config_free(&c);
  CHECK(parse(o, 4, &c) == 0 && c.probes == MCTOP_PROBES_SYMBOLS &&
            c.debug_dirs_num == 2 &&
            strcmp(c.debug_dirs[0], "/srv/debug") == 0 &&
            strcmp(c.debug_dirs[1], "/usr/lib/debug") == 0,
        "Probes \"symbols\" (any case), DebugDirectory repeats, trailing "
        "'/' dropped");
  mctop_config_free(&c);
  rejects("Latency with Probes \"symbols\"", o, 5,
          "Latency true needs memcached's USDT probes");
  o[1].values = usdt;
  CHECK(parse(o, 5, &c) == 0 && c.probes == MCTOP_PROBES_USDT && c.latency,
        "Latency with Probes \"usdt\"");
  mctop_config_free(&c);
  o[1].values = bad;
  rejects("Probes \"kprobes\"", o, 2, "use \"auto\", \"usdt\" or \"symbols\"");
  o[2].values = rel;
  rejects("a relative DebugDirectory", o + 2, 1, "give an absolute path");
}

static void debuginfod_timeout(void) {
  mctop_opt_value_t bin[] = {STR("/usr/bin/memcached")};
  mctop_opt_value_t three[] = {NUM(3)}, zero[] = {NUM(0)}, big[] = {NUM(301)};
  mctop_opt_value_t word[] = {STR("10")};
  mctop_instance_config_t c;
  mctop_opt_t o[] = {
      {.key = "Binary", .values = bin, .values_num = 1},
      {.key = "DebuginfodTimeout", .values = three, .values_num = 1}};
  CHECK(parse(o, 1, &c) == 0 && c.debuginfod_timeout == 10,
        "DebuginfodTimeout defaults to 10 s");
  mctop_config_free(&c);
  CHECK(parse(o, 2, &c) == 0 && c.debuginfod_timeout == 3,
        "DebuginfodTimeout 3");
  mctop_config_free(&c);
  o[1].values = zero;
  rejects("DebuginfodTimeout 0", o, 2, "from 1 to 300");
  o[1].values = big;
  rejects("DebuginfodTimeout 301", o, 2, "from 1 to 300");
  o[1].values = word;
  rejects("DebuginfodTimeout \"10\"", o, 2, "takes exactly one argument");
}

/* README's option table lists exactly the options of the table, in its
 * order, and its "allowed are" example is the list the parser prints. */
static void readme_table(void) {
  const char *src = getenv("MCTOP_SRCDIR");
  char path[4096];
  snprintf(path, sizeof(path), "%s/README.md", src ? src : ".");
  FILE *f = fopen(path, "r");
  CHECK(f != NULL, "README.md opens (%s)", path);
  if (f == NULL)
    return;
  char line[8192], allowed[512];
  mctop_options_allowed(allowed, sizeof(allowed));
  bool in_config = false, example = false;
  size_t row = 0;
  while (fgets(line, sizeof(line), f) != NULL) {
    if (strncmp(line, "## ", 3) == 0)
      in_config = strcmp(line, "## Configuration\n") == 0;
    if (!in_config)
      continue;
    example |=
        strstr(line, "allowed are ") != NULL && strstr(line, allowed) != NULL;
    char name[64];
    if (sscanf(line, "| `%63[A-Za-z]` |", name) != 1)
      continue;
    CHECK(row < mctop_options_num, "README row %zu (%s) has an option", row,
          name);
    if (row < mctop_options_num)
      CHECK_STR(mctop_options[row].name, name, "README row %zu", row);
    row++;
  }
  fclose(f);
  CHECK_U64(mctop_options_num, row, "README lists every option once");
  CHECK(example, "README's \"allowed are\" example is the parser's list: %s",
        allowed);
}

/* The field of README's option table row that says what the option
 * takes ("| `SortBy` | `calls` | `calls`, `gets`, ... | what |"), or "". */
static void readme_allowed(const char *option, char *out, size_t size) {
  const char *src = getenv("MCTOP_SRCDIR");
  char path[4096], line[8192], row[96];
  snprintf(path, sizeof(path), "%s/README.md", src ? src : ".");
  snprintf(row, sizeof(row), "| `%s` |", option);
  out[0] = '\0';
  FILE *f = fopen(path, "r");
  if (f == NULL)
    return;
  while (fgets(line, sizeof(line), f) != NULL) {
    if (strncmp(line, row, strlen(row)) != 0)
      continue;
    const char *p = line;
    for (int bar = 0; bar < 2 && p != NULL; bar++)
      p = strchr(p + 1, '|');
    const char *end = p ? strchr(p + 1, '|') : NULL;
    if (end != NULL)
      snprintf(out, size, "%.*s", (int)(end - p - 1), p + 1);
    break;
  }
  fclose(f);
}

/* Every word of every option that takes words is in each list made from
 * its table (the usage's, the help's, the error's) and in README's
 * option table, which is written by hand: the two cannot drift. */
static void word_lists(void) {
  size_t tables = 0;
  for (size_t i = 0; i < mctop_options_num; i++) {
    const mctop_option_def_t *d = &mctop_options[i];
    if (d->words == NULL)
      continue;
    tables++;
    char arg[256], help[256], quoted[512], readme[4096];
    mctop_option_arg(d, arg, sizeof(arg));
    mctop_option_help(d, help, sizeof(help));
    mctop_words_list(d->words, MCTOP_WORDS_QUOTED, quoted, sizeof(quoted));
    readme_allowed(d->name, readme, sizeof(readme));
    CHECK(readme[0] != '\0', "README has a row for %s", d->name);
    for (size_t j = 0; j < d->words->num; j++) {
      const mctop_word_t *w = &d->words->word[j];
      char bare[64], in_quotes[64];
      snprintf(bare, sizeof(bare), "`%s`", w->name);
      snprintf(in_quotes, sizeof(in_quotes), "`\"%s\"`", w->name);
      CHECK(strstr(arg, w->name) != NULL || strstr(help, w->name) != NULL,
            "--%s's usage or help names %s (%s | %s)", d->flag, w->name, arg,
            help);
      CHECK(strstr(quoted, w->name) != NULL, "%s's error names %s (%s)",
            d->name, w->name, quoted);
      CHECK(strstr(readme, bare) != NULL || strstr(readme, in_quotes) != NULL,
            "README's %s row names %s (%s)", d->name, w->name, readme);
      CHECK(mctop_word_find(d->words, w->name) == w, "%s %s is found", d->name,
            w->name);
    }
  }
  CHECK_U64(4, tables, "SortBy, Lookups, Probes and KeyPrivacy take words");
}

/* The lists as each reader sees them. */
static void word_list_styles(void) {
  char buf[256];
  mctop_option_arg(mctop_option_find("Probes"), buf, sizeof(buf));
  CHECK_STR("auto|usdt|symbols", buf, "--probes' argument in the usage");
  mctop_option_arg(mctop_option_find("Lookups"), buf, sizeof(buf));
  CHECK_STR("true|false|auto", buf, "--lookups' argument in the usage");
  mctop_option_arg(mctop_option_find("PID"), buf, sizeof(buf));
  CHECK_STR("PID", buf, "-p's argument, named");
  mctop_option_arg(mctop_option_find("Latency"), buf, sizeof(buf));
  CHECK_STR("", buf, "--latency is a switch");
  mctop_option_help(mctop_option_find("SortBy"), buf, sizeof(buf));
  CHECK_STR("calls, gets, hits, misses, sets, out, in, size, latency, bytes "
            "or lookups",
            buf, "-s's help: its words in prose");
  mctop_option_help(mctop_option_find("Probes"), buf, sizeof(buf));
  CHECK_STR("where the counts come from", buf, "a help line as written");
  const mctop_option_def_t *privacy = mctop_option_find("KeyPrivacy");
  size_t need =
      mctop_words_list(privacy->words, MCTOP_WORDS_QUOTED, buf, sizeof(buf));
  CHECK_STR("\"raw\" (keys as they are) or \"hash\" (keys leave the host as "
            "a salted hash; needs KeySalt)",
            buf, "KeyPrivacy's words with what they mean");
  char small[8];
  CHECK_U64(need,
            mctop_words_list(privacy->words, MCTOP_WORDS_QUOTED, small,
                             sizeof(small)),
            "a short buffer: the length needed");
  CHECK_STR("\"raw\" (", small, "a short buffer: cut, terminated");
  CHECK_STR("?", mctop_sort_by_name((enum mctop_sort)99), "no such word: ?");
}

/* The target options' list, which the command shows as flags: every name
 * in it is an option (cli/flags.c: mctop_cli_as_flags). */
static void target_options(void) {
  char list[] = MCTOP_TARGET_OPTIONS;
  size_t names = 0;
  for (char *w = strtok(list, ", "); w != NULL; w = strtok(NULL, ", ")) {
    if (strcmp(w, "or") == 0)
      continue;
    names++;
    CHECK(mctop_option_find(w) != NULL, "target option %s is an option", w);
  }
  CHECK_U64(4, names, "four target options: %s", MCTOP_TARGET_OPTIONS);
}

int main(void) {
  readme_table();
  word_lists();
  word_list_styles();
  target_options();
  probes();
  debuginfod_timeout();
  latency();
  full_block();
  defaults();
  sort_words();
  bad_values();
  bad_names();
  lookups();
  process_match();
  return tap_done();
}
