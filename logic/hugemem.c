/*
 * mctop: memory in transparent huge pages (see hugemem.h).
 */
#include "hugemem.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t page_round(size_t n) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  return (n + page - 1) / page * page;
}

void *mctop_huge_alloc(size_t bytes) {
  if (bytes < MCTOP_HUGE_PAGE)
    return calloc(1, bytes ? bytes : 1);
  /* Aligned to a huge page: map one more and cut the ends off. */
  size_t len = page_round(bytes);
  uint8_t *raw = mmap(NULL, len + MCTOP_HUGE_PAGE, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED)
    return NULL;
  uint8_t *p = (uint8_t *)(((uintptr_t)raw + MCTOP_HUGE_PAGE - 1) &
                           ~(uintptr_t)(MCTOP_HUGE_PAGE - 1));
  size_t head = (size_t)(p - raw);
  if (head > 0)
    munmap(raw, head);
  munmap(p + len, MCTOP_HUGE_PAGE - head);
  /* A hint: where THP is off it fails, and 4 KiB pages serve. */
  madvise(p, bytes / MCTOP_HUGE_PAGE * MCTOP_HUGE_PAGE, MADV_HUGEPAGE);
  return p;
}

void mctop_huge_free(void *p, size_t bytes) {
  if (p == NULL)
    return;
  if (bytes < MCTOP_HUGE_PAGE)
    free(p);
  else
    munmap(p, page_round(bytes));
}
