/*
 * mctop: symbol mode's functions.  Signatures from memcached's
 * source (items.c, memcached.c, thread.c, memcached.h) of every release
 * 1.5.0-1.6.45; README "Symbol mode" lists which command reaches which
 * function, and how a new release is added to releases[] below.
 */
#include "symbol_sites.h"

#include <stdio.h>
#include <string.h>

#include "usdt_args.h"

static const char *const fn_names[MCTOP_FN_COUNT] = {
    [MCTOP_FN_DO_ITEM_GET] = "do_item_get",
    [MCTOP_FN_DO_ITEM_TOUCH] = "do_item_touch",
    [MCTOP_FN_DO_STORE_ITEM] = "do_store_item",
    [MCTOP_FN_DO_ADD_DELTA] = "do_add_delta",
    [MCTOP_FN_DO_ITEM_UNLINK] = "do_item_unlink",
    [MCTOP_FN_ITEM_UNLINK] = "item_unlink",
};

const char *mctop_fn_name(enum mctop_fn fn) { return fn_names[fn]; }

/*
 * thread.c of every release 1.5.0-1.6.45: item_touch(key, nkey, exptime,
 * c | t) hashes, locks and returns do_item_touch(key, nkey, exptime, hv,
 * c | t), its only caller; store_item(item, comm, c | t, ...) returns
 * do_store_item(item, comm, c | t, hv, ...).  The registers the rows read
 * (none for the touch; rdi, esi and the return value for the store) hold
 * the same values in caller and callee.  With -flto gcc inlines
 * do_item_touch into item_touch (1.6.9-1.6.45) and, on 1.5.22,
 * do_store_item into store_item.
 */
static const char *const fn_callers[MCTOP_FN_COUNT] = {
    [MCTOP_FN_DO_ITEM_TOUCH] = "item_touch",
    [MCTOP_FN_DO_STORE_ITEM] = "store_item",
};

const char *mctop_fn_caller(enum mctop_fn fn) { return fn_callers[fn]; }

/* No register: a slot the function does not pass. */
#define NO_ARG (-1)
#define RET MCTOP_FN_RET

/* Slots: connid, key, keylen, size (or return value), flag; then each
 * parameter's name, checked against the DWARF (symbol_check.c). */
const mctop_fn_row_t mctop_fn_rows[MCTOP_FN_ROWS] = {
    /* item *do_item_get(const char *key, const size_t nkey, uint32_t hv,
     *                   conn *c | LIBEVENT_THREAD *t, const bool do_update) */
    {MCTOP_FN_DO_ITEM_GET,
     false,
     MCTOP_EV_FN_GET,
     {NO_ARG, 0, 1, NO_ARG, 4},
     {0, 8, 8, 0, 1},
     {0},
     {NULL, "key", "nkey", NULL, "do_update"}},
    {MCTOP_FN_DO_ITEM_GET,
     true,
     MCTOP_EV_FN_GET_RET,
     {NO_ARG, NO_ARG, NO_ARG, RET, NO_ARG},
     {0, 0, 0, 8, 0},
     {0},
     {NULL}},
    /* item *do_item_touch(key, nkey, exptime, hv, c | t): its first
     * statement is do_item_get(key, nkey, hv, c | t, DO_UPDATE) */
    {MCTOP_FN_DO_ITEM_TOUCH,
     false,
     MCTOP_EV_FN_TOUCH,
     {NO_ARG, NO_ARG, NO_ARG, NO_ARG, NO_ARG},
     {0},
     {0},
     {NULL}},
    /* enum store_item_type do_store_item(item *it, int comm, ...) */
    {MCTOP_FN_DO_STORE_ITEM,
     false,
     MCTOP_EV_FN_STORE,
     {NO_ARG, 0, NO_ARG, NO_ARG, 1},
     {0, 8, 0, 0, 4},
     {0, 0, 0, 0, 1},
     {NULL, "it", NULL, NULL, "comm"}},
    {MCTOP_FN_DO_STORE_ITEM,
     true,
     MCTOP_EV_FN_STORE_RET,
     {NO_ARG, NO_ARG, NO_ARG, RET, NO_ARG},
     {0, 0, 0, 4, 0},
     {0, 0, 0, 1, 0},
     {NULL}},
    /* enum delta_result_type do_add_delta(conn *c | LIBEVENT_THREAD *t,
     *     const char *key, const size_t nkey, const bool incr, ...) */
    {MCTOP_FN_DO_ADD_DELTA,
     false,
     MCTOP_EV_FN_DELTA,
     {NO_ARG, 1, 2, NO_ARG, 3},
     {0, 8, 8, 0, 1},
     {0},
     {NULL, "key", "nkey", NULL, "incr"}},
    /* void do_item_unlink(item *it, const uint32_t hv) */
    {MCTOP_FN_DO_ITEM_UNLINK,
     false,
     MCTOP_EV_FN_UNLINK,
     {NO_ARG, 0, NO_ARG, NO_ARG, NO_ARG},
     {0, 8, 0, 0, 0},
     {0},
     {NULL, "it"}},
    /* void item_unlink(item *item): hashes, locks, do_item_unlink(it, hv) */
    {MCTOP_FN_ITEM_UNLINK,
     false,
     MCTOP_EV_FN_UNLINK_NOT_DELETE,
     {NO_ARG, 0, NO_ARG, NO_ARG, NO_ARG},
     {0, 8, 0, 0, 0},
     {0},
     {NULL, "item"}},
};

