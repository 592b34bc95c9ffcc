/* Unit tests: the releases symbol mode knows, and what each site reads. */
#include "symbol_sites.h"
#include "tap.h"

static bool known(const char *v) { return mctop_symbols_release(v) != NULL; }

static bool flags_8bit(const char *v) {
  return mctop_symbols_release(v)->item_flags_8bit;
}

static bool store_item_stands_in(const char *v) {
  return mctop_symbols_release(v)->store_item_only_caller;
}

int main(void) {
  CHECK(known("1.5.0") && known("1.5.14") && known("1.5.15") &&
            known("1.5.22") && known("1.6.0") && known("1.6.9") &&
            known("1.6.45"),
        "every release 1.5.0-1.6.45 is known, both ends included");
  CHECK(!known("1.4.39") && !known("1.6.46") && !known("1.7.0") &&
            !known("2.0.0"),
        "releases outside 1.5.0-1.6.45 are not");
  CHECK(!known("") && !known("1.6") && !known("1.6.18x") &&
            !known("1.6.18.1") && !known("1.6.-1") && !known("1.6.300"),
        "what is no release is not known");
  CHECK(flags_8bit("1.5.0") && flags_8bit("1.5.14") && !flags_8bit("1.5.15") &&
            !flags_8bit("1.6.45"),
        "8-bit it_flags at 39 up to 1.5.14, 16 bits at 38 from 1.5.15");
  CHECK(store_item_stands_in("1.5.0") && store_item_stands_in("1.5.22") &&
            !store_item_stands_in("1.6.0") && !store_item_stands_in("1.6.45"),
        "store_item stands in for do_store_item in 1.5.x only");
  CHECK(
      !mctop_fn_wanted(MCTOP_FN_ITEM_UNLINK, mctop_symbols_release("1.5.13")) &&
          mctop_fn_wanted(MCTOP_FN_ITEM_UNLINK,
                          mctop_symbols_release("1.5.14")) &&
          mctop_fn_wanted(MCTOP_FN_ITEM_UNLINK,
                          mctop_symbols_release("1.6.45")) &&
          mctop_fn_wanted(MCTOP_FN_DO_ITEM_UNLINK,
                          mctop_symbols_release("1.5.0")),
      "item_unlink is probed from 1.5.14, where deletes stopped calling "
      "it; do_item_unlink on every release");
  CHECK(flags_8bit("1.5.13") && store_item_stands_in("1.5.13") &&
            flags_8bit("1.5.14") && store_item_stands_in("1.5.14"),
        "1.5.13 and 1.5.14, now in rows of their own, keep 1.5's layout");
  CHECK(mctop_fn_optional(MCTOP_FN_DO_ITEM_UNLINK) &&
            mctop_fn_optional(MCTOP_FN_ITEM_UNLINK) &&
            !mctop_fn_optional(MCTOP_FN_DO_ITEM_GET) &&
            !mctop_fn_optional(MCTOP_FN_DO_ITEM_TOUCH) &&
            !mctop_fn_optional(MCTOP_FN_DO_STORE_ITEM) &&
            !mctop_fn_optional(MCTOP_FN_DO_ADD_DELTA),
        "only the delete's functions may be missing (deletes then uncounted)");
  CHECK_STR("item_touch", mctop_fn_caller(MCTOP_FN_DO_ITEM_TOUCH),
            "item_touch stands in for do_item_touch");
  CHECK_STR("store_item", mctop_fn_caller(MCTOP_FN_DO_STORE_ITEM),
            "store_item stands in for do_store_item");
  CHECK(mctop_fn_caller(MCTOP_FN_DO_ITEM_GET) == NULL &&
            mctop_fn_caller(MCTOP_FN_DO_ADD_DELTA) == NULL,
        "nothing stands in for do_item_get or do_add_delta");
  struct mctop_site site;
  bool all = true;
  for (size_t r = 0; r < MCTOP_FN_ROWS; r++) {
    all &= mctop_fn_site(&mctop_fn_rows[r], mctop_symbols_release("1.5.14"),
                         &site) == 0 &&
           site.item_flags_shift == 8;
    all &= mctop_fn_site(&mctop_fn_rows[r], mctop_symbols_release("1.6.9"),
                         &site) == 0 &&
           site.item_flags_shift == 0;
  }
  CHECK(all, "every site of 1.5.14 shifts it_flags by 8, of 1.6.9 by 0");
  return tap_done();
}
