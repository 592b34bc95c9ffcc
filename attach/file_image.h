/*
 * mctop: a target's file, opened once and read once into private memory.
 *
 * A binary or debug file a tenant controls is never mapped: a file that
 * is truncated while mapped raises SIGBUS on the next read of a page past
 * its end, and inside collectd that kills the daemon and every plugin.
 * Read into memory we own, a file that changes under us is at worst a
 * short read, refused with a message.  The descriptor stays open so that
 * the file parsed is the file uprobes are attached to (through
 * /proc/self/fd/N: see mctop_image_attach_path).
 */
#ifndef MCTOP_FILE_IMAGE_H
#define MCTOP_FILE_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The most mctop reads of one file.  A memcached binary is 0.2-5 MiB and
 * its debug file 1-10 MiB (LTO builds with full DWARF included); a file
 * past this is refused, not read, whatever a tenant puts there.  A debug
 * file is read whole before its build id is compared, so this also bounds
 * what a tenant's decoys cost one inspection (a few candidates). */
#define MCTOP_FILE_IMAGE_MAX ((size_t)64 << 20)

/* All zero is an empty image (no descriptor, no data). */
typedef struct {
  bool has_fd; /* fd is open, until mctop_image_close or _free */
  int fd;
  unsigned char *data;
  size_t size;
  dev_t dev; /* which file it is, for checks after attaching */
  ino_t ino;
} mctop_image_t;

/*
 * Takes over fd (closed on failure): requires a regular file of 1 to max
 * bytes and reads all of it.  name is only for messages.  0, or -1 with
 * err saying what was wrong and img empty.
 */
int mctop_image_read(int fd, const char *name, size_t max, mctop_image_t *img,
                     char *err, size_t errlen);

/* "/proc/self/fd/N": a path the kernel resolves to exactly this open file,
 * whatever has since been renamed or swapped at the path it came from. */
void mctop_image_attach_path(const mctop_image_t *img, char *buf, size_t size);

/* Frees the copy, keeping the descriptor and identity. */
void mctop_image_drop_data(mctop_image_t *img);

/* Closes the descriptor (once attached: the kernel holds the file). */
void mctop_image_close(mctop_image_t *img);

void mctop_image_free(mctop_image_t *img);

#endif /* MCTOP_FILE_IMAGE_H */
