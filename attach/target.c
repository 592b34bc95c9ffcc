/*
 * mctop: inspecting a target binary.
 */
#define _GNU_SOURCE /* O_PATH */
#include "target.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backoff.h"
#include "debuginfod.h"
#include "errors.h"
#include "escape.h"
#include "fn_entry.h"
#include "log.h"
#include "options.h"
#include "root_open.h"
#include "symbol_check.h"
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

/* Where the target's file is, as its own root sees it. */
typedef struct {
  int root;           /* O_PATH descriptor of that root */
  char root_name[64]; /* "/proc/PID/root", or "" for the host's */
  char dir[PATH_MAX]; /* the binary's directory inside root */
} place_t;

static void set_dir(place_t *pl, const char *inside) {
  snprintf(pl->dir, sizeof(pl->dir), "%s", inside);
  char *slash = strrchr(pl->dir, '/');
  if (slash != NULL)
    *(slash == pl->dir ? slash + 1 : slash) = '\0';
}

/* For a path "/proc/N/root/rest": N, and where rest starts (the "/");
 * 0 for any other path. */
static pid_t container_path(const char *path, const char **rest) {
  int pid = 0, used = 0;
  if (sscanf(path, "/proc/%d/root%n", &pid, &used) != 1 || pid <= 0 ||
      path[used] != '/')
    return 0;
  *rest = path + used;
  return (pid_t)pid;
}

/*
 * Opens the target's file once, in the root it belongs to:
 *  - a process (/proc/PID/exe): the kernel's own reference to the file it
 *    runs, whatever its path now names; debug files in /proc/PID/root;
 *  - Binary "/proc/N/root/...": resolved inside that root (an absolute
 *    symlink in a container stays in the container);
 *  - any other Binary: a host path from the operator's config, resolved
 *    as the host resolves it.
 * Returns the descriptor, or -1 with errno.
 */
static int open_target(const mctop_target_t *t, place_t *pl) {
  char link[PATH_MAX];
  const char *rest;
  pid_t pid;
  pl->root = -1;
  pl->root_name[0] = '\0';
  if (t->pid > 0) {
    int fd = open(t->path, MCTOP_OPEN_FLAGS);
    ssize_t n = fd >= 0 ? readlink(t->path, link, sizeof(link) - 1) : -1;
    link[n > 0 ? n : 0] = '\0';
    set_dir(pl, link);
    snprintf(pl->root_name, sizeof(pl->root_name), "/proc/%d/root",
             (int)t->pid);
    if (fd >= 0 && (pl->root = mctop_root_open(t->pid)) < 0) {
      close(fd);
      return -1;
    }
    return fd;
  }
  if ((pid = container_path(t->path, &rest)) > 0) {
    snprintf(pl->root_name, sizeof(pl->root_name), "/proc/%d/root", (int)pid);
    set_dir(pl, rest);
    if ((pl->root = mctop_root_open(pid)) < 0)
      return -1;
    return mctop_open_in_root(pl->root, rest, MCTOP_OPEN_FLAGS);
  }
  set_dir(pl, t->path);
  if ((pl->root = mctop_root_open(0)) < 0)
    return -1;
  return open(t->path, MCTOP_OPEN_FLAGS);
}

/* Function i's probe, past what the kernel would single-step at its
 * first byte (fn_entry.h), where its arguments are still in their
 * registers.  Says once if the instruction there is still one the kernel
 * single-steps (a second trap per call). */
static void adjust_entry(mctop_target_t *t, const char *instance, size_t i) {
  uint64_t off = t->fns[i].offset;
  if (off == 0 || off >= t->bin.size)
    return;
  const unsigned char *b = t->bin.data + off;
  size_t avail = t->bin.size - off < 64 ? t->bin.size - off : 64;
  size_t body = mctop_fn_entry_body(b, avail);
  if (i == MCTOP_FN_DO_ITEM_UNLINK) {
    bool narrow = t->release->item_flags_8bit;
    body = mctop_fn_entry_unlink_body(
        b, avail, body,
        MCTOP_ITEM_HEAD_OFF + offsetof(struct mctop_item_head, it_flags) +
            (narrow ? 1 : 0),
        narrow);
  }
  t->fns[i].offset += body;
  if (body < avail && !mctop_fn_entry_emulated(b + body, avail - body))
    MCTOP_NOTICE("instance \"%s\": %s in %s starts with an instruction the "
                 "kernel single-steps (0x%02x): each call costs about ten "
                 "times a probe hit",
                 instance, t->fn_site[i], t->shown, b[body]);
}

