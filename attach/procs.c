/*
 * mctop: reading /proc.
 */
#include "procs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pid_max.h"
#include "root_open.h"

static ssize_t read_small(const char *path, char *buf, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read(fd, buf, size - 1);
  close(fd);
  if (n >= 0)
    buf[n] = '\0';
  return n;
}

uint64_t mctop_proc_start_time(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
  if (read_small(path, buf, sizeof(buf)) <= 0)
    return 0;
  /* The command name (field 2) may hold spaces and ')': skip past the last
   * ')', then field 3 onwards are plain numbers and letters. */
  char *p = strrchr(buf, ')');
  if (p == NULL)
    return 0;
  p++;
  for (int field = 3; field < 22 && p != NULL; field++)
    p = strchr(p + 1, ' ');
  return p != NULL ? strtoull(p + 1, NULL, 10) : 0;
}

/*
 * The PIDFile lives in memcached's directory, where memcached's user can
 * put anything at its name: a FIFO would block open() and read() for
 * good (and the read callback with them), a device never ends.  Opened
 * without blocking, and read only if it is a regular file.
 */
pid_t mctop_read_pidfile(const char *path) {
  char buf[32];
  struct stat st;
  int fd = open(path, MCTOP_OPEN_FLAGS);
  if (fd < 0)
    return 0;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    errno = EFTYPE_PIDFILE;
    return 0;
  }
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  char *end;
  errno = 0;
  long v = strtol(buf, &end, 10);
  while (isspace((unsigned char)*end))
    end++;
  if (errno != 0 || end == buf || *end != '\0' || v <= 0 || v > MCTOP_PID_MAX) {
    errno = EINVAL;
    return 0;
  }
  return (pid_t)v;
}

/* The command line with its NUL separators turned into spaces. */
static int read_cmdline(pid_t pid, char *buf, size_t size) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
  ssize_t n = read_small(path, buf, size);
  if (n <= 0)
    return -1; /* gone, or a kernel thread */
  for (ssize_t i = 0; i < n; i++)
    if (buf[i] == '\0')
      buf[i] = ' ';
  while (n > 0 && buf[n - 1] == ' ')
    buf[--n] = '\0';
  return 0;
}

size_t mctop_proc_match(const regex_t *re, void (*fn)(pid_t, void *),
                        void *arg) {
  DIR *d = opendir("/proc");
  if (d == NULL)
    return 0;
  size_t matches = 0;
  pid_t self = getpid();
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    char *end;
    long pid = strtol(e->d_name, &end, 10);
    if (*end != '\0' || pid <= 0 || pid == self)
      continue;
    char cmdline[4096];
    if (read_cmdline((pid_t)pid, cmdline, sizeof(cmdline)) != 0 ||
        regexec(re, cmdline, 0, NULL, 0) != 0)
      continue;
    fn((pid_t)pid, arg);
    matches++;
  }
  closedir(d);
  return matches;
}
