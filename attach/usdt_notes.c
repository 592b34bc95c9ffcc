/*
 * mctop: reading SystemTap SDT notes (".note.stapsdt", note type 3,
 * owner "stapsdt").  Layout of a note's descriptor, per
 * https://sourceware.org/systemtap/wiki/UserSpaceProbeImplementation:
 * three address-sized words (pc, base, semaphore), then the provider, the
 * probe name and the argument format as NUL-terminated strings.
 *
 * A uprobe is placed at a file offset, so each site's address is turned
 * into one through the program header of the loaded segment holding it
 * (executable for the probe, any for its semaphore).  A binary prelinked
 * to another base records the base it was built with in each note; the
 * difference to the .stapsdt.base section's address moves the probe.
 */
#include "usdt_notes.h"

#include "elf_segments.h"
#include "escape.h"

#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NT_STAPSDT 3

/* "-4@%edx 8@%rsi -4@%ecx": one space-separated token per argument. */
static unsigned count_args(const char *args) {
  unsigned n = 0;
  for (const char *p = args; *p != '\0'; p++)
    if (*p != ' ' && (p == args || p[-1] == ' '))
      n++;
  return n;
}

/* The index of name in l->names, added if new; -1 if the list is full. */
static int add_name(mctop_usdt_list_t *l, const char *name, const char *args) {
  for (size_t i = 0; i < l->names_num; i++) {
    if (strcmp(l->names[i], name) == 0) {
      l->sites[i]++;
      return (int)i;
    }
  }
  if (l->names_num >= MCTOP_USDT_MAX_PROBES)
    return -1;
  char *copy = strdup(name);
  if (copy == NULL)
    return -1;
  l->sites[l->names_num] = 1;
  l->nargs[l->names_num] = count_args(args);
  l->names[l->names_num] = copy;
  return (int)l->names_num++;
}

/* What turns note addresses into file offsets. */
typedef struct {
  mctop_segments_t segments; /* the loaded segments inside the file */
  uint64_t base;             /* address of .stapsdt.base, 0 if none */
} layout_t;

static uint64_t note_word(const char *p, size_t words) {
  if (words == 4) {
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
  }
  uint64_t v;
  memcpy(&v, p, sizeof(v));
  return v;
}

/* Records one call site; a site outside every segment is left out. */
static void add_site(mctop_usdt_list_t *l, const layout_t *lay, int name,
                     const char *desc, size_t words, const char *args) {
  uint64_t pc = note_word(desc, words), base = note_word(desc + words, words);
  uint64_t sema = note_word(desc + 2 * words, words), off, sema_off = 0;
  if (lay->base != 0 && base != 0)
    pc += lay->base - base;
  if (mctop_segments_offset(&lay->segments, pc, true, &off) != 0 ||
      (sema != 0 &&
       mctop_segments_offset(&lay->segments, sema, false, &sema_off) != 0))
    return;
  if (l->site_num >= MCTOP_USDT_MAX_SITES) {
    l->sites_over++;
    return;
  }
  mctop_usdt_site_t *s = realloc(l->site_list, (l->site_num + 1) * sizeof(*s));
  if (s == NULL)
    return;
  l->site_list = s;
  char *copy = strdup(args);
  if (copy == NULL)
    return;
  s[l->site_num++] = (mctop_usdt_site_t){.name = (unsigned)name,
                                         .offset = off,
                                         .sema_offset = sema_off,
                                         .args = copy};
}

/* Walks one note section's data. */
static void scan_notes(Elf *elf, Elf_Data *data, const char *provider,
                       const layout_t *lay, mctop_usdt_list_t *l) {
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
    if (strcmp(prov, provider) != 0)
      continue;
    int idx = add_name(l, name, args);
    if (idx >= 0)
      add_site(l, lay, idx, desc, words, args);
  }
}

/* The loaded segments and the .stapsdt.base address. */
static int read_layout(Elf *elf, size_t shstrndx, uint64_t file_size,
                       layout_t *lay) {
  memset(lay, 0, sizeof(*lay));
  if (mctop_segments_read(elf, file_size, &lay->segments) != 0)
    return -1;
  for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn)) != NULL;) {
    GElf_Shdr sh;
    const char *name;
    if (gelf_getshdr(scn, &sh) != NULL &&
        (name = elf_strptr(elf, shstrndx, sh.sh_name)) != NULL &&
        strcmp(name, ".stapsdt.base") == 0)
      lay->base = sh.sh_addr;
  }
  return 0;
}

static int scan_elf(Elf *elf, uint64_t file_size, const char *provider,
                    mctop_usdt_list_t *l) {
  size_t shstrndx;
  layout_t lay;
  if (elf_getshdrstrndx(elf, &shstrndx) != 0 ||
      read_layout(elf, shstrndx, file_size, &lay) != 0)
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
      scan_notes(elf, data, provider, &lay, l);
  }
  mctop_segments_free(&lay.segments);
  return 0;
}

int mctop_usdt_list(const void *data, size_t size, const char *name,
                    const char *provider, mctop_usdt_list_t *out, char *errbuf,
                    size_t errlen) {
  char safe[MCTOP_ESCAPED_SIZE(256)];
  memset(out, 0, sizeof(*out));
  mctop_esc(name, safe, sizeof(safe));
  if (elf_version(EV_CURRENT) == EV_NONE) {
    snprintf(errbuf, errlen, "libelf is unusable: %s", elf_errmsg(-1));
    return -1;
  }
  /* elf_memory reads the bytes in place: our private copy (file_image.h),
   * never a mapping of the file. */
  Elf *elf = elf_memory((char *)(uintptr_t)data, size);
  int status = -1;
  if (elf == NULL || elf_kind(elf) != ELF_K_ELF)
    snprintf(errbuf, errlen, "%s is not an ELF executable", safe);
  else if (scan_elf(elf, size, provider, out) != 0)
    snprintf(errbuf, errlen, "cannot read the sections of %s: %s", safe,
             elf_errmsg(-1));
  else
    status = 0;
  if (elf != NULL)
    elf_end(elf);
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
  for (size_t i = 0; i < l->site_num; i++)
    free(l->site_list[i].args);
  free(l->site_list);
  memset(l, 0, sizeof(*l));
}
