/*
 * mctop plugin: reading SystemTap SDT notes (".note.stapsdt", note type 3,
 * owner "stapsdt").  Layout of a note's descriptor, per
 * https://sourceware.org/systemtap/wiki/UserSpaceProbeImplementation:
 * three address-sized words (pc, base, semaphore), then the provider, the
 * probe name and the argument format as NUL-terminated strings.
 */
#include "usdt_notes.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NT_STAPSDT 3

/* "-4@%edx 8@%rsi -4@%ecx": one space-separated token per argument. */
static unsigned count_args(const char *args) {
  unsigned n = 0;
  for (const char *p = args; *p != '\0'; p++)
    if (*p != ' ' && (p == args || p[-1] == ' '))
      n++;
  return n;
}

static void add_name(mctop_usdt_list_t *l, const char *name, const char *args) {
  for (size_t i = 0; i < l->names_num; i++) {
    if (strcmp(l->names[i], name) == 0) {
      l->sites[i]++;
      return;
    }
  }
  if (l->names_num >= MCTOP_USDT_MAX_PROBES)
    return;
  char *copy = strdup(name);
  if (copy == NULL)
    return;
  l->sites[l->names_num] = 1;
  l->nargs[l->names_num] = count_args(args);
  l->names[l->names_num++] = copy;
}

/* Walks one note section's data. */
static void scan_notes(Elf *elf, Elf_Data *data, const char *provider,
                       mctop_usdt_list_t *l) {
  size_t words = gelf_getclass(elf) == ELFCLASS32 ? 4 : 8;
  size_t off = 0, name_off, desc_off;
  GElf_Nhdr nh;

  while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
    const char *owner = (const char *)data->d_buf + name_off;
    if (nh.n_type != NT_STAPSDT || nh.n_namesz != sizeof("stapsdt") ||
        memcmp(owner, "stapsdt", sizeof("stapsdt")) != 0)
      continue;
    if (nh.n_descsz < 3 * words + 2)
      continue;
    const char *desc = (const char *)data->d_buf + desc_off;
    const char *end = desc + nh.n_descsz;
    const char *prov = desc + 3 * words;
    const char *name = memchr(prov, '\0', (size_t)(end - prov));
    if (name == NULL || ++name >= end)
      continue;
    const char *args = memchr(name, '\0', (size_t)(end - name));
    if (args == NULL || ++args >= end ||
        memchr(args, '\0', (size_t)(end - args)) == NULL)
      continue;
    l->notes_num++;
    if (strcmp(prov, provider) == 0)
      add_name(l, name, args);
  }
}

static int scan_elf(Elf *elf, const char *provider, mctop_usdt_list_t *l) {
  size_t shstrndx;
  if (elf_getshdrstrndx(elf, &shstrndx) != 0)
    return -1;
  for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn)) != NULL;) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != SHT_NOTE)
      continue;
    const char *sname = elf_strptr(elf, shstrndx, sh.sh_name);
    if (sname == NULL || strcmp(sname, ".note.stapsdt") != 0)
      continue;
    Elf_Data *data = elf_getdata(scn, NULL);
    if (data != NULL)
      scan_notes(elf, data, provider, l);
  }
  return 0;
}

int mctop_usdt_list(const char *path, const char *provider,
                    mctop_usdt_list_t *out, char *errbuf, size_t errlen) {
  memset(out, 0, sizeof(*out));
  if (elf_version(EV_CURRENT) == EV_NONE) {
    snprintf(errbuf, errlen, "libelf is unusable: %s", elf_errmsg(-1));
    return -1;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    snprintf(errbuf, errlen, "cannot open %s: %s", path, strerror(errno));
    return -1;
  }
  Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
  int status = -1;
  if (elf == NULL || elf_kind(elf) != ELF_K_ELF)
    snprintf(errbuf, errlen, "%s is not an ELF executable", path);
  else if (scan_elf(elf, provider, out) != 0)
    snprintf(errbuf, errlen, "cannot read the sections of %s: %s", path,
             elf_errmsg(-1));
  else
    status = 0;
  if (elf != NULL)
    elf_end(elf);
  close(fd);
  return status;
}

unsigned mctop_usdt_sites(const mctop_usdt_list_t *l, const char *name) {
  for (size_t i = 0; i < l->names_num; i++)
    if (strcmp(l->names[i], name) == 0)
      return l->sites[i];
  return 0;
}

unsigned mctop_usdt_nargs(const mctop_usdt_list_t *l, const char *name) {
  for (size_t i = 0; i < l->names_num; i++)
    if (strcmp(l->names[i], name) == 0)
      return l->nargs[i];
  return 0;
}

bool mctop_usdt_has(const mctop_usdt_list_t *l, const char *name) {
  return mctop_usdt_sites(l, name) > 0;
}

void mctop_usdt_free(mctop_usdt_list_t *l) {
  for (size_t i = 0; i < l->names_num; i++)
    free(l->names[i]);
  memset(l, 0, sizeof(*l));
}
