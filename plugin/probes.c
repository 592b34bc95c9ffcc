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
#include "usdt_notes.h"

#define PROVIDER "memcached"

/* Probe name in memcached_dtrace.d -> program in bpf/mctop.bpf.c. */
static const struct {
  const char *usdt;
  const char *program;
} probe_table[] = {
    {"command__get", "mctop_get"},       {"command__set", "mctop_set"},
    {"command__add", "mctop_add"},       {"command__replace", "mctop_replace"},
    {"command__append", "mctop_append"}, {"command__prepend", "mctop_prepend"},
    {"command__cas", "mctop_cas"},       {"command__touch", "mctop_touch"},
    {"command__incr", "mctop_incr"},     {"command__decr", "mctop_decr"},
    {"command__delete", "mctop_delete"},
};
#define PROBE_COUNT (sizeof(probe_table) / sizeof(probe_table[0]))

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
  return keep_link(links, link);
}

/* Lists what the binary has; logs and returns -1 if it cannot be used. */
static int check_binary(const char *instance, const char *path,
                        mctop_usdt_list_t *notes) {
  char err[512];
  if (mctop_usdt_list(path, PROVIDER, notes, err, sizeof(err)) != 0) {
    MCTOP_ERROR("instance \"%s\": %s", instance, err);
    return -1;
  }
  if (notes->names_num == 0) {
    MCTOP_ERROR("instance \"%s\": %s has no " PROVIDER " USDT probes (%zu "
                "probe notes in all): rebuild memcached with "
                "./configure --enable-dtrace (needs systemtap-sdt-dev)",
                instance, path, notes->notes_num);
    mctop_usdt_free(notes);
    return -1;
  }
  return 0;
}

int mctop_attach_target(struct bpf_object *obj, const char *instance,
                        const char *path, pid_t pid, mctop_links_t *links) {
  mctop_usdt_list_t notes;
  char attached[512] = "", absent[512] = "";
  int count = 0;

  if (check_binary(instance, path, &notes) != 0)
    return 0;
  for (size_t i = 0; i < PROBE_COUNT; i++) {
    char *list = attached;
    if (!mctop_usdt_has(&notes, probe_table[i].usdt))
      list = absent;
    else if (attach_one(obj, i, path, pid, links, instance) == 0)
      count++;
    else
      continue;
    size_t used = strlen(list);
    snprintf(list + used, sizeof(attached) - used, " %s", probe_table[i].usdt);
  }
  mctop_usdt_free(&notes);
  if (count > 0)
    MCTOP_INFO(
        "instance \"%s\": attached %d of %zu probes to %s (pid %d):%s%s%s",
        instance, count, PROBE_COUNT, path, (int)pid, attached,
        absent[0] ? "; not in this binary:" : "", absent);
  return count;
}

void mctop_detach_all(mctop_links_t *links) {
  for (size_t i = 0; i < links->links_num; i++)
    bpf_link__destroy(links->links[i]);
  free(links->links);
  links->links = NULL;
  links->links_num = 0;
}
