/*
 * Unit tests: symbol mode's checks against DWARF and symbols
 * (attach/symbol_check.c, dwarf_facts.c, elf_symbols.c), on real compiler
 * output: tests/unit/symcheck_fixture.c built with `gcc -g -O2` in each of
 * its variants, then read and judged as target.c does.
 *
 * With arguments it judges one file instead, e.g. a memcached build:
 *   test_symbol_check
 * /var/cache/mctop/memcached-1.6.24-rel-lto/memcached 1.6.24
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dwarf_facts.h"
#include "file_image.h"
#include "symbol_check.h"
#include "tap.h"

static char dir[] = "/tmp/mctop-symcheck.XXXXXX";

typedef struct {
  int rc; /* mctop_symbols_judge's, or -2: could not be read */
  bool dwarf;
  mctop_symbol_verdict_t v;
  char why[1024];
  const char *site[MCTOP_FN_COUNT];
} verdict_t;

/* Reads path and judges it as memcached version, as target.c does. */
static void judge(const char *path, const char *version, verdict_t *out) {
  const char *names[MCTOP_SYMBOL_NAMES];
  mctop_symbol_t found[MCTOP_SYMBOL_NAMES];
  mctop_image_t bin, debug = {0};
  static const char *const dirs[] = {"/nonexistent"};
  char err[512], symfile[PATH_MAX], bin_dir[PATH_MAX];
  memset(out, 0, sizeof(*out));
  out->rc = -2;
  snprintf(bin_dir, sizeof(bin_dir), "%s", path);
  *strrchr(bin_dir, '/') = '\0';
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || root < 0 ||
      mctop_image_read(fd, path, MCTOP_FILE_IMAGE_MAX, &bin, err,
                       sizeof(err)) != 0) {
    snprintf(out->why, sizeof(out->why), "cannot read %s", path);
    if (root >= 0)
      close(root);
    return;
  }
  mctop_symbol_names(names);
  mctop_symbol_query_t q = {.bin = bin.data,
                            .bin_size = bin.size,
                            .bin_name = path,
                            .root_fd = root,
                            .root_name = "",
                            .bin_dir = bin_dir,
                            .debug_dirs = dirs,
                            .debug_dirs_num = 1,
                            .keep_debug = &debug};
  if (mctop_find_functions(&q, names, MCTOP_SYMBOL_NAMES, found, symfile,
                           sizeof(symfile), err, sizeof(err)) == 0) {
    uint64_t addr[MCTOP_SYMBOL_NAMES];
    mctop_dw_query_t dq;
    mctop_dw_facts_t *dw = calloc(1, sizeof(*dw));
    for (size_t i = 0; i < MCTOP_SYMBOL_NAMES; i++)
      addr[i] = found[i].vaddr;
    mctop_symbol_dw_query(&dq, names, addr);
    mctop_dwarf_facts(debug.data ? debug.data : bin.data,
                      debug.data ? debug.size : bin.size, &dq, dw);
    out->dwarf = dw->has_dwarf;
    out->rc = mctop_symbols_judge(version, found, dw, &out->v, out->why,
                                  sizeof(out->why));
    for (size_t i = 0; out->rc == 0 && i < MCTOP_FN_COUNT; i++)
      out->site[i] =
          out->v.site[i] == MCTOP_SITE_NONE ? "-" : names[out->v.site[i]];
    free(dw);
  } else {
    snprintf(out->why, sizeof(out->why), "%s", err);
  }
  mctop_image_free(&debug);
  mctop_image_free(&bin);
  close(root);
}

static int run(const char *cmd) {
  int rc = system(cmd);
  if (rc != 0)
    printf("# %s: status %d\n", cmd, rc);
  return rc;
}

/* Builds the fixture with flags as dir/name; its path in out. */
static bool build(const char *name, const char *flags, char *out, size_t len) {
  const char *src = getenv("MCTOP_SRCDIR");
  char cmd[2 * PATH_MAX];
  snprintf(out, len, "%s/%s", dir, name);
  snprintf(cmd, sizeof(cmd),
           "gcc -std=gnu11 -g -O2 -w %s -o %s %s/tests/unit/symcheck_fixture.c",
           flags, out, src ? src : ".");
  return run(cmd) == 0;
}

static bool has(const char *s, const char *part) {
  bool ok = strstr(s, part) != NULL;
  if (!ok)
    printf("#   \"%s\" not in \"%s\"\n", part, s);
  return ok;
}

