/*
 * mctop: what a traced memcached binary offers.  Read when a target is
 * first seen, before anything is attached to it: what the binary fires
 * decides what to attach and how to rank keys.
 */
#ifndef MCTOP_TARGET_H
#define MCTOP_TARGET_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "elf_symbols.h"
#include "escape.h"
#include "file_image.h"
#include "symbol_sites.h"
#include "usdt_notes.h"

/* What inspecting a target may use (the instance's options). */
typedef struct {
  enum mctop_probes probes;
  const char *const *debug_dirs; /* NULL: the system's */
  size_t debug_dirs_num;
  /* Monotonic seconds (CLOCK_MONOTONIC) by which debuginfod fetches end:
   * the targets inspected in one interval share DebuginfodTimeout.  0:
   * MCTOP_DEBUGINFOD_TIMEOUT_DEFAULT seconds from now. */
  double debuginfod_until;
} mctop_inspect_opts_t;

typedef struct {
  char path[PATH_MAX];                 /* the binary, or /proc/PID/exe */
  char shown[MCTOP_ESCAPED_SIZE(256)]; /* path (cut) escaped, for messages */
  pid_t pid;                           /* -1: every process running path */
  /* The file, opened once: parsed from this copy, attached through
   * attach_path (/proc/self/fd/N), so that uprobes land on the file that
   * was inspected, whatever path names by then.  Released once attached;
   * bin.dev and bin.ino stay for mctop_target_check. */
  mctop_image_t bin;
  char attach_path[32];
  bool never;       /* the file can never be traced: not looked at until it
                       changes */
  char version[32]; /* "1.6.18", or "" if not found */
  mctop_usdt_list_t notes;
  /* Text and meta commands fire command probes.  memcached 1.6.40 and later
   * removed those calls (they remain for the binary protocol only) unless
   * built with contrib/memcached-1.6.45-command-probes.patch. */
  bool text_command_probes;
  /* Which commands process__command__start/end time (option Latency). */
  enum {
    MCTOP_TIMED_NONE,   /* no such probes (or symbol mode) */
    MCTOP_TIMED_BINARY, /* the binary protocol's only (1.6.40 and later) */
    MCTOP_TIMED_ALL,
  } timed;
  /* Symbol mode: traced through memcached's own functions, found in
   * symfile (the binary or its debug file): fns[i] is function i, or the
   * caller fn_site[i] names where the build inlined it there. */
  bool symbols;
  const mctop_release_t *release;
  bool dwarf_checked; /* the symbol file's DWARF was read and checked */
  mctop_symbol_t fns[MCTOP_FN_COUNT];
  const char *fn_site[MCTOP_FN_COUNT];
  char symfile[PATH_MAX];
} mctop_target_t;

/* Opens path once (see open_target in target.c for which root each kind
 * of path is resolved in), reads its probes and version, and chooses USDT
 * or symbol mode (option Probes).  Logs, and returns -1, when the file
 * cannot be traced (missing, not a regular file, too big, not ELF, neither
 * probes nor symbols, a version symbol mode does not know and no DWARF
 * confirms, a fact the DWARF contradicts, a function missing or inlined
 * with no caller to stand in: symbol_check.h); returns -ESRCH,
 * without a word, when process pid has exited.  On success the file stays
 * open for attaching. */
int mctop_target_inspect(mctop_target_t *t, const char *instance,
                         const char *path, pid_t pid,
                         const mctop_inspect_opts_t *o);

void mctop_target_free(mctop_target_t *t);

/* After attaching: 0 if path still names the file inspected (for a
 * process: it still runs it), -ESTALE if it names another (replaced, or
 * the process exec'd), -ESRCH if the process is gone. */
int mctop_target_check(const mctop_target_t *t);

/* Attached: the file's copy and descriptor are no longer needed. */
void mctop_target_attached(mctop_target_t *t);

#endif /* MCTOP_TARGET_H */
