/*
 * mctop: reading a target's file into private memory (see file_image.h).
 */
#include "file_image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "escape.h"

static const char *kind(mode_t m) {
  return S_ISFIFO(m)   ? "a FIFO"
         : S_ISCHR(m)  ? "a character device"
         : S_ISBLK(m)  ? "a block device"
         : S_ISDIR(m)  ? "a directory"
         : S_ISSOCK(m) ? "a socket"
                       : "not a regular file";
}

static int refuse(mctop_image_t *img) {
  mctop_image_free(img);
  return -1;
}

int mctop_image_read(int fd, const char *name, size_t max, mctop_image_t *img,
                     char *err, size_t errlen) {
  char safe[MCTOP_ESCAPED_SIZE(256)], why[128];
  struct stat st;
  memset(img, 0, sizeof(*img));
  img->fd = fd;
  img->has_fd = true;
  mctop_esc(name, safe, sizeof(safe));
  if (fstat(fd, &st) != 0) {
    snprintf(err, errlen, "cannot read %s: %s", safe,
             mctop_strerror(errno, why, sizeof(why)));
    return refuse(img);
  }
  if (!S_ISREG(st.st_mode)) {
    snprintf(err, errlen,
             "%s is %s: refused (a binary or debug file is a regular file)",
             safe, kind(st.st_mode));
    return refuse(img);
  }
  if (st.st_size <= 0 || (uint64_t)st.st_size > max) {
    snprintf(err, errlen,
             "%s is %lld bytes: refused (mctop reads files of 1 "
             "byte to %zu MiB)",
             safe, (long long)st.st_size, max >> 20);
    return refuse(img);
  }
  img->size = (size_t)st.st_size;
  img->dev = st.st_dev;
  img->ino = st.st_ino;
  img->data = malloc(img->size);
  if (img->data == NULL) {
    snprintf(err, errlen, "cannot read %s: out of memory", safe);
    return refuse(img);
  }
  for (size_t done = 0; done < img->size;) {
    ssize_t n = pread(fd, img->data + done, img->size - done, (off_t)done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      snprintf(err, errlen,
               "%s changed while it was read (%zu of %zu bytes "
               "there): refused",
               safe, done, img->size);
      return refuse(img);
    }
    done += (size_t)n;
  }
  return 0;
}

void mctop_image_attach_path(const mctop_image_t *img, char *buf, size_t size) {
  snprintf(buf, size, "/proc/self/fd/%d", img->fd);
}

void mctop_image_drop_data(mctop_image_t *img) {
  free(img->data);
  img->data = NULL;
  img->size = 0;
}

void mctop_image_close(mctop_image_t *img) {
  if (img->has_fd)
    close(img->fd);
  img->has_fd = false;
  img->fd = -1;
}

void mctop_image_free(mctop_image_t *img) {
  mctop_image_close(img);
  free(img->data);
  memset(img, 0, sizeof(*img));
}
