/*
 * mctop: what a memcached's DWARF says about the functions symbol mode
 * probes and the item it reads (symbol_check.h judges it).  Read with
 * elfutils' libdw from the copy of the file already in memory (the binary,
 * or the debug file its symbols came from): never a mapping, never a second
 * open.  The file is the target's, so every walk is bounded (DIEs visited,
 * nesting, reference chains) and anything unreadable is "not described",
 * never a guess.
 */
#ifndef MCTOP_DWARF_FACTS_H
#define MCTOP_DWARF_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MCTOP_DW_NAMES 24  /* functions asked about at once */
#define MCTOP_DW_PARAMS 8  /* parameters kept per function */
#define MCTOP_DW_NAME 48   /* bytes kept of a name from the file (cut) */
#define MCTOP_DW_MEMBERS 8 /* struct members asked about */

/* Where a parameter arrives under the SysV x86-64 convention. */
enum {
  MCTOP_DW_REG_NONE = -1,    /* not in an integer register (SSE, memory) */
  MCTOP_DW_REG_UNKNOWN = -2, /* after a struct or an unreadable type */
};

typedef struct {
  char name[MCTOP_DW_NAME]; /* "" if the file gives none */
  int size;                 /* bytes; -1 unknown */
  int reg;                  /* 0 rdi ... 5 r9, or MCTOP_DW_REG_* */
} mctop_dw_param_t;

typedef struct {
  /* A DIE with code at the address asked, whose origin has this name. */
  bool described;
  bool nocall;      /* DW_CC_nocall: gcc changed how it is called */
  unsigned nparams; /* all of them; the first MCTOP_DW_PARAMS are kept */
  mctop_dw_param_t param[MCTOP_DW_PARAMS];
  int ret_size; /* bytes; 0 returns nothing; -1 unknown */
  /* Copies inlined into other code (DW_TAG_inlined_subroutine with code,
   * whose origin has this name), anywhere in the file. */
  unsigned inlined;
  uint32_t inlined_into;          /* bit j: a copy lies directly in names[j] */
  unsigned inlined_elsewhere;     /* copies directly in functions not asked */
  char inlined_in[MCTOP_DW_NAME]; /* where the first copy lies */
} mctop_dw_fn_t;

typedef struct {
  bool found;
  int offset; /* -1 unknown */
  int size;   /* -1 unknown or a bit-field */
} mctop_dw_member_t;

typedef struct {
  bool has_dwarf; /* at least one unit was read */
  bool cut;       /* a bound was reached: not all of it was read */
  mctop_dw_fn_t fn[MCTOP_DW_NAMES];
  /* The first complete definition of the struct asked about. */
  bool struct_found;
  bool struct_differs; /* another complete definition says otherwise */
  mctop_dw_member_t member[MCTOP_DW_MEMBERS];
  /* The enumerator asked about. */
  bool enum_found;
  long long enum_value;
} mctop_dw_facts_t;

typedef struct {
  const char *const *names; /* functions */
  const uint64_t *addr;     /* their symbols' addresses (0: no symbol) */
  size_t n;                 /* at most MCTOP_DW_NAMES */
  const char *struct_name;  /* "_stritem" */
  const char *const *members;
  size_t nmembers;        /* at most MCTOP_DW_MEMBERS */
  const char *enum_name;  /* "store_item_type" */
  const char *enumerator; /* "STORED" */
} mctop_dw_query_t;

/* Fills out from the ELF file in data (size bytes, parsed in place).
 * Never fails: a file without readable DWARF gives has_dwarf false.
 * libelf may decompress sections into memory of its own, freed here. */
void mctop_dwarf_facts(const void *data, size_t size, const mctop_dw_query_t *q,
                       mctop_dw_facts_t *out);

#endif /* MCTOP_DWARF_FACTS_H */
