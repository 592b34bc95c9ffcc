/*
 * mctop: where an address of an ELF file lies in the file.
 *
 * A uprobe is placed at a file offset, but a probe's note and a
 * function's symbol give virtual addresses: the loaded segment (PT_LOAD
 * program header) holding an address maps it to its offset.  The headers
 * come from a file a tenant may have written, so a segment is believed
 * only if its bytes lie inside the file; one that does not names no
 * offset (usdt_notes.c and elf_symbols.c, both fuzzed, go through here).
 */
#ifndef MCTOP_ELF_SEGMENTS_H
#define MCTOP_ELF_SEGMENTS_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One loaded segment, its file-backed bytes inside the file. */
typedef struct {
  uint64_t vaddr, offset, filesz;
  bool exec; /* PF_X: where code, and so a probe, can be */
} mctop_segment_t;

typedef struct {
  mctop_segment_t *load;
  size_t num;
} mctop_segments_t;

/* The loaded segments of elf, a file of file_size bytes, that lie inside
 * it.  0, or -1 if its program headers cannot be read (or no memory). */
int mctop_segments_read(Elf *elf, uint64_t file_size, mctop_segments_t *s);

/* The file offset of addr, in an executable segment if exec, else in any:
 * 0, or -1 if no segment holds it in its file-backed bytes (a uprobe and a
 * semaphore live in the file, never in .bss). */
int mctop_segments_offset(const mctop_segments_t *s, uint64_t addr, bool exec,
                          uint64_t *off);

void mctop_segments_free(mctop_segments_t *s);

#endif /* MCTOP_ELF_SEGMENTS_H */
