/*
 * mctop plugin: the attach layer.  One table maps each memcached USDT probe
 * to the BPF program that handles it; attaching walks the table, attaches
 * what the target binary has and reports the rest.
 */
#ifndef MCTOP_PROBES_H
#define MCTOP_PROBES_H

#include <stddef.h>
#include <sys/types.h>

struct bpf_object;
struct bpf_link;

typedef struct {
  struct bpf_link **links;
  size_t links_num;
} mctop_links_t;

/*
 * Attaches every probe of the table that path carries, for one process
 * (pid > 0) or every process running path (pid -1).  what names the target
 * in log messages.  Returns the number of probes attached (0 is a failure,
 * already logged).
 */
int mctop_attach_target(struct bpf_object *obj, const char *instance,
                        const char *path, pid_t pid, mctop_links_t *links);

void mctop_detach_all(mctop_links_t *links);

#endif /* MCTOP_PROBES_H */
