/*
 * mctop: uprobe links.  libbpf 1.1 (Debian bookworm) predates
 * uprobe_multi links, so they are made with the bpf() system call and the
 * attribute layout of the kernel's uapi (include/uapi/linux/bpf.h,
 * BPF_LINK_CREATE's uprobe_multi member).
 */
#define _GNU_SOURCE
#include "uprobe_links.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* union bpf_attr for BPF_LINK_CREATE with uprobe_multi, as in the uapi. */
struct link_create_uprobe_multi {
  uint32_t prog_fd;
  uint32_t target_fd;
  uint32_t attach_type;
  uint32_t flags;
  uint64_t path;
  uint64_t offsets;
  uint64_t ref_ctr_offsets;
  uint64_t cookies;
  uint32_t cnt;
  uint32_t multi_flags;
  uint32_t pid;
};

_Static_assert(offsetof(struct link_create_uprobe_multi, path) == 16,
               "link_create.uprobe_multi starts after 16 bytes");
_Static_assert(offsetof(struct link_create_uprobe_multi, pid) == 56,
               "link_create.uprobe_multi.pid");

/* link_create.uprobe_multi.flags: return probes */
#define UPROBE_MULTI_RETURN 1u

static int link_create_multi(int prog_fd, bool ret, const char *path, pid_t pid,
                             const uint64_t *offsets, const uint64_t *ref_ctr,
                             const uint64_t *cookies, size_t n) {
  union {
    struct link_create_uprobe_multi m;
    char bytes[128]; /* zero beyond the member, as the kernel checks */
  } attr;
  memset(&attr, 0, sizeof(attr));
  attr.m.prog_fd = (uint32_t)prog_fd;
  attr.m.attach_type = MCTOP_TRACE_UPROBE_MULTI;
  attr.m.path = (uint64_t)(uintptr_t)path;
  attr.m.offsets = (uint64_t)(uintptr_t)offsets;
  attr.m.ref_ctr_offsets = (uint64_t)(uintptr_t)ref_ctr;
  attr.m.cookies = (uint64_t)(uintptr_t)cookies;
  attr.m.cnt = (uint32_t)n;
  attr.m.multi_flags = ret ? UPROBE_MULTI_RETURN : 0;
  attr.m.pid = pid > 0 ? (uint32_t)pid : 0; /* 0: every process */
  int fd = (int)syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
  return fd < 0 ? -errno : fd;
}

/*
 * A do-nothing program of the uprobe_multi attach type, linked to "/": a
 * kernel that knows the link type fails on the path (EBADF: not a regular
 * file), one that does not fails on the attribute (EINVAL).
 */
static bool probe_multi(void) {
  struct bpf_insn insns[] = {
      {.code = 0xb7, .dst_reg = 0, .imm = 0}, /* r0 = 0 */
      {.code = 0x95},                         /* exit */
  };
  LIBBPF_OPTS(bpf_prog_load_opts, opts,
              .expected_attach_type = MCTOP_TRACE_UPROBE_MULTI);
  int prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, NULL, "GPL", insns, 2, &opts);
  if (prog < 0)
    return false;
  uint64_t offset = 0;
  int fd = link_create_multi(prog, false, "/", -1, &offset, NULL, NULL, 1);
  close(prog);
  if (fd >= 0)
    close(fd);
  return fd == -EBADF;
}

static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static bool multi_ok;

static void probe_kernel(void) {
  const char *force = getenv("MCTOP_UPROBE_LINKS");
  multi_ok = (force == NULL || strcmp(force, "perf") != 0) && probe_multi();
}

bool mctop_uprobe_multi_supported(void) {
  pthread_once(&probe_once, probe_kernel);
  return multi_ok;
}

static int attach_perf(const struct bpf_program *prog, bool ret,
                       const char *path, pid_t pid, const uint64_t *offsets,
                       const uint64_t *ref_ctr, const uint64_t *cookies,
                       size_t n, mctop_uprobe_link_t *out) {
  out->perf = calloc(n, sizeof(*out->perf));
  if (out->perf == NULL)
    return -ENOMEM;
  for (size_t i = 0; i < n; i++) {
    LIBBPF_OPTS(bpf_uprobe_opts, opts, .bpf_cookie = cookies[i],
                .ref_ctr_offset = ref_ctr != NULL ? ref_ctr[i] : 0,
                .retprobe = ret);
    struct bpf_link *l = bpf_program__attach_uprobe_opts(
        prog, pid > 0 ? pid : -1, path, (size_t)offsets[i], &opts);
    if (l == NULL) {
      int err = -errno;
      mctop_uprobe_detach(out);
      return err != 0 ? err : -EINVAL;
    }
    out->perf[out->perf_num++] = l;
  }
  return 0;
}

int mctop_uprobe_attach(const struct bpf_program *prog, bool multi, bool ret,
                        const char *path, pid_t pid, const uint64_t *offsets,
                        const uint64_t *ref_ctr, const uint64_t *cookies,
                        size_t n, mctop_uprobe_link_t *out) {
  memset(out, 0, sizeof(*out));
  if (!multi)
    return attach_perf(prog, ret, path, pid, offsets, ref_ctr, cookies, n, out);
  int fd = link_create_multi(bpf_program__fd(prog), ret, path, pid, offsets,
                             ref_ctr, cookies, n);
  if (fd < 0)
    return fd;
  out->multi = true;
  out->multi_fd = fd;
  return 0;
}

void mctop_uprobe_detach(mctop_uprobe_link_t *l) {
  if (l->multi)
    close(l->multi_fd);
  for (size_t i = 0; i < l->perf_num; i++)
    bpf_link__destroy(l->perf[i]);
  free(l->perf);
  memset(l, 0, sizeof(*l));
}
