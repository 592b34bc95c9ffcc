/*
 * mctop plugin: attaching the BPF programs to memcached's probes.
 */
#include "probes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "log.h"

#define PROVIDER "memcached"

/*
 * Probe name in memcached_dtrace.d -> program in bpf/mctop.bpf.c, and the
 * number of arguments the program reads them by (a binary whose probe has
 * another count is from a memcached whose probes differ: not attached).
 */
static const struct {
  const char *usdt;
  const char *program;
  unsigned nargs;
  bool lookup;  /* attached only when key lookups are counted */
  bool latency; /* attached only with option Latency */
} probe_table[MCTOP_PROBE_COUNT] = {
    /* (connid, key, keylen, size, casid) */
    {"command__get", "mctop_get", 5, false, false},
    {"command__set", "mctop_set", 5, false, false},
    {"command__add", "mctop_add", 5, false, false},
    {"command__replace", "mctop_replace", 5, false, false},
    {"command__append", "mctop_append", 5, false, false},
    {"command__prepend", "mctop_prepend", 5, false, false},
    {"command__cas", "mctop_cas", 5, false, false},
    {"command__touch", "mctop_touch", 5, false, false},
    /* (connid, key, keylen, value) */
    {"command__incr", "mctop_incr", 4, false, false},
    {"command__decr", "mctop_decr", 4, false, false},
    /* (connid, key, keylen) */
    {"command__delete", "mctop_delete", 3, false, false},
    /* (key, keylen, depth) */
    {"assoc__find", "mctop_lookup", 3, true, false},
    /* (connid, request, size) and (connid, response, size) */
    {"process__command__start", "mctop_cmd_start", 3, false, true},
    {"process__command__end", "mctop_cmd_end", 3, false, true},
};

const char *mctop_probe_name(size_t i) { return probe_table[i].usdt; }

static int keep_link(mctop_links_t *links, struct bpf_link *link) {
  struct bpf_link **l =
      realloc(links->links, (links->links_num + 1) * sizeof(*l));
  if (l == NULL) {
    bpf_link__destroy(link);
    return -ENOMEM;
  }
  l[links->links_num++] = link;
  links->links = l;
  return 0;
}

static int attach_one(struct bpf_object *obj, size_t i, const char *path,
                      pid_t pid, mctop_links_t *links, const char *instance) {
  struct bpf_program *prog =
      bpf_object__find_program_by_name(obj, probe_table[i].program);
  if (prog == NULL) {
    MCTOP_ERROR("instance \"%s\": BPF program %s is missing from the object",
                instance, probe_table[i].program);
    return -ENOENT;
  }
  struct bpf_link *link = bpf_program__attach_usdt(prog, pid, path, PROVIDER,
                                                   probe_table[i].usdt, NULL);
  if (link == NULL) {
    int err = -errno;
    MCTOP_ERROR("instance \"%s\": attaching to " PROVIDER ":%s in %s (pid %d) "
                "failed: %s",
                instance, probe_table[i].usdt, path, (int)pid, strerror(-err));
    return err;
  }
  int err = keep_link(links, link);
  if (err == 0)
    links->attached[i]++;
  return err;
}

static void append(char *list, size_t size, const char *name) {
  size_t used = strlen(list);
  snprintf(list + used, size - used, " %s", name);
}

int mctop_attach_target(struct bpf_object *obj, const char *instance,
                        const mctop_target_t *t, bool lookups, bool latency,
                        mctop_links_t *links) {
  char attached[512] = "", absent[512] = "";
  int count = 0;

  for (size_t i = 0; i < MCTOP_PROBE_COUNT; i++) {
    if ((probe_table[i].lookup && !lookups) ||
        (probe_table[i].latency && !latency))
      continue;
    unsigned nargs = mctop_usdt_nargs(&t->notes, probe_table[i].usdt);
    if (!mctop_usdt_has(&t->notes, probe_table[i].usdt))
      append(absent, sizeof(absent), probe_table[i].usdt);
    else if (nargs != probe_table[i].nargs)
      MCTOP_ERROR("instance \"%s\": " PROVIDER ":%s in %s takes %u arguments "
                  "where memcached 1.6 has %u: this memcached's probes "
                  "differ, so it is not attached (mctop reads the "
                  "arguments by position)",
                  instance, probe_table[i].usdt, t->path, nargs,
                  probe_table[i].nargs);
    else if (attach_one(obj, i, t->path, t->pid, links, instance) == 0) {
      append(attached, sizeof(attached), probe_table[i].usdt);
      count++;
    }
  }
  if (count > 0)
    MCTOP_INFO("instance \"%s\": attached %d probes to memcached %s at %s "
               "(pid %d):%s%s%s",
               instance, count, t->version[0] ? t->version : "(version ?)",
               t->path, (int)t->pid, attached,
               absent[0] ? "; not in this binary:" : "", absent);
  return count;
}

void mctop_detach_all(mctop_links_t *links) {
  for (size_t i = 0; i < links->links_num; i++)
    bpf_link__destroy(links->links[i]);
  free(links->links);
  memset(links, 0, sizeof(*links));
}
