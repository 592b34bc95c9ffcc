/*
 * mctop: symbol mode's functions.  Signatures from memcached's
 * source (items.c, memcached.c, proto_text.c) of each supported version;
 * README "Symbol mode" lists which command reaches which function.
 */
#include "symbol_sites.h"

#include <string.h>

#include "usdt_args.h"

static const char *const fn_names[MCTOP_FN_COUNT] = {
    [MCTOP_FN_DO_ITEM_GET] = "do_item_get",
    [MCTOP_FN_DO_ITEM_TOUCH] = "do_item_touch",
    [MCTOP_FN_DO_STORE_ITEM] = "do_store_item",
    [MCTOP_FN_DO_ADD_DELTA] = "do_add_delta",
};

const char *mctop_fn_name(enum mctop_fn fn) { return fn_names[fn]; }

#define NA -1
#define RET MCTOP_FN_RET

/* Slots: connid, key, keylen, size (or return value), flag. */
const mctop_fn_row_t mctop_fn_rows[MCTOP_FN_ROWS] = {
    /* item *do_item_get(const char *key, const size_t nkey, uint32_t hv,
     *                   conn *c | LIBEVENT_THREAD *t, const bool do_update) */
    {MCTOP_FN_DO_ITEM_GET,
     false,
     MCTOP_EV_FN_GET,
     {NA, 0, 1, NA, 4},
     {0, 8, 8, 0, 1},
     {0}},
    {MCTOP_FN_DO_ITEM_GET,
     true,
     MCTOP_EV_FN_GET_RET,
     {NA, NA, NA, RET, NA},
     {0, 0, 0, 8, 0},
     {0}},
    /* item *do_item_touch(key, nkey, exptime, hv, c | t): its first
     * statement is do_item_get(key, nkey, hv, c | t, DO_UPDATE) */
    {MCTOP_FN_DO_ITEM_TOUCH,
     false,
     MCTOP_EV_FN_TOUCH,
     {NA, NA, NA, NA, NA},
     {0},
     {0}},
    /* enum store_item_type do_store_item(item *it, int comm, ...) */
    {MCTOP_FN_DO_STORE_ITEM,
     false,
     MCTOP_EV_FN_STORE,
     {NA, 0, NA, NA, 1},
     {0, 8, 0, 0, 4},
     {0, 0, 0, 0, 1}},
    {MCTOP_FN_DO_STORE_ITEM,
     true,
     MCTOP_EV_FN_STORE_RET,
     {NA, NA, NA, RET, NA},
     {0, 0, 0, 4, 0},
     {0, 0, 0, 1, 0}},
    /* enum delta_result_type do_add_delta(conn *c | LIBEVENT_THREAD *t,
     *     const char *key, const size_t nkey, const bool incr, ...) */
    {MCTOP_FN_DO_ADD_DELTA,
     false,
     MCTOP_EV_FN_DELTA,
     {NA, 1, 2, NA, 3},
     {0, 8, 8, 0, 1},
     {0}},
};

static const char *const versions[] = {"1.6.18", "1.6.38", "1.6.45"};

bool mctop_symbols_version_ok(const char *v) {
  for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
    if (strcmp(v, versions[i]) == 0)
      return true;
  return false;
}

const char *mctop_symbols_versions(void) { return "1.6.18, 1.6.38 and 1.6.45"; }

/* The SysV argument registers, then the return value's. */
static const char *const regs[] = {"rdi", "rsi", "rdx", "rcx",
                                   "r8",  "r9",  "rax"};

int mctop_fn_site(const mctop_fn_row_t *r, struct mctop_site *out) {
  memset(out, 0, sizeof(*out));
  out->event = r->event;
  for (size_t slot = 0; slot < MCTOP_SITE_ARGS; slot++) {
    if (r->reg[slot] == NA)
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
