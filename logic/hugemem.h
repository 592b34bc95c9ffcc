/*
 * mctop: memory for large arrays that a burst touches for the first time
 * or at random (the per-slot records, the key names of a large table), in
 * transparent huge pages where the kernel gives them (THP "always" or
 * "madvise").  In 4 KiB pages each page's first touch is a fault (14 us on
 * the 2-core test VM, whose hypervisor shadows the page tables; a
 * microsecond or two on bare metal) and each random access over many
 * megabytes a TLB miss; in 2 MiB pages both are 512 times rarer.  Only
 * whole huge pages within the size are advised, so memory does not grow;
 * below one huge page it is plain calloc.
 */
#ifndef MCTOP_HUGEMEM_H
#define MCTOP_HUGEMEM_H

#include <stddef.h>

#define MCTOP_HUGE_PAGE (2u << 20)

/* bytes of zeroed memory, or NULL. */
void *mctop_huge_alloc(size_t bytes);
/* Frees what mctop_huge_alloc(bytes) returned (NULL-able). */
void mctop_huge_free(void *p, size_t bytes);

#endif /* MCTOP_HUGEMEM_H */