/* The DWARF of the file the symbols came from: the debug file (kept by
 * mctop_find_functions), or the binary itself. */
static void read_dwarf(const mctop_target_t *t, const mctop_image_t *debug,
                       const char *const *names, const mctop_symbol_t *found,
                       mctop_dw_facts_t *dw) {
  uint64_t addr[MCTOP_SYMBOL_NAMES];
  mctop_dw_query_t q;
  for (size_t i = 0; i < MCTOP_SYMBOL_NAMES; i++)
    addr[i] = found[i].vaddr;
  mctop_symbol_dw_query(&q, names, addr);
  if (debug->data != NULL)
    mctop_dwarf_facts(debug->data, debug->size, &q, dw);
  else
    mctop_dwarf_facts(t->bin.data, t->bin.size, &q, dw);
}

/* The seconds a debuginfod fetch may take now (debuginfod.h). */
static double fetch_seconds(const mctop_inspect_opts_t *o) {
  if (o->debuginfod_until <= 0)
    return MCTOP_DEBUGINFOD_TIMEOUT_DEFAULT;
  return o->debuginfod_until - mctop_now();
}

/* Deletes are counted at do_item_unlink, and where item_unlink serves
 * only unlinks that are no delete, it must be probed too, or a failed
 * set's would count as one.  Without a sound pair deletes are not counted,
 * which the warning and gauge-probe-do_item_unlink (0) say: never a wrong
 * count.  split: why symbol_check.c left one of them unprobed though it
 * has a symbol (inlined copies, a clone), or "". */
static void deletes_site(mctop_target_t *t, const char *instance,
                         const char *split) {
  mctop_symbol_t *del = &t->fns[MCTOP_FN_DO_ITEM_UNLINK];
  bool wrapper = mctop_fn_wanted(MCTOP_FN_ITEM_UNLINK, t->release);
  const char *missing = del->offset == 0 ? "do_item_unlink"
                        : wrapper && t->fns[MCTOP_FN_ITEM_UNLINK].offset == 0
                            ? "item_unlink"
                            : NULL;
  if (!missing)
    return;
  char what[400];
  if (split[0])
    snprintf(what, sizeof(what), ": %s", split);
  else
    snprintf(what, sizeof(what),
             " has no %s (inlined by link-time optimisation?)", missing);
  del->offset = 0;
  t->fns[MCTOP_FN_ITEM_UNLINK].offset = 0;
  MCTOP_WARNING("instance \"%s\": memcached %s at %s%s: its deletes are not "
                "counted (gauge-probe-do_item_unlink is 0); the other "
                "commands are; rebuild memcached without -flto, or with "
                "./configure --enable-dtrace for its USDT probes, to count "
                "them",
                instance, t->version, t->shown, what);
}

/* Finds the functions, checks them (symbol_check.h) and picks each one's
 * site.  0, or -1 (said). */
