/*
 * mctop: which USDT probes an ELF file carries, and every call site of
 * them with its file offset and argument format: mctop attaches its own
 * uprobes at these sites (probes.c), and the log can say "this memcached
 * was built without --enable-dtrace" before anything is attached.
 */
#ifndef MCTOP_USDT_NOTES_H
#define MCTOP_USDT_NOTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MCTOP_USDT_MAX_PROBES 128
/* memcached 1.6 has 46 probe sites of its provider in all; a file with
 * more than this is not one, and is not worth the memory or the site ids
 * a crafted one would take. */
#define MCTOP_USDT_MAX_SITES 256

/* One call site of a probe of the provider: where to put the uprobe. */
typedef struct {
  unsigned name;        /* index into names[] */
  uint64_t offset;      /* file offset of the probe's instruction */
  uint64_t sema_offset; /* file offset of its semaphore; 0: it has none */
  char *args;           /* the note's argument format ("-4@%esi 8@%rax") */
} mctop_usdt_site_t;

typedef struct {
  /* Distinct probe names of the given provider (e.g. "command__get"). */
  char *names[MCTOP_USDT_MAX_PROBES];
  unsigned sites[MCTOP_USDT_MAX_PROBES]; /* call sites of each name */
  unsigned nargs[MCTOP_USDT_MAX_PROBES]; /* arguments, at the first site */
  size_t names_num;
  size_t notes_num; /* all stapsdt notes, every provider, every call site */
  /* Every call site of the provider's probes whose address lies in a
   * loaded segment of the file, in note order. */
  mctop_usdt_site_t *site_list;
  size_t site_num;
  size_t sites_over; /* sites past MCTOP_USDT_MAX_SITES, not listed */
} mctop_usdt_list_t;

/* Lists the probes of provider in the ELF file data[0..size) (name is for
 * messages), and their call sites, at most MCTOP_USDT_MAX_SITES (the rest
 * counted in sites_over).  Returns 0, or -1 with errbuf saying what is
 * wrong with the file (not ELF, broken sections). */
int mctop_usdt_list(const void *data, size_t size, const char *name,
                    const char *provider, mctop_usdt_list_t *out, char *errbuf,
                    size_t errlen);

bool mctop_usdt_has(const mctop_usdt_list_t *l, const char *name);

/* How many arguments probe name takes (from its note), 0 if absent. */
unsigned mctop_usdt_nargs(const mctop_usdt_list_t *l, const char *name);

/* How many call sites of probe name the binary has (0: none). */
unsigned mctop_usdt_sites(const mctop_usdt_list_t *l, const char *name);

void mctop_usdt_free(mctop_usdt_list_t *l);

#endif /* MCTOP_USDT_NOTES_H */
