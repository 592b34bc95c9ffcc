/*
 * mctop plugin: inspecting a target binary.
 */
#include "target.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "version.h"

#define PROVIDER "memcached"

/*
 * The binary protocol has two command__get call sites in every 1.6 release
 * (hit and miss, proto_bin.c); the text and meta protocols add three more
 * (proto_text.c) where they fire the probe at all.
 */
#define BINARY_PROTOCOL_GET_SITES 2

static void read_version(mctop_target_t *t) {
  int fd = open(t->path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0) {
    if (fd >= 0)
      close(fd);
    return;
  }
  void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (m == MAP_FAILED)
    return;
  mctop_find_version(m, (size_t)st.st_size, t->version, sizeof(t->version));
  munmap(m, (size_t)st.st_size);
}

int mctop_target_inspect(mctop_target_t *t, const char *instance,
                         const char *path, pid_t pid) {
  char err[512];
  memset(t, 0, sizeof(*t));
  snprintf(t->path, sizeof(t->path), "%s", path);
  t->pid = pid;
  /* A process that exited since it was listed is not an error. */
  if (pid > 0 && access(path, R_OK) != 0 && (errno == ENOENT || errno == ESRCH))
    return -ESRCH;
  if (mctop_usdt_list(path, PROVIDER, &t->notes, err, sizeof(err)) != 0) {
    MCTOP_ERROR("instance \"%s\": %s", instance, err);
    return -1;
  }
  if (t->notes.names_num == 0) {
    MCTOP_ERROR("instance \"%s\": %s has no " PROVIDER " USDT probes (%zu "
                "probe notes in all): rebuild memcached with "
                "./configure --enable-dtrace (needs systemtap-sdt-dev)",
                instance, path, t->notes.notes_num);
    mctop_usdt_free(&t->notes);
    return -1;
  }
  read_version(t);
  t->text_command_probes =
      mctop_usdt_sites(&t->notes, "command__get") > BINARY_PROTOCOL_GET_SITES;
  if (!t->text_command_probes)
    MCTOP_NOTICE("instance \"%s\": memcached %s at %s fires no command "
                 "probes for text and meta commands (removed upstream in "
                 "1.6.40): per-key counts come from key lookups "
                 "(assoc__find), per-command detail only from the binary "
                 "protocol. contrib/memcached-1.6.45-command-probes.patch "
                 "restores them",
                 instance, t->version[0] ? t->version : "(version unknown)",
                 path);
  return 0;
}

void mctop_target_free(mctop_target_t *t) { mctop_usdt_free(&t->notes); }