/* Builds variant name with flags and judges it as version. */
static void variant(const char *name, const char *flags, const char *version,
                    verdict_t *v) {
  char path[PATH_MAX];
  if (!build(name, flags, path, sizeof(path))) {
    memset(v, 0, sizeof(*v));
    v->rc = -2;
    snprintf(v->why, sizeof(v->why), "gcc failed");
    return;
  }
  judge(path, version, v);
}

static void accepted(void) {
  verdict_t v;
  variant("plain", "", "1.5.22", &v);
  CHECK(v.rc == 0 && v.dwarf && !v.v.by_dwarf,
        "a known release whose DWARF "
        "agrees is accepted (%s)",
        v.why);
  CHECK(v.rc == 0 && strcmp(v.site[MCTOP_FN_DO_ITEM_GET], "do_item_get") == 0 &&
            strcmp(v.site[MCTOP_FN_DO_ITEM_TOUCH], "do_item_touch") == 0,
        "each function is traced at itself");
  variant("plain", "", "1.6.46", &v);
  CHECK(v.rc == 0 && v.v.by_dwarf && !v.v.release->item_flags_8bit &&
            !v.v.release->store_item_only_caller,
        "an unknown release whose DWARF confirms every fact is accepted, "
        "by DWARF, with 16-bit flags and no store_item standing in (%s)",
        v.why);
  variant("8bit", "-DITEM_8BIT", "1.4.39", &v);
  CHECK(v.rc == 0 && v.v.by_dwarf && v.v.release->item_flags_8bit,
        "an unknown release with nsuffix at 38 is read with 8-bit it_flags "
        "at 39 (%s)",
        v.why);
  variant("8bit", "-DITEM_8BIT", "1.5.14", &v);
  CHECK(v.rc == 0 && !v.v.by_dwarf, "1.5.14's layout agrees with 1.5.14 (%s)",
        v.why);
  variant("plain", "", "", &v);
  CHECK(v.rc == 0 && v.v.by_dwarf,
        "a build whose version string was not found is judged by its DWARF");
}

static void refused(void) {
  verdict_t v;
  variant("8bit", "-DITEM_8BIT", "1.6.24", &v);
  CHECK(v.rc == -1 && has(v.why, ": its DWARF says struct _stritem.it_flags "
                                 "is at 39, not 38: symbol mode would read "
                                 "the wrong values"),
        "the 1.5.0-1.5.14 layout in a 1.6.24 is refused naming it_flags");
  variant("shifted", "-DSHIFT_NKEY", "1.6.24", &v);
  CHECK(v.rc == -1 && has(v.why, "struct _stritem.nkey is at 42, not 41") &&
            has(v.why, "./configure --enable-dtrace"),
        "a field inserted before nkey is refused, naming the fact and the "
        "fix");
  variant("shifted", "-DSHIFT_NKEY", "1.6.46", &v);
  CHECK(v.rc == -1 && has(v.why, "struct _stritem.nkey is at 42, not 41"),
        "... also in a release not in the table");
  variant("reorder", "-DREORDER_GET", "1.6.24", &v);
  CHECK(v.rc == -1 && has(v.why, "do_item_get's 5th parameter is `c` (8 "
                                 "bytes), not do_update (1 byte)"),
        "do_item_get's parameters in another order are refused (%s)", v.why);
  variant("stored2", "-DSTORED_2", "1.6.24", &v);
  CHECK(v.rc == -1 && has(v.why, "STORED (enum store_item_type) is 2, not 1"),
        "STORED other than 1 is refused");
}

static void inlining(void) {
  verdict_t v;
  variant("inline-get", "-DINLINE_GET", "1.6.24", &v);
  CHECK(v.rc == -1 && has(v.why, ": do_item_get is inlined into ") &&
            has(v.why, "and no caller can stand in for it: symbol mode "
                       "would miss the calls there"),
        "do_item_get out of line and inlined elsewhere is refused");
  variant("touch-gone", "-DTOUCH_GONE", "1.6.24", &v);
  CHECK(v.rc == 0 && strcmp(v.site[MCTOP_FN_DO_ITEM_TOUCH], "item_touch") == 0,
        "do_item_touch inlined into item_touch alone: item_touch stands in "
        "(%s)",
        v.why);
  variant("touch-split", "-DTOUCH_SPLIT", "1.6.24", &v);
  CHECK(v.rc == 0 && strcmp(v.site[MCTOP_FN_DO_ITEM_TOUCH], "item_touch") == 0,
        "do_item_touch out of line but inlined into item_touch: item_touch "
        "stands in, so the inlined calls are not missed (%s)",
        v.why);
  variant("touch-stray", "-DTOUCH_STRAY", "1.6.24", &v);
  CHECK(v.rc == -1 && has(v.why, "item_touch cannot stand in for it "
                                 "(do_item_touch is inlined elsewhere too)"),
        "do_item_touch inlined into item_touch and another caller is "
        "refused");
}

