/*
 * mctop: whether symbol mode can trace a memcached soundly, and through
 * which sites.  Three sources, checked against one another:
 *  - the release table (symbol_sites.h): what was read in the sources of
 *    every release symbol mode knows;
 *  - the symbols (elf_symbols.h): which functions exist out of line, and
 *    which have compiler clones (.constprop, .isra, .part) that calls may
 *    go through instead;
 *  - the DWARF, where there is some (dwarf_facts.h): each probed function's
 *    parameters in the registers the rows read (position, size, name) and
 *    its return value's size, the inlined copies of each, struct _stritem's
 *    members at the offsets bpf/mctop.h reads, STORED's value.
 * Driven by mctop_fn_rows and mctop_fn_caller: a new row is checked with
 * no new code here.
 */
#ifndef MCTOP_SYMBOL_CHECK_H
#define MCTOP_SYMBOL_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "dwarf_facts.h"
#include "elf_symbols.h"
#include "symbol_sites.h"

/* The names symbol mode looks up: each function i at i, then the caller
 * that may stand in for it at MCTOP_FN_COUNT + i (the function's own name
 * again where none can). */
#define MCTOP_SYMBOL_NAMES (2 * MCTOP_FN_COUNT)
void mctop_symbol_names(const char *names[MCTOP_SYMBOL_NAMES]);

/* What mctop_dwarf_facts is asked about the item and STORED. */
void mctop_symbol_dw_query(mctop_dw_query_t *q,
                           const char *const names[MCTOP_SYMBOL_NAMES],
                           const uint64_t addr[MCTOP_SYMBOL_NAMES]);

/* A function not probed: not wanted on this release, or an optional one
 * (mctop_fn_optional) missing or split. */
#define MCTOP_SITE_NONE MCTOP_SYMBOL_NAMES

typedef struct {
  const mctop_release_t *release; /* from the table, or from the DWARF */
  /* Per function: the index in names of the site traced (i, or its
   * caller's MCTOP_FN_COUNT + i), or MCTOP_SITE_NONE. */
  unsigned site[MCTOP_FN_COUNT];
  /* Why an optional function that has a symbol is not probed (its inlined
   * copies or clone would be missed), or "". */
  char dropped[320];
  /* The version is not in the table, and DWARF confirmed every fact it
   * holds (the caller says so in a notice). */
  bool by_dwarf;
} mctop_symbol_verdict_t;

/*
 * Judges a memcached of version v ("" if unknown) whose symbols are
 * found[MCTOP_SYMBOL_NAMES] (offset 0: absent) and whose DWARF says dw
 * (has_dwarf false: none).  0 with v filled, or -1 with why: what follows
 * "memcached V at PATH" in the one line that refuses it, the fact, why it
 * matters and the fix included.
 */
int mctop_symbols_judge(const char *version,
                        const mctop_symbol_t found[MCTOP_SYMBOL_NAMES],
                        const mctop_dw_facts_t *dw, mctop_symbol_verdict_t *v,
                        char *why, size_t len);

#endif /* MCTOP_SYMBOL_CHECK_H */