bool mctop_fn_wanted(enum mctop_fn fn, const mctop_release_t *rel) {
  return fn != MCTOP_FN_ITEM_UNLINK || rel->deletes_unlink_directly;
}

bool mctop_fn_optional(enum mctop_fn fn) {
  return fn == MCTOP_FN_DO_ITEM_UNLINK || fn == MCTOP_FN_ITEM_UNLINK;
}

/*
 * The releases whose facts were read in their source tarballs (every tag
 * 1.5.0-1.6.45, ../shared/memcached-src), the same in all of them: the
 * parameters above (key, nkey, do_update, it, comm, incr in the same
 * registers), do_item_touch calling do_item_get(..., DO_UPDATE) first,
 * STORED == 1, ITEM_CAS == 2, NREAD_* 1-6 (1.6.45 adds 7 and 8), struct
 * _stritem's nbytes at 32, slabs_clsid at 40, nkey at 41 and data at 48.
 * What differs is one row each: the flags byte, whether do_store_item
 * has callers other than store_item, and whether the text and binary
 * deletes (process_delete_command, process_bin_delete) call
 * do_item_unlink or item_unlink (before 1.5.14).  In every release the
 * deletes (meta's process_mdelete_command too) look the key up with
 * do_update false and unlink the item found; the other such lookups that
 * unlink are a failed set's, through item_unlink, and a failed meta set's
 * (process_mset_command, 1.6), which calls do_item_unlink: README's
 * Limits say that one counts as a delete.
 */
static const mctop_release_t releases[] = {
    {"1.5.0", "1.5.13", true, true, false},
    {"1.5.14", "1.5.14", true, true, true},
    {"1.5.15", "1.5.22", false, true, true},
    {"1.6.0", "1.6.45", false, false, true},
};

/* "1.6.18" -> 0x010612 (each part below 256), or -1 if not a release. */
static long version_code(const char *v) {
  unsigned a, b, c;
  int end = -1;
  if (sscanf(v, "%3u.%3u.%3u%n", &a, &b, &c, &end) != 3 || end < 0 ||
      v[end] != '\0' || a > 255 || b > 255 || c > 255)
    return -1;
  return (long)(a << 16 | b << 8 | c);
}

const mctop_release_t *mctop_symbols_release(const char *v) {
  long code = version_code(v);
  if (code < 0)
    return NULL;
  for (size_t i = 0; i < sizeof(releases) / sizeof(releases[0]); i++)
    if (code >= version_code(releases[i].first) &&
        code <= version_code(releases[i].last))
      return &releases[i];
  return NULL;
}

const char *mctop_symbols_versions(void) { return "1.5.0 to 1.6.45"; }

/* The SysV argument registers, then the return value's. */
static const char *const regs[] = {"rdi", "rsi", "rdx", "rcx",
                                   "r8",  "r9",  "rax"};

int mctop_fn_site(const mctop_fn_row_t *r, const mctop_release_t *rel,
                  struct mctop_site *out) {
  memset(out, 0, sizeof(*out));
  out->event = r->event;
  out->item_flags_shift = rel->item_flags_8bit ? 8 : 0;
  for (size_t slot = 0; slot < MCTOP_SITE_ARGS; slot++) {
    if (r->reg[slot] == NO_ARG)
      continue;
    int off = mctop_pt_regs_offset(regs[r->reg[slot]]);
    if (off < 0)
      return -1; /* not x86-64 */
    struct mctop_arg_spec *a = &out->arg[slot];
    a->kind = MCTOP_ARG_REG;
    a->reg_off = (__u16)off;
    a->shift = (__u8)(64 - 8 * r->size[slot]);
    a->is_signed = r->is_signed[slot];
  }
  return 0;
}
