/*
 * mctop: judging a memcached for symbol mode (symbol_check.h).
 */
#include "symbol_check.h"

#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "mctop.h"

/* Every name is asked of the DWARF at once, and where an inlined copy
 * lies is a bit per name (mctop_dw_fn_t's inlined_into). */
_Static_assert(MCTOP_SYMBOL_NAMES <= MCTOP_DW_NAMES && MCTOP_DW_NAMES <= 32,
               "symbol mode's names fit one DWARF query");

void mctop_symbol_names(const char *names[MCTOP_SYMBOL_NAMES]) {
  for (size_t i = 0; i < MCTOP_FN_COUNT; i++) {
    const char *c = mctop_fn_caller((enum mctop_fn)i);
    names[i] = mctop_fn_name((enum mctop_fn)i);
    names[MCTOP_FN_COUNT + i] = c ? c : names[i];
  }
}

/*
 * The item's members the BPF program reads (bpf/mctop.h: the header at
 * MCTOP_ITEM_HEAD_OFF read as struct mctop_item_head, the key at
 * MCTOP_ITEM_DATA_OFF), with where it reads them; it_flags is 16 bits at
 * 38 from 1.5.15, 8 bits at 39 before.  refcount and slabs_clsid lie in
 * that header too, but nothing reads them: a release that moved them is
 * read right, so they are not checked.
 */
enum { M_NBYTES, M_IT_FLAGS, M_NKEY, M_DATA, M_COUNT };
static const char *const members[M_COUNT] = {"nbytes", "it_flags", "nkey",
                                             "data"};
#define HEAD(f) (MCTOP_ITEM_HEAD_OFF + offsetof(struct mctop_item_head, f))
#define FIELD(f) sizeof(((struct mctop_item_head *)0)->f)

static void want_member(int m, bool flags_8bit, int *off, int *size) {
  static const int offs[M_COUNT] = {HEAD(nbytes), HEAD(it_flags), HEAD(nkey),
                                    MCTOP_ITEM_DATA_OFF};
  static const int sizes[M_COUNT] = {FIELD(nbytes), FIELD(it_flags),
                                     FIELD(nkey), -1};
  *off = offs[m] + (m == M_IT_FLAGS && flags_8bit);
  *size = m == M_IT_FLAGS && flags_8bit ? 1 : sizes[m];
}

void mctop_symbol_dw_query(mctop_dw_query_t *q,
                           const char *const names[MCTOP_SYMBOL_NAMES],
                           const uint64_t addr[MCTOP_SYMBOL_NAMES]) {
  memset(q, 0, sizeof(*q));
  q->names = names;
  q->addr = addr;
  q->n = MCTOP_SYMBOL_NAMES;
  q->struct_name = "_stritem";
  q->members = members;
  q->nmembers = M_COUNT;
  q->enum_name = "store_item_type";
  q->enumerator = "STORED";
}

/*
 * Releases outside the table whose DWARF confirmed every fact it can hold:
 * read as their item layout says, store_item never standing in (which
 * callers do_store_item has is no fact DWARF holds).
 *
 * Why accepting them is sound enough to do.  The DWARF confirms what a new
 * release is most likely to change and what would silently misread
 * memory: every register the rows read (position, size and name), the
 * return values' sizes, the item's nbytes, it_flags, nkey and data (where
 * the BPF program reads them, in either flags layout) and STORED (an
 * enumerator).  What it cannot confirm are the #defines ITEM_CAS (2) and
 * NREAD_ADD..NREAD_CAS (1-6; 1.6.45 added 7 and 8 after them), and the
 * shape of the code: do_item_touch calling do_item_get first, and which
 * unlink the deletes call (do_item_unlink from 1.5.14, item_unlink before:
 * taken from the flags layout, which changed one release later).  These have
 * not changed since 1.4 (every tag 1.5.0-1.6.45 was read), they are part
 * of memcached's storage and protocol plumbing rather than a signature a
 * refactor touches, and a release changing them would also change the
 * functions' bodies, not only their layout.  So a release past the table
 * is traced with a notice saying it was confirmed by DWARF (and what was
 * taken on trust), and one without DWARF is refused by name.  If a future
 * release does change one of them, its range goes into releases[] with a
 * site field saying how to read it, as for 1.5.0-1.5.14's flags.
 */
static const mctop_release_t by_dwarf[2] = {
    {"", "", false, false, true}, /* deletes call do_item_unlink: 1.5.14+ */
    {"", "", true, false, false}, /* the 8-bit flags: before 1.5.14 */
};

static const char *plural(int n) { return n == 1 ? "" : "s"; }

