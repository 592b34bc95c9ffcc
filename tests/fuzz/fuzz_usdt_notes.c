/*
 * libFuzzer target: mctop_usdt_list() (attach/usdt_notes.c), which reads the
 * SystemTap SDT notes of the memcached binary a config names.
 *
 * mctop_usdt_list() parses a file's copy in memory (attach/file_image.h):
 * each input is copied to a buffer of exactly its size, so that
 * AddressSanitizer sees any read past the end.  Any broken invariant calls
 * abort(); LeakSanitizer checks that mctop_usdt_free() frees every name.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usdt_notes.h"

static void fail(const char *what) {
  fprintf(stderr, "fuzz_usdt_notes: %s\n", what);
  abort();
}

static void check_list(const mctop_usdt_list_t *l, size_t file_size) {
  size_t sites = 0;
  if (l->names_num > MCTOP_USDT_MAX_PROBES)
    fail("more names than MCTOP_USDT_MAX_PROBES");
  for (size_t i = 0; i < l->names_num; i++) {
    if (l->names[i] == NULL || l->sites[i] == 0)
      fail("a listed name is NULL or has no call site");
    for (size_t j = 0; j < i; j++)
      if (strcmp(l->names[i], l->names[j]) == 0)
        fail("a name is listed twice");
    if (!mctop_usdt_has(l, l->names[i]) ||
        mctop_usdt_sites(l, l->names[i]) != l->sites[i] ||
        mctop_usdt_nargs(l, l->names[i]) != l->nargs[i])
      fail("mctop_usdt_has/_sites/_nargs disagree with the list");
    sites += l->sites[i];
  }
  if (l->site_num > MCTOP_USDT_MAX_SITES)
    fail("more attach sites than MCTOP_USDT_MAX_SITES");
  if (sites > l->notes_num)
    fail("more call sites than notes");
  if (l->site_num > sites)
    fail("more attach sites than call sites");
  for (size_t i = 0; i < l->site_num; i++)
    if (l->site_list[i].name >= l->names_num || l->site_list[i].args == NULL ||
        l->site_list[i].offset >= file_size ||
        l->site_list[i].sema_offset >= file_size)
      fail("an attach site names no listed probe, has no arguments or lies "
           "past the end of the file");
  /* A name looked up whether or not the list holds it. */
  unsigned want = 0;
  for (size_t i = 0; i < l->names_num && want == 0; i++)
    if (strcmp(l->names[i], "command__get") == 0)
      want = l->sites[i];
  if (mctop_usdt_sites(l, "command__get") != want ||
      mctop_usdt_has(l, "command__get") != (want > 0))
    fail("lookup of command__get disagrees with the list");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mctop_usdt_list_t list;
  char err[256];
  unsigned char *copy = malloc(size + 1);
  if (copy == NULL)
    return 0;
  memcpy(copy, data, size);
  memset(&list, 0xA5, sizeof(list)); /* must be reset either way */
  err[0] = '\0';
  int rc = mctop_usdt_list(copy, size, "fuzz input", "memcached", &list, err,
                           sizeof(err));
  free(copy);
  if (rc != 0) {
    /* Callers (attach/target.c) free nothing on failure, so nothing may be
     * left to free: LeakSanitizer would report it. */
    if (err[0] == '\0' || memchr(err, '\0', sizeof(err)) == NULL)
      fail("failed without a NUL-terminated message");
    if (list.names_num != 0)
      fail("failed but listed names");
    return 0;
  }
  check_list(&list, size);
  mctop_usdt_free(&list);
  if (list.names_num != 0 || list.notes_num != 0 || list.site_num != 0)
    fail("mctop_usdt_free left names behind");
  return 0;
}
