/*
 * mctop: opening a path the way a container sees it, from outside.
 *
 * mctop runs as root on the host; the files of a traced process in a
 * container (its binary, its debug files) are reached through
 * /proc/PID/root.  A plain open() of "/proc/PID/root/usr/lib/debug/x"
 * follows an absolute symlink inside the container against the *host's*
 * root: a tenant could make root open any host file.  These open a path
 * with every "/" and ".." held inside the given root directory and no
 * /proc magic link followed, and never block (a FIFO opens at once, and is
 * refused by whoever reads it: see file_image.h).
 */
#ifndef MCTOP_ROOT_OPEN_H
#define MCTOP_ROOT_OPEN_H

#include <fcntl.h>
#include <sys/types.h>

/* The flags every file a target hands us is opened with: no blocking on a
 * FIFO, no controlling terminal from a tty, not inherited. */
#define MCTOP_OPEN_FLAGS (O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)

/* A descriptor (O_PATH) of the root process pid sees, /proc/PID/root;
 * of the host's "/" when pid <= 0.  -1 with errno if it cannot. */
int mctop_root_open(pid_t pid);

/*
 * Opens path (absolute or not: both start at root) with flags, resolved
 * inside root: absolute symlinks and ".." stop at root, magic links are
 * refused.  openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) where the
 * kernel has it (5.6+), else mctop_open_in_root_walk.  -1 with errno.
 */
int mctop_open_in_root(int root, const char *path, int flags);

/* The same guarantee without openat2: one component at a time, each
 * opened O_NOFOLLOW, symlinks read and resolved against root by hand.
 * Exposed for the tests, which run both. */
int mctop_open_in_root_walk(int root, const char *path, int flags);

#endif /* MCTOP_ROOT_OPEN_H */
