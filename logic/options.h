/*
 * mctop: the <Plugin mctop> block, parsed and validated.
 *
 * Pure logic (no BPF, no collectd daemon calls beyond plugin_log), so the
 * unit tests exercise it with mctop_opt_t literals.
 */
#ifndef MCTOP_OPTIONS_H
#define MCTOP_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "key_fields.h"
#include "keyrules.h"
#include "latency_hist.h"
#include "opt_tree.h"
#include "pid_max.h"
#include "symbol_sites.h"
#include "words.h"

#define MCTOP_NAME_MAX 64
#define MCTOP_TOPKEYS_DEFAULT 20
/* The hard cap on per-key series one instance dispatches per interval,
 * whatever the config: TopKeys cannot exceed it. */
#define MCTOP_TOPKEYS_MAX 1000
#define MCTOP_MAXKEYS_DEFAULT 65536
#define MCTOP_MAXKEYS_MIN 16
#define MCTOP_MAXKEYS_MAX 4194304

/* Whether to count key lookups (assoc__find), an extra probe per command. */
enum mctop_lookups {
  MCTOP_LOOKUPS_AUTO, /* only where text commands fire no command probe */
  MCTOP_LOOKUPS_ON,
  MCTOP_LOOKUPS_OFF,
};

/* Debug directories searched by default (option DebugDirectory). */
#define MCTOP_DEBUG_DIRS_MAX 8

/* Option DebuginfodTimeout: seconds the debuginfod fetches of one interval
 * may take in all (they run on collectd's read thread). */
#define MCTOP_DEBUGINFOD_TIMEOUT_DEFAULT 10
#define MCTOP_DEBUGINFOD_TIMEOUT_MAX 300

typedef struct {
  char name[MCTOP_NAME_MAX];
  pid_t *pids;
  size_t pids_num;
  char *pidfile;
  char **binaries;
  size_t binaries_num;
  char **matches; /* ProcessMatch regular expressions */
  size_t matches_num;
  unsigned top_keys;
  enum mctop_sort sort_by;
  unsigned max_keys;
  enum mctop_lookups lookups;
  enum mctop_probes probes;
  char **debug_dirs; /* DebugDirectory; none given: /usr/lib/debug */
  size_t debug_dirs_num;
  unsigned debuginfod_timeout; /* DebuginfodTimeout, seconds */
  mctop_key_policy_t keys;     /* collapsing, privacy, new-series budget */
  bool latency; /* process__command__start/end: two more probes a command */
  double percentiles[MCTOP_PERCENTILES_MAX]; /* LatencyPercentiles */
  size_t percentiles_num;
} mctop_instance_config_t;

/* How the command cuts a flag's argument into the option's values, where
 * collectd.conf hands them over already cut and typed. */
enum mctop_flag_arg {
  MCTOP_FLAG_SWITCH,          /* no argument: given, the option is true */
  MCTOP_FLAG_ONE,             /* one value of the option's type */
  MCTOP_FLAG_PAIR,            /* REGEX=NAME: two strings, cut at the last '=' */
  MCTOP_FLAG_LIST,            /* 50,99: a value of the option's type per part */
  MCTOP_FLAG_BOOLEAN_OR_WORD, /* true or false: a boolean; else a string */
};

/* One option of the table both front ends read: its name in collectd.conf,
 * the type of its values, its flag on the command line (--flag, and -short
 * if not 0), how the flag's argument is cut into values, the argument's
 * name in the usage, the words it takes if it takes words, and a line of
 * help.  A word option's arg and help may be NULL: they are then its words,
 * listed when printed (mctop_option_arg, mctop_option_help). */
typedef struct {
  const char *name;
  enum mctop_opt_type type; /* what its values are (a flag's are parsed) */
  const char *flag;
  char short_flag;
  enum mctop_flag_arg split;
  const char *arg;
  const mctop_words_t *words;
  int (*apply)(const mctop_opt_t *o, mctop_instance_config_t *cfg);
  const char *help;
} mctop_option_def_t;

extern const mctop_option_def_t mctop_options[];
extern const size_t mctop_options_num;

/* The options that say what an instance traces, as messages list them
 * (the command shows its flags in their place). */
#define MCTOP_TARGET_OPTIONS "PID, PIDFile, Binary or ProcessMatch"

/* The option called name (any case), or NULL. */
const mctop_option_def_t *mctop_option_find(const char *name);

/* "PID, PIDFile, ... and MaxNewSeries" into buf; returns the length it
 * needs (as snprintf). */
size_t mctop_options_allowed(char *buf, size_t size);

/* Parses one <Instance "name"> block.  On error logs what is wrong and how to
 * fix it, and returns non-zero; *out is then left empty. */
int mctop_config_instance(const mctop_opt_t *ci, mctop_instance_config_t *out);

void mctop_config_free(mctop_instance_config_t *cfg);

/* The flag's argument as the usage names it ("" for a switch), and its line
 * of help, into buf; each returns the length it needs (as snprintf). */
size_t mctop_option_arg(const mctop_option_def_t *d, char *buf, size_t size);
size_t mctop_option_help(const mctop_option_def_t *d, char *buf, size_t size);

const char *mctop_sort_by_name(enum mctop_sort s);

#endif /* MCTOP_OPTIONS_H */
