/* Unit tests: opening a path inside a root (root_open.c), with openat2 and
 * with the component walk kernels without it get, and reading the file into
 * memory (file_image.c).  A scratch directory stands in for a container's
 * root; a file beside it stands in for the host's. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_image.h"
#include "root_open.h"
#include "tap.h"

static char top[64], root[PATH_MAX], host_file[PATH_MAX];
static int root_fd;

typedef int open_fn(int root, const char *path, int flags);

static void make(const char *rel, const char *text) {
  char p[PATH_MAX * 2];
  snprintf(p, sizeof(p), "%s/%s", root, rel);
  FILE *f = fopen(p, "w");
  if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
    abort();
}

static void link_in(const char *target, const char *rel) {
  char p[PATH_MAX * 2];
  snprintf(p, sizeof(p), "%s/%s", root, rel);
  if (symlink(target, p) != 0)
    abort();
}

/* What the opened file holds ("" if it failed), errno kept in *err. */
static void read_via(open_fn *fn, const char *path, char *out, size_t size,
                     int *err) {
  out[0] = '\0';
  errno = 0;
  int fd = fn(root_fd, path, MCTOP_OPEN_FLAGS);
  *err = fd < 0 ? errno : 0;
  if (fd < 0)
    return;
  ssize_t n = read(fd, out, size - 1);
  out[n > 0 ? n : 0] = '\0';
  close(fd);
}

static void check_resolver(open_fn *fn, const char *how) {
  char got[64];
  int err;
  read_via(fn, "/dir/file", got, sizeof(got), &err);
  CHECK_STR("inside", got, "%s: an absolute path starts at the root", how);
  read_via(fn, "abs-out", got, sizeof(got), &err);
  CHECK(got[0] == '\0' && err == ENOENT,
        "%s: an absolute symlink to a host file is resolved inside the root "
        "(not found there), never followed to the host (errno %d)",
        how, err);
  read_via(fn, "abs-in", got, sizeof(got), &err);
  CHECK_STR("inside", got, "%s: an absolute symlink into the root works", how);
  read_via(fn, "dir/rel", got, sizeof(got), &err);
  CHECK_STR("inside", got, "%s: a relative symlink works", how);
  read_via(fn, "dir/up", got, sizeof(got), &err);
  CHECK_STR("inside", got, "%s: \"..\" stops at the root", how);
  read_via(fn, "dirlink/file", got, sizeof(got), &err);
  CHECK_STR("inside", got, "%s: a symlinked directory on the way", how);
  read_via(fn, "loop1", got, sizeof(got), &err);
  CHECK(err == ELOOP, "%s: a symlink loop ends (ELOOP, got %d)", how, err);
  read_via(fn, "magic", got, sizeof(got), &err);
  CHECK(got[0] == '\0' && err != 0,
        "%s: /proc/self/root/... is not followed out of the root (errno %d)",
        how, err);
  errno = 0;
  int fd = fn(root_fd, "fifo", MCTOP_OPEN_FLAGS);
  CHECK(fd >= 0, "%s: a FIFO opens without blocking", how);
  mctop_image_t img;
  char msg[512] = "";
  int rc = fd >= 0
               ? mctop_image_read(fd, "fifo", 1 << 20, &img, msg, sizeof(msg))
               : 0;
  CHECK(rc == -1 && strstr(msg, "is a FIFO: refused") != NULL,
        "%s: and is refused as one: %s", how, msg);
}

static void check_image(void) {
  mctop_image_t img;
  char msg[512];
  char path[PATH_MAX * 2];
  snprintf(path, sizeof(path), "%s/dir/file", root);
  int fd = open(path, MCTOP_OPEN_FLAGS);
  CHECK(mctop_image_read(fd, path, 1 << 20, &img, msg, sizeof(msg)) == 0 &&
            img.size == 6 && memcmp(img.data, "inside", 6) == 0 && img.has_fd,
        "a regular file is read whole into memory, its descriptor kept");
  char via[32];
  mctop_image_attach_path(&img, via, sizeof(via));
  struct stat a, b;
  CHECK(stat(via, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino,
        "attaching through %s names the same file", via);
  mctop_image_free(&img);
  CHECK(!img.has_fd && img.data == NULL, "freed");
  fd = open(path, MCTOP_OPEN_FLAGS);
  CHECK(mctop_image_read(fd, "big\n\x1b[2J", 5, &img, msg, sizeof(msg)) == -1 &&
            strstr(msg, "is 6 bytes: refused") != NULL &&
            strstr(msg, "big\\x0a\\x1b[2J") != NULL,
        "a file past the cap is refused, its name escaped: %s", msg);
  snprintf(path, sizeof(path), "%s/empty", root);
  make("empty", "");
  fd = open(path, MCTOP_OPEN_FLAGS);
  CHECK(mctop_image_read(fd, path, 5, &img, msg, sizeof(msg)) == -1,
        "an empty file is refused: %s", msg);
  fd = open(root, O_RDONLY | O_DIRECTORY);
  CHECK(mctop_image_read(fd, root, 5, &img, msg, sizeof(msg)) == -1 &&
            strstr(msg, "a directory") != NULL,
        "a directory is refused: %s", msg);
}

int main(void) {
  snprintf(top, sizeof(top), "/tmp/mctop-root-open.XXXXXX");
  if (mkdtemp(top) == NULL)
    return 1;
  snprintf(root, sizeof(root), "%s/root", top);
  snprintf(host_file, sizeof(host_file), "%s/host-only", top);
  char p[PATH_MAX * 2];
  if (mkdir(root, 0700) != 0)
    return 1;
  snprintf(p, sizeof(p), "%s/dir", root);
  mkdir(p, 0700);
  make("dir/file", "inside");
  FILE *f = fopen(host_file, "w");
  if (f == NULL || fputs("HOST", f) < 0 || fclose(f) != 0)
    return 1;
  link_in(host_file, "abs-out");
  link_in("/dir/file", "abs-in");
  link_in("file", "dir/rel");
  link_in("../../../../../dir/file", "dir/up");
  link_in("/dir", "dirlink");
  link_in("loop2", "loop1");
  link_in("loop1", "loop2");
  snprintf(p, sizeof(p), "/proc/self/root%s", host_file);
  link_in(p, "magic");
  snprintf(p, sizeof(p), "%s/fifo", root);
  mkfifo(p, 0600);
  root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0)
    return 1;
  check_resolver(mctop_open_in_root, "openat2");
  check_resolver(mctop_open_in_root_walk, "walk");
  check_image();
  char cmd[PATH_MAX + 16];
  snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
  if (system(cmd) != 0)
    printf("# could not remove %s\n", top);
  return tap_done();
}
