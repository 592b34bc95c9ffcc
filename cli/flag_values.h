/*
 * mctop command: a flag's argument as the core's values, what collectd's
 * config parser does for a line of collectd.conf: cut as the option's
 * entry in the table says (enum mctop_flag_arg: one value, REGEX=NAME, a
 * comma list, true|false or a word), each part typed (a number where the
 * option takes numbers and the text is one, else a string, for the core to
 * name the problem in its own words).
 */
#ifndef MCTOP_CLI_FLAG_VALUES_H
#define MCTOP_CLI_FLAG_VALUES_H

#include "flags.h"
#include "options.h"

/* The option d, given with the argument arg (NULL for a switch: true), as
 * the next child of f's block; -1 if f holds no more. */
int mctop_cli_add_option(mctop_cli_flags_t *f, const mctop_option_def_t *d,
                         const char *arg);

#endif /* MCTOP_CLI_FLAG_VALUES_H */
