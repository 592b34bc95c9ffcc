/*
 * mctop: putting one program on many uprobes of one process (or of
 * every process running a binary), and taking them off again.
 *
 * Where the kernel has them (Linux 6.6+), all of a process's sites share a
 * single uprobe_multi link: created in one system call, and closed in one,
 * which waits for one grace period for all of them (24 ms for 30 sites
 * here, where closing 30 per-uprobe perf events took 3.3 s).  Older kernels
 * get one perf-event uprobe per site, each with its site's cookie.
 */
#ifndef MCTOP_UPROBE_LINKS_H
#define MCTOP_UPROBE_LINKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct bpf_program;
struct bpf_link;

/* The attach type of a program on a uprobe_multi link (Linux 6.6 uapi;
 * Debian bookworm's headers predate it). */
#define MCTOP_TRACE_UPROBE_MULTI 48

typedef struct {
  bool multi; /* multi_fd holds a uprobe_multi link */
  int multi_fd;
  struct bpf_link **perf; /* else one perf-event link per site */
  size_t perf_num;
} mctop_uprobe_link_t;

/* Whether this kernel takes uprobe_multi links (probed once).  The
 * environment variable MCTOP_UPROBE_LINKS=perf forces the per-site links
 * (for kernels whose uprobe_multi misbehaves, and for tests). */
bool mctop_uprobe_multi_supported(void);

/* One uprobe (cookie cookies[i], semaphore ref_ctr[i] or 0) at each file
 * offset of path in process pid (-1: every process running path), all
 * running prog; return probes of the functions there if ret.  Returns 0
 * or -errno, with nothing attached. */
int mctop_uprobe_attach(const struct bpf_program *prog, bool multi, bool ret,
                        const char *path, pid_t pid, const uint64_t *offsets,
                        const uint64_t *ref_ctr, const uint64_t *cookies,
                        size_t n, mctop_uprobe_link_t *out);

/* Detaches: when it returns, no uprobe of the link runs the program. */
void mctop_uprobe_detach(mctop_uprobe_link_t *l);

#endif /* MCTOP_UPROBE_LINKS_H */