static int inspect_symbols(mctop_target_t *t, const char *instance,
                           const place_t *pl, const mctop_inspect_opts_t *o) {
  static const char *const system_dirs[] = {MCTOP_DEBUG_DIR_DEFAULT};
  const char *names[MCTOP_SYMBOL_NAMES];
  mctop_symbol_t found[MCTOP_SYMBOL_NAMES];
  mctop_image_t debug = {0};
  mctop_symbol_verdict_t v;
  char err[2048];
  mctop_symbol_names(names);
  mctop_symbol_query_t q = {
      .bin = t->bin.data,
      .bin_size = t->bin.size,
      .bin_name = t->path,
      .root_fd = pl->root,
      .root_name = pl->root_name,
      .bin_dir = pl->dir,
      .debug_dirs = o->debug_dirs ? o->debug_dirs : system_dirs,
      .debug_dirs_num = o->debug_dirs ? o->debug_dirs_num : 1,
      .fetch = mctop_debuginfod_fetch,
      .fetch_seconds = fetch_seconds(o),
      .keep_debug = &debug,
  };
  if (mctop_find_functions(&q, names, MCTOP_SYMBOL_NAMES, found, t->symfile,
                           sizeof(t->symfile), err, sizeof(err)) != 0 ||
      found[MCTOP_FN_DO_ITEM_GET].offset == 0) {
    mctop_image_free(&debug);
    MCTOP_ERROR("instance \"%s\": %s has no memcached USDT probes and no "
                "symbols (%s): install the memcached debug symbols (Debian: "
                "memcached-dbgsym) or say where they are (DebugDirectory, "
                "DEBUGINFOD_URLS), or rebuild memcached with ./configure "
                "--enable-dtrace",
                instance, t->shown,
                t->symfile[0] ? "do_item_get is missing" : err);
    return -1;
  }
  mctop_dw_facts_t *dw = calloc(1, sizeof(*dw));
  if (dw != NULL)
    read_dwarf(t, &debug, names, found, dw);
  mctop_image_free(&debug);
  int rc = dw ? mctop_symbols_judge(t->version, found, dw, &v, err, sizeof(err))
              : -1;
  bool dwarf = dw && dw->has_dwarf && !dw->cut, oom = dw == NULL;
  free(dw);
  if (rc != 0) {
    MCTOP_ERROR("instance \"%s\": memcached %s at %s%s", instance,
                t->version[0] ? t->version : "(version not found)", t->shown,
                oom ? ": out of memory" : err);
    return -1;
  }
  if (v.by_dwarf)
    MCTOP_NOTICE("instance \"%s\": memcached %s at %s is not one of the "
                 "releases symbol mode was checked on (%s), but its DWARF "
                 "confirms every parameter, item field and STORED it reads, "
                 "so it is traced; what DWARF does not hold (ITEM_CAS, the "
                 "NREAD_* commands, do_item_touch calling do_item_get, which "
                 "unlink deletes call) is "
                 "taken as in every release since 1.5.0",
                 instance, t->version[0] ? t->version : "(version not found)",
                 t->shown, mctop_symbols_versions());
  t->release = v.release;
  t->dwarf_checked = dwarf;
  for (size_t i = 0; i < MCTOP_FN_COUNT; i++) {
    bool none = v.site[i] == MCTOP_SITE_NONE; /* not probed */
    t->fns[i] = none ? (mctop_symbol_t){0} : found[v.site[i]];
    t->fn_site[i] = names[none ? i : v.site[i]];
  }
  deletes_site(t, instance, v.dropped);
  for (size_t i = 0; i < MCTOP_FN_COUNT; i++)
    adjust_entry(t, instance, i);
  t->symbols = true;
  t->text_command_probes = true; /* every protocol reaches the functions */
  t->timed = MCTOP_TIMED_NONE;   /* no function marks a command's end */
  return 0;
}

/* Opens and reads the target's file; 0, -ESRCH (the process is gone) or
 * -1 (said). */
static int read_target(mctop_target_t *t, const char *instance, place_t *pl) {
  char err[512], why[128];
  int fd = open_target(t, pl);
  if (fd < 0) {
    int e = errno;
    /* A process that exited since it was listed is not an error. */
    if (t->pid > 0 && (e == ENOENT || e == ESRCH))
      return -ESRCH;
    MCTOP_ERROR("instance \"%s\": cannot open %s: %s", instance, t->shown,
                mctop_strerror(e, why, sizeof(why)));
    return -1;
  }
  if (mctop_image_read(fd, t->path, MCTOP_FILE_IMAGE_MAX, &t->bin, err,
                       sizeof(err)) != 0) {
    MCTOP_ERROR("instance \"%s\": %s", instance, err);
    return -1;
  }
  mctop_image_attach_path(&t->bin, t->attach_path, sizeof(t->attach_path));
  return 0;
}

static int inspect_file(mctop_target_t *t, const char *instance,
                        const place_t *pl, const mctop_inspect_opts_t *o);

int mctop_target_inspect(mctop_target_t *t, const char *instance,
                         const char *path, pid_t pid,
                         const mctop_inspect_opts_t *o) {
  place_t pl;
  memset(t, 0, sizeof(*t));
  snprintf(t->path, sizeof(t->path), "%s", path);
  mctop_esc(path, t->shown, sizeof(t->shown));
  t->pid = pid;
  int rc = read_target(t, instance, &pl);
  if (rc == 0)
    rc = inspect_file(t, instance, &pl, o);
  if (pl.root >= 0)
    close(pl.root);
  if (rc != 0)
    mctop_target_free(t);
  return rc;
}

/*
 * Whether the file shows no sign of being memcached: no version string
 * (every release prints "memcached X.Y.Z" for -V), no USDT probe of its
 * provider, and none of its functions' names, which are in the file's
 * string table whichever symbol table holds them.  Then the fix is the
 * target, not debug symbols: a mistyped -p or Binary, a ProcessMatch that
 * matched a shell.  A stripped memcached still has its version string.
 */
