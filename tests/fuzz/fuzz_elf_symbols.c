/*
 * libFuzzer target: mctop_find_functions() (attach/elf_symbols.c), which
 * reads the symbol tables, build id and .gnu_debuglink of the memcached
 * binary a config names, and of the debug files those lead to.
 *
 * Each input is a binary and a debug file: a 2-byte little-endian length,
 * that many bytes of binary, the rest the debug file.  The debug file is
 * written as bin/d.debug inside a scratch root (the seeds' debuglink names
 * it), where the search resolves paths as in a container's root; the root
 * also holds an absolute symlink, bin/.debug/d.debug -> /proc/self/exe,
 * which must never be read (it would name a host file).  Any broken
 * invariant calls abort().
 */
#define _GNU_SOURCE

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_symbols.h"

static char root_name[64];
static int root_fd = -1;
static char debug_path[128];

static void fail(const char *what) {
  fprintf(stderr, "fuzz_elf_symbols: %s\n", what);
  abort();
}

/* The scratch root goes when the fuzzer exits. */
static void remove_root(void) {
  char p[PATH_MAX];
  unlink(debug_path);
  snprintf(p, sizeof(p), "%s/bin/.debug/d.debug", root_name);
  unlink(p);
  snprintf(p, sizeof(p), "%s/bin/.debug", root_name);
  rmdir(p);
  snprintf(p, sizeof(p), "%s/bin", root_name);
  rmdir(p);
  rmdir(root_name);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  char dir[PATH_MAX], link[PATH_MAX + 16];
  snprintf(root_name, sizeof(root_name), "/tmp/fuzz_elf_symbols.XXXXXX");
  if (mkdtemp(root_name) == NULL)
    fail("mkdtemp");
  snprintf(debug_path, sizeof(debug_path), "%s/bin/d.debug", root_name);
  snprintf(dir, sizeof(dir), "%s/bin", root_name);
  if (mkdir(dir, 0700) != 0)
    fail("mkdir bin");
  snprintf(dir, sizeof(dir), "%s/bin/.debug", root_name);
  if (mkdir(dir, 0700) != 0)
    fail("mkdir bin/.debug");
  snprintf(link, sizeof(link), "%s/d.debug", dir);
  if (symlink("/proc/self/exe", link) != 0)
    fail("symlink");
  atexit(remove_root);
  root_fd = open(root_name, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0)
    fail("open root");
  return 0;
}

static void put_debug(const uint8_t *data, size_t size) {
  FILE *f = fopen(debug_path, "wb");
  if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
    fail("writing the debug file");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2)
    return 0;
  size_t bin_size = (size_t)data[0] | (size_t)data[1] << 8;
  if (bin_size > size - 2)
    bin_size = size - 2;
  /* Exactly sized copies: AddressSanitizer sees a read past either end. */
  unsigned char *bin = malloc(bin_size + 1);
  if (bin == NULL)
    return 0;
  memcpy(bin, data + 2, bin_size);
  put_debug(data + 2 + bin_size, size - 2 - bin_size);
  static const char *const names[] = {"do_item_get", "do_store_item",
                                      "seed_get", "main"};
  static const char *const dirs[] = {"/usr/lib/debug"};
  mctop_symbol_query_t q = {.bin = bin,
                            .bin_size = bin_size,
                            .bin_name = "/bin/memcached",
                            .root_fd = root_fd,
                            .root_name = root_name,
                            .bin_dir = "/bin",
                            .debug_dirs = dirs,
                            .debug_dirs_num = 1};
  mctop_symbol_t out[4];
  char symfile[256], err[512], want[256];
  memset(out, 0xA5, sizeof(out));
  symfile[0] = err[0] = '\0';
  int rc = mctop_find_functions(&q, names, 4, out, symfile, sizeof(symfile),
                                err, sizeof(err));
  free(bin);
  if (rc != 0 && rc != -1)
    fail("returned neither 0 nor -1");
  if (rc == -1 && (err[0] == '\0' || memchr(err, '\0', sizeof(err)) == NULL))
    fail("failed without a NUL-terminated message");
  for (size_t i = 0; i < 4; i++)
    if (rc == 0 && out[i].offset >= bin_size && out[i].offset != 0)
      fail("an offset past the end of the binary");
  snprintf(want, sizeof(want), "%s/bin/d.debug", root_name);
  if (rc == 0 && strcmp(symfile, "/bin/memcached") != 0 &&
      strcmp(symfile, want) != 0)
    fail("symbols from a file that is neither the binary nor bin/d.debug "
         "(the symlink out of the root was followed)");
  return 0;
}
