/*
 * libFuzzer target: mctop_dwarf_facts() (attach/dwarf_facts.c), which
 * reads the DWARF of the memcached binary or debug file a target hands
 * mctop, and mctop_symbols_judge() (symbol_check.c), which judges it.
 *
 * Each input is one ELF file, taken as the binary: its symbols are looked
 * up as target.c does (mctop_find_functions, with no debug directory and
 * a binary directory that does not exist, so nothing else is read), its
 * DWARF read for those addresses, and the verdict made for a known and an
 * unknown release.  Any broken invariant calls abort().
 */
#define _GNU_SOURCE

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dwarf_facts.h"
#include "elf_symbols.h"
#include "symbol_check.h"

static int root_fd = -1;

static void fail(const char *what) {
  fprintf(stderr, "fuzz_dwarf_facts: %s\n", what);
  abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0)
    fail("open /");
  return 0;
}

static bool terminated(const char *s, size_t size) {
  return memchr(s, '\0', size) != NULL;
}

/* Every string the facts hold ends inside its buffer; counts are sane. */
static void check_facts(const mctop_dw_facts_t *dw) {
  for (size_t i = 0; i < MCTOP_SYMBOL_NAMES; i++) {
    const mctop_dw_fn_t *f = &dw->fn[i];
    if (!terminated(f->inlined_in, sizeof(f->inlined_in)))
      fail("inlined_in not terminated");
    for (size_t p = 0; p < MCTOP_DW_PARAMS; p++) {
      if (!terminated(f->param[p].name, sizeof(f->param[p].name)))
        fail("a parameter name not terminated");
      if (f->param[p].reg < MCTOP_DW_REG_UNKNOWN || f->param[p].reg > 5)
        fail("a parameter in no register mctop knows");
    }
    if (!f->described && (f->nparams != 0 || f->nocall))
      fail("parameters of a function not described");
    if (f->inlined == 0 && (f->inlined_into != 0 || f->inlined_elsewhere))
      fail("where copies lie, but no copy");
  }
  if (!dw->has_dwarf && (dw->struct_found || dw->enum_found))
    fail("facts without DWARF");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *names[MCTOP_SYMBOL_NAMES];
  mctop_symbol_t found[MCTOP_SYMBOL_NAMES];
  uint64_t addr[MCTOP_SYMBOL_NAMES];
  char symfile[256], err[512], why[1024];
  /* An exactly sized copy: AddressSanitizer sees a read past the end. */
  unsigned char *bin = malloc(size + 1);
  if (bin == NULL)
    return 0;
  memcpy(bin, data, size);
  mctop_symbol_names(names);
  mctop_symbol_query_t q = {.bin = bin,
                            .bin_size = size,
                            .bin_name = "/bin/memcached",
                            .root_fd = root_fd,
                            .root_name = "",
                            .bin_dir = "/nonexistent-fuzz-dir",
                            .debug_dirs = NULL,
                            .debug_dirs_num = 0};
  memset(addr, 0, sizeof(addr));
  if (mctop_find_functions(&q, names, MCTOP_SYMBOL_NAMES, found, symfile,
                           sizeof(symfile), err, sizeof(err)) == 0)
    for (size_t i = 0; i < MCTOP_SYMBOL_NAMES; i++)
      addr[i] = found[i].vaddr;
  else
    memset(found, 0, sizeof(found));
  mctop_dw_query_t dq;
  mctop_dw_facts_t *dw = calloc(1, sizeof(*dw));
  if (dw == NULL) {
    free(bin);
    return 0;
  }
  mctop_symbol_dw_query(&dq, names, addr);
  mctop_dwarf_facts(bin, size, &dq, dw);
  check_facts(dw);
  static const char *const versions[] = {"1.6.24", "1.5.14", "9.9.9", ""};
  for (size_t i = 0; i < 4; i++) {
    mctop_symbol_verdict_t v;
    why[0] = '\0';
    int rc = mctop_symbols_judge(versions[i], found, dw, &v, why, sizeof(why));
    if (rc != 0 && rc != -1)
      fail("judged neither 0 nor -1");
    if (rc == -1 && (why[0] == '\0' || !terminated(why, sizeof(why))))
      fail("refused without a reason");
    for (size_t f = 0; rc == 0 && f < MCTOP_FN_COUNT; f++)
      if (v.site[f] != f && v.site[f] != MCTOP_FN_COUNT + f &&
          v.site[f] != MCTOP_SITE_NONE)
        fail("a site that is neither the function nor its caller");
    if (rc == 0 && v.release == NULL)
      fail("accepted without a release");
  }
  free(dw);
  free(bin);
  return 0;
}