/* Each check: 1 confirmed, 0 not described (or no DWARF), -1 contradicted
 * (why says how). */
static int check_item(const mctop_dw_facts_t *dw, bool *flags_8bit, bool decide,
                      char *why, size_t len) {
  const mctop_dw_member_t *f = &dw->member[M_IT_FLAGS];
  if (!dw->struct_found)
    return 0;
  if (dw->struct_differs) {
    snprintf(why, len, "its DWARF defines struct _stritem twice, differently");
    return -1;
  }
  if (decide) /* from the DWARF: 8 bits at 39, else what 1.5.15+ reads */
    *flags_8bit = f->found && f->offset == HEAD(it_flags) + 1 && f->size == 1;
  int confirmed = 1;
  for (int m = 0; m < M_COUNT; m++) {
    const mctop_dw_member_t *g = &dw->member[m];
    int off, size;
    want_member(m, *flags_8bit, &off, &size);
    if (!g->found) {
      snprintf(why, len,
               "struct _stritem has no member %s, which mctop reads "
               "at %d",
               members[m], off);
      return -1;
    }
    if (g->offset < 0 || (size > 0 && g->size < 0)) {
      confirmed = 0;
    } else if (g->offset != off) {
      snprintf(why, len, "struct _stritem.%s is at %d, not %d", members[m],
               g->offset, off);
      return -1;
    } else if (size > 0 && g->size != size) {
      snprintf(why, len, "struct _stritem.%s is %d byte%s, not %d", members[m],
               g->size, plural(g->size), size);
      return -1;
    }
  }
  return confirmed;
}

static int check_stored(const mctop_dw_facts_t *dw, char *why, size_t len) {
  if (!dw->enum_found)
    return 0;
  if (dw->enum_value == MCTOP_STORE_STORED)
    return 1;
  snprintf(why, len, "STORED (enum store_item_type) is %lld, not %d",
           dw->enum_value, MCTOP_STORE_STORED);
  return -1;
}

static const char *ordinal(unsigned n, char *buf, size_t len) {
  const char *sfx = n % 10 == 1 && n % 100 != 11   ? "st"
                    : n % 10 == 2 && n % 100 != 12 ? "nd"
                    : n % 10 == 3 && n % 100 != 13 ? "rd"
                                                   : "th";
  snprintf(buf, len, "%u%s", n, sfx);
  return buf;
}

static const char *const reg_names[] = {"rdi", "rsi", "rdx", "rcx", "r8", "r9"};
static const char *const slot_names[MCTOP_SITE_ARGS] = {
    "the connection", "the key", "the key length", "the size", "the flag"};

/* One argument a row reads from register reg: the parameter there. */
static int check_param(const mctop_dw_fn_t *f, const char *site, int reg,
                       int size, const char *name, int slot, char *why,
                       size_t len) {
  char shown[MCTOP_ESCAPED_SIZE(MCTOP_DW_NAME)], nth[16], wanted[96];
  snprintf(wanted, sizeof(wanted), "%s (%d byte%s)",
           name ? name : slot_names[slot], size, plural(size));
  unsigned kept = f->nparams < MCTOP_DW_PARAMS ? f->nparams : MCTOP_DW_PARAMS;
  for (unsigned i = 0; i < kept; i++) {
    const mctop_dw_param_t *p = &f->param[i];
    if (p->reg == MCTOP_DW_REG_UNKNOWN || p->size < 0)
      return 0; /* from here on, which register is which is unknown */
    if (p->reg != reg)
      continue;
    if (p->size == size && (name == NULL || strcmp(p->name, name) == 0))
      return 1;
    mctop_esc(p->name, shown, sizeof(shown));
    snprintf(why, len, "%s's %s parameter is `%s` (%d byte%s), not %s", site,
             ordinal(i + 1, nth, sizeof(nth)), shown, p->size, plural(p->size),
             wanted);
    return -1;
  }
  if (kept < f->nparams)
    return 0;
  snprintf(why, len, "%s has %u parameter%s, none in %s, where mctop reads %s",
           site, f->nparams, plural((int)f->nparams), reg_names[reg], wanted);
  return -1;
}

/* The rows of fn, read at site (fn itself, or the caller standing in for
 * it: then the names, which are the callee's, are not compared). */
