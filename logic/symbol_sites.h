/*
 * mctop: symbol mode's attach table.  Where a memcached has no USDT
 * probes, mctop puts uprobes on memcached's own functions, found by symbol
 * (elf_symbols.h): the functions, where each one's arguments are, the
 * callers that stand in for one a build inlined, and the memcached releases
 * whose signatures and item layout were verified (symbol_sites.c).
 *
 * Deletes have no function of their own (text delete's is inlined into
 * process_command_ascii): a delete is the do_item_unlink of the item the
 * thread's last do_item_get returned without do_update, outside a store
 * or arithmetic (bpf/mctop.bpf.c, on_fn_unlink).
 */
#ifndef MCTOP_SYMBOL_SITES_H
#define MCTOP_SYMBOL_SITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mctop.h"

/* Where the counts come from (option Probes): memcached's USDT probes, or
 * the functions below; target.c chooses per binary. */
enum mctop_probes {
  MCTOP_PROBES_AUTO,    /* USDT where the binary has them, else symbols */
  MCTOP_PROBES_USDT,    /* memcached's USDT probes (--enable-dtrace) */
  MCTOP_PROBES_SYMBOLS, /* memcached's own functions, by symbol */
};

/* The functions, in the order of mctop_target_t's fns[]. */
enum mctop_fn {
  MCTOP_FN_DO_ITEM_GET,
  MCTOP_FN_DO_ITEM_TOUCH,
  MCTOP_FN_DO_STORE_ITEM,
  MCTOP_FN_DO_ADD_DELTA,
  MCTOP_FN_DO_ITEM_UNLINK,
  MCTOP_FN_ITEM_UNLINK,
  MCTOP_FN_COUNT,
};

/* Rows: a function's entry or return and the event it reports. */
#define MCTOP_FN_ROWS 8

typedef struct {
  enum mctop_fn fn;
  bool ret; /* a return probe */
  unsigned event;
  /* Per site slot (enum mctop_site_arg): the SysV argument register index
   * (0 rdi ... 5 r9), MCTOP_FN_RET for the return value, or -1. */
  signed char reg[MCTOP_SITE_ARGS];
  unsigned char size[MCTOP_SITE_ARGS]; /* bytes; signed when negative */
  bool is_signed[MCTOP_SITE_ARGS];
  /* The parameter's name in every release, where DWARF is checked
   * (symbol_check.h); NULL: only its register and size are. */
  const char *name[MCTOP_SITE_ARGS];
} mctop_fn_row_t;

#define MCTOP_FN_RET 6

extern const mctop_fn_row_t mctop_fn_rows[MCTOP_FN_ROWS];

/* The symbol name of each function. */
const char *mctop_fn_name(enum mctop_fn fn);

/* The out-of-line caller that stands in for fn where a build inlined fn
 * into it (link-time optimisation), or NULL if none does. */
const char *mctop_fn_caller(enum mctop_fn fn);

/* Whether a missing fn only stops one figure (deletes) from being counted,
 * where any other missing function refuses the target. */
bool mctop_fn_optional(enum mctop_fn fn);

/* What symbol mode reads differently between the releases it knows. */
typedef struct {
  const char *first, *last; /* the releases, both included */
  /* Where the item keeps it_flags: 1.5.15 and later a uint16_t at 38;
   * before, a uint8_t nsuffix at 38 and a uint8_t it_flags at 39. */
  bool item_flags_8bit;
  /* store_item is do_store_item's only caller (1.5.x): it can stand in for
   * it.  1.6 also calls do_store_item directly (ma's autovivify). */
  bool store_item_only_caller;
  /* Deletes call do_item_unlink themselves (1.5.14 and later), and
   * item_unlink, the locking wrapper, serves only unlinks that are no
   * delete (a failed set's stale value, extstore): it is probed to tell
   * them apart.  Before 1.5.14 deletes called item_unlink too. */
  bool deletes_unlink_directly;
} mctop_release_t;

/* Whether function fn is probed on release rel at all (item_unlink only
 * where deletes do not call it). */
bool mctop_fn_wanted(enum mctop_fn fn, const mctop_release_t *rel);

/* The release range that holds version v ("1.6.18"), or NULL if symbol
 * mode does not know v. */
const mctop_release_t *mctop_symbols_release(const char *v);

/* The releases it knows, for messages: "1.5.0 to 1.6.45". */
const char *mctop_symbols_versions(void);

/* Fills the site of row r (its event and where its arguments are) for a
 * memcached of release rel. */
int mctop_fn_site(const mctop_fn_row_t *r, const mctop_release_t *rel,
                  struct mctop_site *out);

#endif /* MCTOP_SYMBOL_SITES_H */
