/*
 * mctop: inspecting a target binary.
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
/* proto_bin.c's dispatch_bin_command() fires process__command__start in
 * every 1.6 release; proto_text.c adds one site where it still does. */
#define BINARY_PROTOCOL_START_SITES 1

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

/* Where the binary's debug files may be: the root it lives under and its
 * directory as that root sees it. */
static void binary_place(const mctop_target_t *t, char *root, size_t rlen,
                         char *dir, size_t dlen) {
  char link[PATH_MAX];
  int pid = 0, used = 0;
  const char *inside = t->path;
  root[0] = '\0';
  if (t->pid > 0) { /* /proc/PID/exe: the path in the process's root */
    snprintf(root, rlen, "/proc/%d/root", (int)t->pid);
    ssize_t n = readlink(t->path, link, sizeof(link) - 1);
    link[n > 0 ? n : 0] = '\0';
    inside = link;
  } else if (sscanf(t->path, "/proc/%d/root%n", &pid, &used) == 1 &&
             t->path[used] == '/') {
    snprintf(root, rlen, "/proc/%d/root", pid);
    inside = t->path + used;
  }
  snprintf(dir, dlen, "%s", inside);
  char *slash = strrchr(dir, '/');
  if (slash != NULL)
    *(slash == dir ? slash + 1 : slash) = '\0';
}

/* A function's entry: after an endbr64 (-fcf-protection builds), where the
 * arguments are still in their registers.  Says once if the instruction
 * there is one the kernel single-steps (~10x the cost of an emulated push). */
static void adjust_entry(mctop_target_t *t, const char *instance, size_t i) {
  unsigned char b[4];
  if (t->fns[i].offset == 0 ||
      mctop_read_at(t->path, t->fns[i].offset, b, sizeof(b)) != 0)
    return;
  if (memcmp(b, "\xf3\x0f\x1e\xfa", 4) == 0) {
    t->fns[i].offset += 4;
    if (mctop_read_at(t->path, t->fns[i].offset, b, sizeof(b)) != 0)
      return;
  }
  bool push = b[0] == 0x55 || b[0] == 0x53 ||
              (b[0] == 0x41 && b[1] >= 0x54 && b[1] <= 0x57);
  if (!push)
    MCTOP_NOTICE("instance \"%s\": %s in %s starts with an instruction the "
                 "kernel single-steps (0x%02x): each call costs about ten "
                 "times a probe hit",
                 instance, mctop_fn_name((enum mctop_fn)i), t->path, b[0]);
}

static int inspect_symbols(mctop_target_t *t, const char *instance,
                           const mctop_inspect_opts_t *o) {
  static const char *const system_dirs[] = {MCTOP_DEBUG_DIR_DEFAULT};
  const char *names[MCTOP_FN_COUNT];
  char root[64], dir[PATH_MAX], err[1024];
  for (size_t i = 0; i < MCTOP_FN_COUNT; i++)
    names[i] = mctop_fn_name((enum mctop_fn)i);
  binary_place(t, root, sizeof(root), dir, sizeof(dir));
  mctop_symbol_query_t q = {
      .path = t->path,
      .root = root,
      .bin_dir = dir,
      .debug_dirs = o->debug_dirs ? o->debug_dirs : system_dirs,
      .debug_dirs_num = o->debug_dirs ? o->debug_dirs_num : 1,
  };
  if (mctop_find_functions(&q, names, MCTOP_FN_COUNT, t->fns, t->symfile,
                           sizeof(t->symfile), err, sizeof(err)) != 0 ||
      t->fns[MCTOP_FN_DO_ITEM_GET].offset == 0) {
    MCTOP_ERROR("instance \"%s\": %s has no memcached USDT probes and no "
                "symbols (%s): install the memcached debug symbols (Debian: "
                "memcached-dbgsym) or rebuild memcached with ./configure "
                "--enable-dtrace",
                instance, t->path,
                t->symfile[0] ? "do_item_get is missing" : err);
    return -1;
  }
  if (!mctop_symbols_version_ok(t->version)) {
    MCTOP_ERROR("instance \"%s\": memcached %s at %s: symbol mode reads the "
                "functions of memcached %s only (their arguments and the item "
                "layout differ between versions, and mctop does not guess "
                "them); rebuild memcached with ./configure --enable-dtrace "
                "for its USDT probes",
                instance, t->version[0] ? t->version : "(version not found)",
                t->path, mctop_symbols_versions());
    return -1;
  }
  for (size_t i = 0; i < MCTOP_FN_COUNT; i++)
    adjust_entry(t, instance, i);
  t->symbols = true;
  t->text_command_probes = true; /* every protocol reaches the functions */
  t->timed = MCTOP_TIMED_NONE;   /* no function marks a command's end */
  return 0;
}

int mctop_target_inspect(mctop_target_t *t, const char *instance,
                         const char *path, pid_t pid,
                         const mctop_inspect_opts_t *o) {
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
  read_version(t);
  bool usdt = t->notes.names_num > 0;
  if (o->probes == MCTOP_PROBES_SYMBOLS ||
      (o->probes == MCTOP_PROBES_AUTO && !usdt)) {
    if (inspect_symbols(t, instance, o) == 0)
      return 0;
    mctop_usdt_free(&t->notes);
    return -1;
  }
  if (!usdt) {
    MCTOP_ERROR("instance \"%s\": %s has no " PROVIDER " USDT probes (%zu "
                "probe notes in all): rebuild memcached with "
                "./configure --enable-dtrace (needs systemtap-sdt-dev), or "
                "use Probes \"auto\" to trace its functions",
                instance, path, t->notes.notes_num);
    mctop_usdt_free(&t->notes);
    return -1;
  }
  t->text_command_probes =
      mctop_usdt_sites(&t->notes, "command__get") > BINARY_PROTOCOL_GET_SITES;
  unsigned starts = mctop_usdt_sites(&t->notes, "process__command__start");
  if (starts == 0 || mctop_usdt_sites(&t->notes, "process__command__end") == 0)
    t->timed = MCTOP_TIMED_NONE;
  else
    t->timed = starts <= BINARY_PROTOCOL_START_SITES ? MCTOP_TIMED_BINARY
                                                     : MCTOP_TIMED_ALL;
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