static int check_rows(const mctop_dw_fn_t *f, enum mctop_fn fn,
                      const char *site, bool caller, char *why, size_t len) {
  int confirmed = 1;
  if (!f->described)
    return 0;
  if (f->nocall) {
    snprintf(why, len,
             "%s does not take its arguments the standard way "
             "(DW_CC_nocall)",
             site);
    return -1;
  }
  for (size_t r = 0; r < MCTOP_FN_ROWS; r++) {
    const mctop_fn_row_t *row = &mctop_fn_rows[r];
    for (int slot = 0; row->fn == fn && slot < MCTOP_SITE_ARGS; slot++) {
      int reg = row->reg[slot], size = row->size[slot], rc;
      if (reg < 0)
        continue;
      if (reg == MCTOP_FN_RET) {
        rc = f->ret_size < 0 ? 0 : f->ret_size == size ? 1 : -1;
        if (rc < 0)
          snprintf(why, len, "%s returns %d byte%s, not %d", site, f->ret_size,
                   plural(f->ret_size), size);
      } else {
        rc = check_param(f, site, reg, size, caller ? NULL : row->name[slot],
                         slot, why, len);
      }
      if (rc < 0)
        return -1;
      confirmed &= rc;
    }
  }
  return confirmed;
}

/* What a function's symbol does not cover, or "" : calls into its inlined
 * copies or its clones, which a probe on the symbol misses. */
static void split(const char *name, const mctop_symbol_t *sym,
                  const mctop_dw_fn_t *f, bool dwarf, char *out, size_t len) {
  char shown[MCTOP_ESCAPED_SIZE(MCTOP_DW_NAME)];
  out[0] = '\0';
  if (dwarf && f->inlined > 0) {
    mctop_esc(f->inlined_in[0] ? f->inlined_in : "(unnamed)", shown,
              sizeof(shown));
    snprintf(out, len, "%s is inlined into %s%s", name, shown,
             f->inlined > 1 ? " and elsewhere" : "");
  } else if (sym->clone) {
    snprintf(out, len,
             "%s has a compiler clone (%s.constprop, .isra or "
             ".part) that callers may call instead",
             name, name);
  }
}

/* Which site traces fn: 0 with *site set (MCTOP_SITE_NONE, and dropped
 * saying why where it has a symbol, for an optional function that cannot be
 * traced soundly), or -1 with why. */
static int choose(enum mctop_fn fn, const mctop_release_t *rel,
                  const mctop_symbol_t *found, const mctop_dw_facts_t *dw,
                  bool dwarf, unsigned *site, char *dropped, char *why,
                  size_t len) {
  const char *names[MCTOP_SYMBOL_NAMES];
  unsigned i = fn, c = MCTOP_FN_COUNT + fn;
  char fsplit[320], csplit[320];
  mctop_symbol_names(names);
  const char *name = names[i], *caller = mctop_fn_caller(fn);
  split(name, &found[i], &dw->fn[i], dwarf, fsplit, sizeof(fsplit));
  *site = i;
  if (!mctop_fn_wanted(fn, rel)) {
    *site = MCTOP_SITE_NONE;
    return 0;
  }
  if (found[i].offset != 0 && fsplit[0] == '\0')
    return 0;
  if (mctop_fn_optional(fn) && !caller) { /* target.c says what it costs */
    *site = MCTOP_SITE_NONE;
    if (fsplit[0] && dropped[0] == '\0')
      snprintf(dropped, sizeof(((mctop_symbol_verdict_t *)0)->dropped), "%s",
               fsplit);
    return 0;
  }
  /* The caller stands in only where it is fn's only caller (read in the
   * sources: mctop_fn_caller), it is out of line and whole, and the DWARF
   * shows no copy of fn inlined anywhere but into it. */
  bool sound =
      caller && (fn != MCTOP_FN_DO_STORE_ITEM || rel->store_item_only_caller);
  uint32_t into_caller = 0;
  for (unsigned j = 0; caller && j < MCTOP_SYMBOL_NAMES; j++)
    if (strcmp(names[j], caller) == 0)
      into_caller |= 1u << j;
  bool stray = dwarf && (dw->fn[i].inlined_elsewhere > 0 ||
                         (dw->fn[i].inlined_into & ~into_caller) != 0);
  csplit[0] = '\0';
  if (caller)
    split(caller, &found[c], &dw->fn[c], dwarf, csplit, sizeof(csplit));
  if (sound && !stray && found[c].offset != 0 && csplit[0] == '\0') {
    *site = c;
    return 0;
  }
  if (found[i].offset == 0 && (!caller || found[c].offset == 0 || !sound)) {
    snprintf(why, len,
             " has no %s%s%s%s (inlined by link-time "
             "optimisation?): symbol mode would count its commands as "
             "something else, so it is not traced; rebuild memcached without "
             "-flto, or with ./configure --enable-dtrace for its USDT probes",
             name, caller ? " and no " : "", caller ? caller : "",
             caller && !sound ? " that can stand in for it (this release "
                                "also calls it from elsewhere)"
                              : "");
    return -1;
  }
  /* fn is missing or split, and its caller cannot stand in. */
  if (fsplit[0] == '\0')
    snprintf(fsplit, sizeof(fsplit),
             "there is no %s (inlined by link-time "
             "optimisation?)",
             name);
  char cwhy[400];
  if (!caller)
    snprintf(cwhy, sizeof(cwhy), "no caller can stand in for it");
  else if (!sound)
    snprintf(cwhy, sizeof(cwhy),
             "%s cannot stand in for it (this release "
             "also calls it from elsewhere)",
             caller);
  else if (found[c].offset == 0)
    snprintf(cwhy, sizeof(cwhy), "there is no %s to stand in for it", caller);
  else if (csplit[0])
    snprintf(cwhy, sizeof(cwhy), "%s cannot stand in for it: %s", caller,
             csplit);
  else
    snprintf(cwhy, sizeof(cwhy),
             "%s cannot stand in for it (%s is inlined "
             "elsewhere too)",
             caller, name);
  snprintf(why, len,
           ": %s, and %s: symbol mode would miss the calls there, "
           "so it is not traced; rebuild memcached without -flto, or with "
           "./configure --enable-dtrace for its USDT probes",
           fsplit, cwhy);
  return -1;
}

