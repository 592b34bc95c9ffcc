/*
 * mctop: finding memcached's own functions in a binary, for symbol
 * mode.  The symbols come from the binary's .symtab (a `make install`
 * build, the official container image), or from its separate debug file
 * (memcached-dbgsym, memcached-debuginfo): found by build id under each
 * debug directory, then by .gnu_debuglink.  A symbol's address is turned
 * into a file offset through the *binary's* program headers
 * (elf_segments.h): in a debug file .text is NOBITS and its section
 * offsets are not the binary's.
 * Last, for a stripped binary (no .symtab) whose debug file is nowhere
 * local: fetched by build id from debuginfod (debuginfod.h).
 */
#ifndef MCTOP_ELF_SYMBOLS_H
#define MCTOP_ELF_SYMBOLS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "debuginfod.h"
#include "file_image.h"

/* Fetches a debug file by build id: mctop_debuginfod_fetch's signature. */
typedef int (*mctop_fetch_debug_t)(const unsigned char *id, size_t id_len,
                                   double timeout, const char *what,
                                   mctop_debuginfod_accept_t accept, void *arg,
                                   char *from, size_t fromlen, char *err,
                                   size_t errlen);

/* The system's debug directory, where Debian and Fedora install them. */
#define MCTOP_DEBUG_DIR_DEFAULT "/usr/lib/debug"

typedef struct {
  const void *bin; /* the binary's bytes, in memory (file_image.h) */
  size_t bin_size;
  const char *bin_name; /* for messages: the binary's path */
  /* Debug files are looked for inside this root (root_open.h): the
   * target's /proc/PID/root for a process (a container's files), "/" for
   * a host binary.  root_name is how messages show it ("/proc/PID/root",
   * or ""). */
  int root_fd;
  const char *root_name;
  /* For .gnu_debuglink: the binary's directory as its own root sees it. */
  const char *bin_dir;
  const char *const *debug_dirs;
  size_t debug_dirs_num;
  /* Asked when a binary without .symtab has no debug file in any of those
   * places (NULL: never; the fuzzer and bench/floor), with fetch_seconds
   * to answer.  A file it brings must have the binary's build id. */
  mctop_fetch_debug_t fetch;
  double fetch_seconds;
  /* If not NULL: where the symbols came from a debug file (found or
   * fetched), its copy is handed over here (for its DWARF); else it stays
   * empty. */
  mctop_image_t *keep_debug;
} mctop_symbol_query_t;

/* What was found for one wanted function. */
typedef struct {
  uint64_t offset; /* file offset of its first instruction; 0: absent */
  uint64_t vaddr;  /* its address, as the symbol file's DWARF names it */
  /* The table also holds a compiler clone of it (name.constprop.N,
   * .isra.N, .part.N, ...; not .cold, which is no entry): callers may call
   * the clone instead, where a probe on the function misses them. */
  bool clone;
} mctop_symbol_t;

/*
 * Looks up names[0..n) as function symbols.  Returns 0 when a symbol table
 * holding at least one of them was found (out[i].offset 0 for the others),
 * with the file it came from in symfile; -1 with err saying what was
 * searched when none was.
 */
int mctop_find_functions(const mctop_symbol_query_t *q,
                         const char *const *names, size_t n,
                         mctop_symbol_t *out, char *symfile, size_t symlen,
                         char *err, size_t errlen);

#endif /* MCTOP_ELF_SYMBOLS_H */