static bool not_memcached(const mctop_target_t *t) {
  if (t->version[0] != '\0' || t->notes.names_num > 0)
    return false;
  for (size_t i = 0; i < MCTOP_FN_COUNT; i++) {
    const char *name = mctop_fn_name((enum mctop_fn)i);
    if (memmem(t->bin.data, t->bin.size, name, strlen(name) + 1) != NULL)
      return false;
  }
  return true;
}

/* A process is named by its PID and what it runs, as ps shows them. */
static void say_not_memcached(const mctop_target_t *t, const char *instance) {
  char what[64 + MCTOP_ESCAPED_SIZE(256)] = "", link[PATH_MAX];
  ssize_t n = t->pid > 0 ? readlink(t->path, link, sizeof(link) - 1) : -1;
  if (n > 0) {
    char shown[MCTOP_ESCAPED_SIZE(256)]; /* a longer path is cut */
    link[n] = '\0';
    mctop_esc(link, shown, sizeof(shown));
    snprintf(what, sizeof(what), "PID %d (%s)", (int)t->pid, shown);
  }
  MCTOP_ERROR("instance \"%s\": %s is not memcached (no memcached version "
              "string, functions or USDT probes in it): check "
              "" MCTOP_TARGET_OPTIONS,
              instance, what[0] ? what : t->shown);
}

/* What the file offers, and the mode chosen. */
static int inspect_file(mctop_target_t *t, const char *instance,
                        const place_t *pl, const mctop_inspect_opts_t *o) {
  char err[512];
  if (mctop_usdt_list(t->bin.data, t->bin.size, t->path, PROVIDER, &t->notes,
                      err, sizeof(err)) != 0) {
    MCTOP_ERROR("instance \"%s\": %s", instance, err);
    return -1;
  }
  if (t->notes.sites_over > 0) {
    MCTOP_ERROR("instance \"%s\": %s has more than %d " PROVIDER " probe "
                "sites (%zu): memcached has fewer than 50, so this file is "
                "not one mctop traces; it is not looked at again until it "
                "changes",
                instance, t->shown, MCTOP_USDT_MAX_SITES,
                t->notes.site_num + t->notes.sites_over);
    t->never = true;
    return -1;
  }
  mctop_find_version((const char *)t->bin.data, t->bin.size, t->version,
                     sizeof(t->version));
  if (not_memcached(t)) {
    say_not_memcached(t, instance);
    t->never = true; /* looked at again only once the file changes */
    return -1;
  }
  bool usdt = t->notes.names_num > 0;
  if (o->probes == MCTOP_PROBES_SYMBOLS ||
      (o->probes == MCTOP_PROBES_AUTO && !usdt))
    return inspect_symbols(t, instance, pl, o);
  if (!usdt) {
    MCTOP_ERROR("instance \"%s\": %s has no " PROVIDER " USDT probes (%zu "
                "probe notes in all): rebuild memcached with "
                "./configure --enable-dtrace (needs systemtap-sdt-dev), or "
                "use Probes \"auto\" to trace its functions",
                instance, t->shown, t->notes.notes_num);
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
                 t->shown);
  return 0;
}

void mctop_target_free(mctop_target_t *t) {
  mctop_usdt_free(&t->notes);
  mctop_image_free(&t->bin);
}

void mctop_target_attached(mctop_target_t *t) {
  mctop_image_drop_data(&t->bin);
  mctop_image_close(&t->bin); /* the kernel holds the file now */
}

/* The identity of what path names now, as the target was opened. */
static int stat_now(const mctop_target_t *t, struct stat *st) {
  const char *rest;
  pid_t pid = t->pid > 0 ? 0 : container_path(t->path, &rest);
  if (pid == 0) /* /proc/PID/exe (the running file), or a host path */
    return stat(t->path, st);
  int root = mctop_root_open(pid);
  int fd = root >= 0 ? mctop_open_in_root(root, rest, O_PATH | O_CLOEXEC) : -1;
  int rc = fd >= 0 ? fstat(fd, st) : -1;
  if (fd >= 0)
    close(fd);
  if (root >= 0)
    close(root);
  return rc;
}

int mctop_target_check(const mctop_target_t *t) {
  struct stat st;
  if (stat_now(t, &st) != 0)
    return t->pid > 0 ? -ESRCH : -ESTALE;
  return st.st_dev == t->bin.dev && st.st_ino == t->bin.ino ? 0 : -ESTALE;
}
