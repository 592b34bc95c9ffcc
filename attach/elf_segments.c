/*
 * mctop: where an address of an ELF file lies in the file (see
 * elf_segments.h).
 */
#include "elf_segments.h"

#include <stdlib.h>
#include <string.h>

/* Whether the header's file-backed bytes lie inside the file (written so
 * that no sum of two of its fields can wrap). */
static bool inside(const GElf_Phdr *ph, uint64_t file_size) {
  return ph->p_offset <= file_size && ph->p_filesz <= file_size - ph->p_offset;
}

int mctop_segments_read(Elf *elf, uint64_t file_size, mctop_segments_t *s) {
  size_t n;
  memset(s, 0, sizeof(*s));
  if (elf_getphdrnum(elf, &n) != 0)
    return -1;
  s->load = calloc(n + 1, sizeof(*s->load));
  if (s->load == NULL)
    return -1;
  for (size_t i = 0; i < n; i++) {
    GElf_Phdr ph;
    if (gelf_getphdr(elf, (int)i, &ph) == NULL || ph.p_type != PT_LOAD ||
        !inside(&ph, file_size))
      continue;
    s->load[s->num++] = (mctop_segment_t){.vaddr = ph.p_vaddr,
                                          .offset = ph.p_offset,
                                          .filesz = ph.p_filesz,
                                          .exec = (ph.p_flags & PF_X) != 0};
  }
  return 0;
}

int mctop_segments_offset(const mctop_segments_t *s, uint64_t addr, bool exec,
                          uint64_t *off) {
  for (size_t i = 0; i < s->num; i++) {
    const mctop_segment_t *seg = &s->load[i];
    if ((exec && !seg->exec) || addr < seg->vaddr ||
        addr - seg->vaddr >= seg->filesz)
      continue;
    *off = addr - seg->vaddr + seg->offset;
    return 0;
  }
  return -1;
}

void mctop_segments_free(mctop_segments_t *s) {
  free(s->load);
  memset(s, 0, sizeof(*s));
}