/* A refusal in why: ": its DWARF says <fact>: <consequence>; <fix>". */
static int refuse_fact(const char *fact, char *why, size_t len) {
  snprintf(why, len,
           ": its DWARF says %s: symbol mode would read the wrong "
           "values, so it is not traced; rebuild memcached with ./configure "
           "--enable-dtrace for its USDT probes",
           fact);
  return -1;
}

int mctop_symbols_judge(const char *version,
                        const mctop_symbol_t found[MCTOP_SYMBOL_NAMES],
                        const mctop_dw_facts_t *dw, mctop_symbol_verdict_t *v,
                        char *why, size_t len) {
  const char *names[MCTOP_SYMBOL_NAMES];
  char fact[400] = "";
  const char *unread = NULL; /* a fact the DWARF does not describe */
  bool dwarf = dw->has_dwarf && !dw->cut, flags_8bit = false;
  int rc;
  mctop_symbol_names(names);
  memset(v, 0, sizeof(*v));
  v->release = mctop_symbols_release(version);
  if (!v->release && !dwarf) {
    snprintf(why, len,
             ": symbol mode reads the functions of memcached %s "
             "only (their arguments and the item layout differ between "
             "versions, and mctop does not guess them; a build with DWARF, "
             "memcached's default -g or its debug symbols, is checked "
             "instead); rebuild memcached with ./configure --enable-dtrace "
             "for its USDT probes",
             mctop_symbols_versions());
    return -1;
  }
  if (v->release)
    flags_8bit = v->release->item_flags_8bit;
  rc = dwarf ? check_item(dw, &flags_8bit, !v->release, fact, sizeof(fact)) : 0;
  if (rc < 0)
    return refuse_fact(fact, why, len);
  if (rc == 0)
    unread = "struct _stritem";
  if (!v->release)
    v->release = &by_dwarf[flags_8bit];
  rc = dwarf ? check_stored(dw, fact, sizeof(fact)) : 0;
  if (rc < 0)
    return refuse_fact(fact, why, len);
  if (rc == 0 && !unread)
    unread = "enum store_item_type";
  for (unsigned i = 0; i < MCTOP_FN_COUNT; i++)
    if (choose((enum mctop_fn)i, v->release, found, dw, dwarf, &v->site[i],
               v->dropped, why, len) != 0)
      return -1;
  for (unsigned i = 0; dwarf && i < MCTOP_FN_COUNT; i++) {
    unsigned s = v->site[i];
    if (s == MCTOP_SITE_NONE)
      continue;
    rc = check_rows(&dw->fn[s], (enum mctop_fn)i, names[s], s != i, fact,
                    sizeof(fact));
    if (rc < 0)
      return refuse_fact(fact, why, len);
    if (rc == 0 && !unread)
      unread = names[s];
  }
  if (mctop_symbols_release(version) != NULL)
    return 0;
  if (unread) {
    snprintf(why, len,
             ": symbol mode reads the functions of memcached %s "
             "only, and where a release is not one of them it must confirm "
             "every fact from the DWARF, which does not describe %s; rebuild "
             "memcached with ./configure --enable-dtrace for its USDT probes",
             mctop_symbols_versions(), unread);
    return -1;
  }
  v->by_dwarf = true;
  return 0;
}
