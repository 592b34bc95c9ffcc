/*
 * mctop command: the command line, read into the core's options.
 *
 * Every option of the core's table (options.h) is a flag: --pid 1234 or
 * -p 1234 is `PID 1234` in collectd.conf, parsed and checked by the same
 * code, with the same messages.  The command adds its own few: the
 * interval, how many to show, JSON output.
 */
#ifndef MCTOP_CLI_FLAGS_H
#define MCTOP_CLI_FLAGS_H

#include <stdbool.h>
#include <stdio.h>

#include "opt_tree.h"

#define MCTOP_CLI_MAX_OPTS 256
/* The command's one instance, as the core's messages name it. */
#define MCTOP_CLI_INSTANCE "mctop"

typedef struct {
  double interval;   /* -i SECONDS */
  long count;        /* -n COUNT: intervals shown, then exit; 0: forever */
  bool json;         /* --json */
  bool verbose;      /* -v: every log line on stderr */
  bool sort_key;     /* -s key: the screen in key order */
  mctop_opt_t block; /* "Instance" "mctop", children: the core's options */
  mctop_opt_t children[MCTOP_CLI_MAX_OPTS];
  mctop_opt_value_t values[MCTOP_CLI_MAX_OPTS * 4];
  char *strings[MCTOP_CLI_MAX_OPTS * 2]; /* copies the values point into */
  int values_used, strings_used;
} mctop_cli_flags_t;

/* 0: parsed.  1: --help was asked (usage printed to stdout).  2: a bad
 * flag (the problem, the nearest flag if one is near, and a pointer to
 * --help printed to stderr). */
int mctop_cli_parse(mctop_cli_flags_t *f, int argc, char **argv);

void mctop_cli_usage(FILE *out);

/* The line after a bad flag or option: where the flags are listed, and
 * the flag of each option msg names (the core's messages use
 * collectd.conf's words: "SortBy is -s or --sort; "). */
void mctop_cli_see_help(const char *msg);

/* text with each option it names as its flag ("PID, PIDFile or Binary" is
 * "-p, --pidfile or -b"), into buf; returns the length it needs (as
 * snprintf). */
size_t mctop_cli_as_flags(const char *text, char *buf, size_t size);

void mctop_cli_flags_free(mctop_cli_flags_t *f);

#endif /* MCTOP_CLI_FLAGS_H */
