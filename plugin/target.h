/*
 * mctop plugin: what a traced memcached binary offers.  Read before loading
 * the BPF program, because what the binary fires decides what to attach and
 * how to rank keys.
 */
#ifndef MCTOP_TARGET_H
#define MCTOP_TARGET_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "usdt_notes.h"

typedef struct {
  char path[PATH_MAX]; /* the binary, or /proc/PID/exe */
  pid_t pid;           /* -1: every process running path */
  char version[32];    /* "1.6.18", or "" if not found */
  mctop_usdt_list_t notes;
  /* Text and meta commands fire command probes.  memcached 1.6.40 and later
   * removed those calls (they remain for the binary protocol only) unless
   * built with contrib/memcached-1.6.45-command-probes.patch. */
  bool text_command_probes;
} mctop_target_t;

/* Reads path's probes and version.  Logs, and returns -1, when the file
 * cannot be traced (missing, not ELF, no memcached probes); returns -ESRCH,
 * without a word, when process pid has exited. */
int mctop_target_inspect(mctop_target_t *t, const char *instance,
                         const char *path, pid_t pid);

void mctop_target_free(mctop_target_t *t);

#endif /* MCTOP_TARGET_H */
