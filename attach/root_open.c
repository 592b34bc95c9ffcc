/*
 * mctop: opening a path inside a root (see root_open.h).
 */
#define _GNU_SOURCE
#include "root_open.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* As the kernel's own limit on symlinks followed in one lookup. */
#define LINKS_MAX 40

int mctop_root_open(pid_t pid) {
  char path[64];
  if (pid <= 0)
    return open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
  return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

int mctop_open_in_root(int root, const char *path, int flags) {
  struct open_how how = {
      .flags = (unsigned)flags,
      .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  long fd = syscall(SYS_openat2, root, path, &how, sizeof(how));
  if (fd >= 0 || errno != ENOSYS)
    return (int)fd;
  return mctop_open_in_root_walk(root, path, flags);
}

/* The walk's state: the directory reached so far and the path left. */
typedef struct {
  int root, cur;
  struct stat root_st;
  char rest[2 * PATH_MAX];
  unsigned links;
} walk_t;

static bool at_root(const walk_t *w) {
  struct stat st;
  return fstat(w->cur, &st) == 0 && st.st_dev == w->root_st.st_dev &&
         st.st_ino == w->root_st.st_ino;
}

static int move_to(walk_t *w, int fd) {
  if (fd < 0)
    return -1;
  close(w->cur);
  w->cur = fd;
  return 0;
}

/* Replaces the path left by the symlink at fd's target and what followed
 * it; an absolute target starts again at root. */
static int follow(walk_t *w, int fd, const char *after) {
  char target[PATH_MAX], joined[sizeof(w->rest)];
  ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);
  if (n <= 0 || ++w->links > LINKS_MAX) {
    errno = n <= 0 ? EINVAL : ELOOP;
    return -1;
  }
  target[n] = '\0';
  if ((size_t)snprintf(joined, sizeof(joined), "%s/%s", target, after) >=
      sizeof(joined)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(w->rest, joined, sizeof(joined));
  if (target[0] == '/')
    return move_to(w, openat(w->root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  return 0;
}

/* Takes one step: the first component of w->rest.  1 when the file is
 * open in *out, 0 to go on, -1 on error. */
static int step(walk_t *w, int flags, int *out) {
  char *p = w->rest;
  while (*p == '/')
    p++;
  size_t len = strcspn(p, "/");
  if (len == 0) { /* the path named a directory */
    errno = EISDIR;
    return -1;
  }
  char comp[NAME_MAX + 1], after[sizeof(w->rest)];
  if (len > NAME_MAX) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(comp, p, len);
  comp[len] = '\0';
  snprintf(after, sizeof(after), "%s", p + len + strspn(p + len, "/"));
  bool last = after[0] == '\0';
  memcpy(w->rest, after, sizeof(after));
  if (strcmp(comp, ".") == 0)
    return last ? (errno = EISDIR, -1) : 0;
  if (strcmp(comp, "..") == 0) { /* never above root */
    if (last)
      return errno = EISDIR, -1;
    return at_root(w) ? 0
                      : move_to(w, openat(w->cur, "..",
                                          O_PATH | O_DIRECTORY | O_CLOEXEC));
  }
  int fd = openat(w->cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    if (fd >= 0)
      close(fd);
    return -1;
  }
  if (S_ISLNK(st.st_mode)) {
    int rc = follow(w, fd, after);
    close(fd);
    return rc;
  }
  if (!last)
    return move_to(w, fd);
  close(fd);
  /* O_NOFOLLOW: if comp became a symlink since, this fails (ELOOP). */
  *out = openat(w->cur, comp, flags | O_NOFOLLOW);
  return *out >= 0 ? 1 : -1;
}

int mctop_open_in_root_walk(int root, const char *path, int flags) {
  walk_t w = {.root = root, .links = 0};
  if (fstat(root, &w.root_st) != 0)
    return -1;
  if ((size_t)snprintf(w.rest, sizeof(w.rest), "%s", path) >= sizeof(w.rest)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  w.cur = openat(root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (w.cur < 0)
    return -1;
  int fd = -1, rc;
  while ((rc = step(&w, flags, &fd)) == 0)
    ;
  int saved = errno;
  close(w.cur);
  errno = saved;
  return rc == 1 ? fd : -1;
}