/* The delete rows (do_item_unlink, item_unlink), checked from their table
 * entries alone; deletes are optional: where they cannot be traced
 * soundly, the rest still is. */
static void deletes(void) {
  verdict_t v;
  variant("plain", "", "1.6.24", &v);
  CHECK(v.rc == 0 &&
            strcmp(v.site[MCTOP_FN_DO_ITEM_UNLINK], "do_item_unlink") == 0 &&
            strcmp(v.site[MCTOP_FN_ITEM_UNLINK], "item_unlink") == 0,
        "do_item_unlink and item_unlink are traced at themselves (%s)", v.why);
  variant("8bit", "-DITEM_8BIT", "1.5.0", &v);
  CHECK(v.rc == 0 && strcmp(v.site[MCTOP_FN_ITEM_UNLINK], "-") == 0,
        "item_unlink is not probed where deletes call it (1.5.0)");
  variant("reorder-unlink", "-DREORDER_UNLINK", "1.6.24", &v);
  CHECK(v.rc == -1 && has(v.why, "do_item_unlink's 1st parameter is `hv` (4 "
                                 "bytes), not it (8 bytes)"),
        "do_item_unlink(hv, it) is refused from its row alone");
  variant("unlink-split", "-DUNLINK_SPLIT", "1.6.24", &v);
  CHECK(v.rc == 0 && strcmp(v.site[MCTOP_FN_DO_ITEM_UNLINK], "-") == 0 &&
            has(v.v.dropped, "do_item_unlink is inlined into item_unlink") &&
            strcmp(v.site[MCTOP_FN_DO_ITEM_GET], "do_item_get") == 0,
        "do_item_unlink inlined into item_unlink too: deletes are not "
        "traced, the rest is");
}

/* What symbols alone show, and DWARF read from a debug file. */
static void files(void) {
  char path[PATH_MAX], cmd[4 * PATH_MAX];
  verdict_t v;
  if (!build("clone", "", path, sizeof(path)))
    return;
  snprintf(cmd, sizeof(cmd),
           "objcopy --add-symbol "
           "do_add_delta.constprop.0=.text:0x10,function,global %s",
           path);
  run(cmd);
  judge(path, "1.6.24", &v);
  CHECK(v.rc == -1 && has(v.why, "do_add_delta has a compiler clone"),
        "a clone of do_add_delta (.constprop) is refused");
  build("stripped", "-DREORDER_GET", path, sizeof(path));
  snprintf(cmd, sizeof(cmd), "strip -g %s", path);
  run(cmd);
  judge(path, "1.6.24", &v);
  CHECK(v.rc == 0 && !v.dwarf,
        "without DWARF, a known release is read from the table");
  judge(path, "1.6.46", &v);
  CHECK(v.rc == -1 && has(v.why, "symbol mode reads the functions of "
                                 "memcached 1.5.0 to 1.6.45 only"),
        "without DWARF, an unknown release is refused by name");
  build("zlib", "-DSHIFT_NKEY", path, sizeof(path));
  snprintf(cmd, sizeof(cmd), "objcopy --compress-debug-sections=zlib %s", path);
  run(cmd);
  judge(path, "1.6.24", &v);
  CHECK(v.rc == -1 && has(v.why, "nkey is at 42, not 41"),
        "compressed DWARF sections are read");
  build("debugfile", "-DREORDER_GET", path, sizeof(path));
  snprintf(cmd, sizeof(cmd),
           "cd %s && objcopy --only-keep-debug debugfile debugfile.debug && "
           "objcopy --strip-all --add-gnu-debuglink=debugfile.debug "
           "debugfile",
           dir);
  run(cmd);
  judge(path, "1.6.24", &v);
  CHECK(v.rc == -1 && v.dwarf && has(v.why, "do_item_get's 5th parameter"),
        "a stripped binary is checked against its debug file's DWARF");
}

int main(int argc, char **argv) {
  if (argc == 3) {
    verdict_t v;
    judge(argv[1], argv[2], &v);
    printf("rc %d dwarf %d by_dwarf %d%s\n", v.rc, v.dwarf, v.v.by_dwarf,
           v.why);
    for (size_t i = 0; v.rc == 0 && i < MCTOP_FN_COUNT; i++)
      printf("  %s\n", v.site[i]);
    return v.rc == 0 ? 0 : 1;
  }
  if (mkdtemp(dir) == NULL)
    return 1;
  accepted();
  refused();
  inlining();
  deletes();
  files();
  char cmd[PATH_MAX];
  snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
  run(cmd);
  return tap_done();
}
