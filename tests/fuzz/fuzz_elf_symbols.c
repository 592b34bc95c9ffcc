/*
 * libFuzzer target: mctop_find_functions() (libmctop/elf_symbols.c), which
 * reads the symbol tables, build id and .gnu_debuglink of the memcached
 * binary a config names, and of the debug files those lead to.  Each input
 * is written to a memfd and passed as /proc/self/fd/N; debug files are
 * looked for in a directory that does not exist.  Any broken invariant
 * calls abort().
 */
#define _GNU_SOURCE /* memfd_create */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elf_symbols.h"
#include "memfd_input.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  input_open("fuzz_elf_symbols");
  return 0;
}

static void fail(const char *what) {
  fprintf(stderr, "fuzz_elf_symbols: %s\n", what);
  abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  input_put(data, size);
  static const char *const names[] = {"do_item_get", "do_store_item",
                                      "seed_get", "main"};
  static const char *const dirs[] = {"/nonexistent/mctop-fuzz"};
  mctop_symbol_query_t q = {.path = input_path,
                            .root = "",
                            .bin_dir = "/nonexistent/mctop-fuzz",
                            .debug_dirs = dirs,
                            .debug_dirs_num = 1};
  mctop_symbol_t out[4];
  char symfile[256], err[512];
  memset(out, 0xA5, sizeof(out));
  symfile[0] = err[0] = '\0';
  int rc = mctop_find_functions(&q, names, 4, out, symfile, sizeof(symfile),
                                err, sizeof(err));
  if (rc != 0 && rc != -1)
    fail("returned neither 0 nor -1");
  if (rc == -1 && (err[0] == '\0' || memchr(err, '\0', sizeof(err)) == NULL))
    fail("failed without a NUL-terminated message");
  for (size_t i = 0; i < 4; i++)
    if (rc == 0 && out[i].offset >= size && out[i].offset != 0)
      fail("an offset past the end of the file");
  if (rc == 0 && strcmp(symfile, input_path) != 0)
    fail("symbols from a file that is not the input");
  return 0;
}
