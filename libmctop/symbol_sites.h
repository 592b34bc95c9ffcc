/*
 * mctop: symbol mode's attach table.  Where a memcached has no USDT
 * probes, mctop puts uprobes on memcached's own functions, found by symbol
 * (elf_symbols.h): the functions, where each one's arguments are, and the
 * memcached versions whose signatures and item layout were verified.
 *
 * Deletes have no function of their own: text delete's is inlined into
 * process_command_ascii (1.6.18, 1.6.38), and item_get_locked, which
 * every delete calls, also serves meta gets with flags and failed stores.
 * They are counted as lookups only, and README says so.
 */
#ifndef MCTOP_SYMBOL_SITES_H
#define MCTOP_SYMBOL_SITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mctop.h"

/* The functions, in the order of mctop_target_t's fns[]. */
enum mctop_fn {
  MCTOP_FN_DO_ITEM_GET,
  MCTOP_FN_DO_ITEM_TOUCH,
  MCTOP_FN_DO_STORE_ITEM,
  MCTOP_FN_DO_ADD_DELTA,
  MCTOP_FN_COUNT,
};

/* Rows: a function's entry or return and the event it reports. */
#define MCTOP_FN_ROWS 6

typedef struct {
  enum mctop_fn fn;
  bool ret; /* a return probe */
  unsigned event;
  /* Per site slot (enum mctop_site_arg): the SysV argument register index
   * (0 rdi ... 5 r9), MCTOP_FN_RET for the return value, or -1. */
  signed char reg[MCTOP_SITE_ARGS];
  unsigned char size[MCTOP_SITE_ARGS]; /* bytes; signed when negative */
  bool is_signed[MCTOP_SITE_ARGS];
} mctop_fn_row_t;

#define MCTOP_FN_RET 6

extern const mctop_fn_row_t mctop_fn_rows[MCTOP_FN_ROWS];

/* The symbol name of each function. */
const char *mctop_fn_name(enum mctop_fn fn);

/* True if symbol mode knows memcached version v ("1.6.18"). */
bool mctop_symbols_version_ok(const char *v);

/* The versions it knows, for messages: "1.6.18, 1.6.38 and 1.6.45". */
const char *mctop_symbols_versions(void);

/* Fills the site of row r (its event and where its arguments are). */
int mctop_fn_site(const mctop_fn_row_t *r, struct mctop_site *out);

#endif /* MCTOP_SYMBOL_SITES_H */
