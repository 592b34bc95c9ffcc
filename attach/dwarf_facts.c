/*
 * mctop: reading the DWARF of a target's memcached (dwarf_facts.h).
 */
#include "dwarf_facts.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>

/*
 * Bounds.  memcached 1.6.45 built with -flto has about 40,000 DIEs nested
 * less than 15 deep; a file past these is cut, not read on.  DW_AT_sibling
 * and type references can point backwards, so every step counts against
 * the budget, and chains of references stop after a few hops.
 */
#define MAX_DIES 2000000L
#define MAX_DEPTH 64
#define MAX_CHAIN 8 /* abstract_origin / specification hops */
#define MAX_TYPE_HOPS 16
#define MAX_RANGES 16

typedef struct {
  const mctop_dw_query_t *q;
  mctop_dw_facts_t *out;
  long budget;
} walk_t;

static void copy_name(char *dst, const char *src) {
  snprintf(dst, MCTOP_DW_NAME, "%s", src ? src : "");
}

/* Where a chain of DW_AT_abstract_origin / DW_AT_specification ends: the
 * DIE that holds the function's name, parameters and types (an inlined or
 * out-of-line copy refers to it).  NULL for a chain too long: a loop. */
static Dwarf_Die *origin(Dwarf_Die *die, Dwarf_Die *mem) {
  *mem = *die;
  for (int i = 0; i < MAX_CHAIN; i++) {
    Dwarf_Attribute a;
    Dwarf_Die next;
    if ((dwarf_attr(mem, DW_AT_abstract_origin, &a) == NULL &&
         dwarf_attr(mem, DW_AT_specification, &a) == NULL) ||
        dwarf_formref_die(&a, &next) == NULL)
      return mem;
    *mem = next;
  }
  return NULL;
}

static const char *origin_name(Dwarf_Die *die) {
  Dwarf_Die mem, *o = origin(die, &mem);
  return o ? dwarf_diename(o) : NULL;
}

static int byte_size(Dwarf_Die *t, int dflt) {
  Dwarf_Attribute a;
  Dwarf_Word w;
  if (dwarf_attr(t, DW_AT_byte_size, &a) == NULL)
    return dflt;
  return dwarf_formudata(&a, &w) == 0 && w <= 1 << 20 ? (int)w : -1;
}

/* How a value is passed: in integer registers, in SSE ones (or memory:
 * either way no integer register), or as an aggregate. */
enum pass { PASS_UNKNOWN, PASS_INT, PASS_SSE, PASS_AGG };

/* The size in bytes of the type of die (0: none, void), and how it is
 * passed; -1 when it cannot be read. */
static int type_size(Dwarf_Die *die, enum pass *pass) {
  Dwarf_Attribute a;
  Dwarf_Die t;
  *pass = PASS_UNKNOWN;
  if (dwarf_attr(die, DW_AT_type, &a) == NULL)
    return 0;
  if (dwarf_formref_die(&a, &t) == NULL)
    return -1;
  for (int hop = 0; hop < MAX_TYPE_HOPS; hop++) {
    Dwarf_Word enc = 0;
    switch (dwarf_tag(&t)) {
    case DW_TAG_typedef:
    case DW_TAG_const_type:
    case DW_TAG_volatile_type:
    case DW_TAG_restrict_type:
    case DW_TAG_atomic_type:
      if (dwarf_attr(&t, DW_AT_type, &a) == NULL ||
          dwarf_formref_die(&a, &t) == NULL)
        return -1;
      continue;
    case DW_TAG_pointer_type:
    case DW_TAG_reference_type:
    case DW_TAG_rvalue_reference_type:
      *pass = PASS_INT;
      return byte_size(&t, 8);
    case DW_TAG_enumeration_type:
      *pass = PASS_INT;
      return byte_size(&t, -1);
    case DW_TAG_base_type:
      if (dwarf_attr(&t, DW_AT_encoding, &a) != NULL)
        dwarf_formudata(&a, &enc);
      *pass = enc == DW_ATE_float || enc == DW_ATE_complex_float ? PASS_SSE
                                                                 : PASS_INT;
      return byte_size(&t, -1);
    case DW_TAG_structure_type:
    case DW_TAG_union_type:
    case DW_TAG_class_type:
    case DW_TAG_array_type:
      *pass = PASS_AGG;
      return byte_size(&t, -1);
    default:
      return -1;
    }
  }
  return -1;
}

/* The parameters of function fn (its origin DIE) and the integer register
 * each arrives in (SysV x86-64: rdi, rsi, rdx, rcx, r8, r9 in order for
 * integers and pointers up to 8 bytes, two for 16; floats elsewhere; a
 * struct of 16 bytes or less would need its fields classified, so after
 * one mctop says "unknown" rather than guess). */
static void read_params(walk_t *w, Dwarf_Die *fn, mctop_dw_fn_t *f) {
  enum pass pass;
  f->ret_size = type_size(fn, &pass);
  int next = pass == PASS_AGG && f->ret_size > 16 ? 1 : 0; /* hidden rdi */
  bool lost = f->ret_size < 0; /* rdi may hold a hidden return pointer */
  Dwarf_Die p;
  if (dwarf_child(fn, &p) != 0)
    return;
  do {
    if (--w->budget < 0)
      return;
    if (dwarf_tag(&p) != DW_TAG_formal_parameter)
      continue;
    int size = type_size(&p, &pass), reg = MCTOP_DW_REG_NONE;
    if (lost || size < 0 || pass == PASS_UNKNOWN ||
        (pass == PASS_AGG && size <= 16)) {
      lost = true;
      reg = MCTOP_DW_REG_UNKNOWN;
    } else if (pass == PASS_INT && size <= 8) {
      reg = next < 6 ? next++ : MCTOP_DW_REG_NONE;
    } else if (pass == PASS_INT && size <= 16 && next <= 4) {
      reg = next;
      next += 2;
    }
    if (f->nparams < MCTOP_DW_PARAMS) {
      mctop_dw_param_t *d = &f->param[f->nparams];
      copy_name(d->name, dwarf_diename(&p));
      d->size = size;
      d->reg = reg;
    }
    f->nparams++;
  } while (dwarf_siblingof(&p, &p) == 0);
}

/* Whether one of the DIE's code ranges starts at addr. */
static bool starts_at(Dwarf_Die *die, uint64_t addr) {
  Dwarf_Addr lo, base, start, end;
  if (dwarf_lowpc(die, &lo) == 0)
    return lo == addr;
  ptrdiff_t off = 0;
  for (int i = 0; i < MAX_RANGES; i++) {
    off = dwarf_ranges(die, off, &base, &start, &end);
    if (off <= 0)
      return false;
    if (start == addr)
      return true;
  }
  return false;
}

static bool has_code(Dwarf_Die *die) {
  return dwarf_hasattr(die, DW_AT_low_pc) || dwarf_hasattr(die, DW_AT_ranges) ||
         dwarf_hasattr(die, DW_AT_entry_pc);
}

/* An out-of-line function: the one a symbol asked about, if it starts
 * there and has its name. */
static void on_subprogram(walk_t *w, Dwarf_Die *die) {
  const mctop_dw_query_t *q = w->q;
  const char *name = NULL;
  bool named = false;
  for (size_t i = 0; i < q->n; i++) {
    mctop_dw_fn_t *f = &w->out->fn[i];
    if (f->described || q->addr[i] == 0 || !starts_at(die, q->addr[i]))
      continue;
    if (!named) {
      name = origin_name(die);
      named = true;
    }
    Dwarf_Die mem, *o;
    if (name == NULL || strcmp(name, q->names[i]) != 0 ||
        (o = origin(die, &mem)) == NULL)
      continue;
    Dwarf_Attribute a;
    Dwarf_Word cc = 0;
    f->described = true;
    if (dwarf_attr_integrate(die, DW_AT_calling_convention, &a) != NULL)
      dwarf_formudata(&a, &cc);
    f->nocall = cc == DW_CC_nocall;
    read_params(w, o, f);
  }
}

/* A copy of a function inlined into scope (the function or inlined copy
 * that directly holds it). */
static void on_inlined(walk_t *w, Dwarf_Die *die, const char *scope) {
  const mctop_dw_query_t *q = w->q;
  const char *name;
  if (!has_code(die) || (name = origin_name(die)) == NULL)
    return;
  for (size_t i = 0; i < q->n; i++) {
    mctop_dw_fn_t *f = &w->out->fn[i];
    if (strcmp(name, q->names[i]) != 0)
      continue;
    if (f->inlined++ == 0)
      copy_name(f->inlined_in, scope);
    bool asked = false;
    for (size_t j = 0; scope != NULL && j < q->n; j++)
      if (strcmp(scope, q->names[j]) == 0) {
        f->inlined_into |= 1u << j;
        asked = true;
      }
    if (!asked)
      f->inlined_elsewhere++;
  }
}

static void read_member(Dwarf_Die *m, mctop_dw_member_t *out) {
  Dwarf_Attribute a;
  Dwarf_Word off;
  enum pass pass;
  out->found = true;
  out->offset = -1;
  if (dwarf_attr(m, DW_AT_data_member_location, &a) != NULL &&
      dwarf_formudata(&a, &off) == 0 && off < 1 << 20)
    out->offset = (int)off;
  out->size = type_size(m, &pass);
  if (dwarf_hasattr(m, DW_AT_bit_size) ||
      dwarf_hasattr(m, DW_AT_data_bit_offset))
    out->size = -1;
}

/* A complete definition of the struct asked about. */
static void on_struct(walk_t *w, Dwarf_Die *die) {
  const mctop_dw_query_t *q = w->q;
  mctop_dw_member_t got[MCTOP_DW_MEMBERS];
  Dwarf_Die m;
  memset(got, 0, sizeof(got));
  if (dwarf_hasattr(die, DW_AT_declaration) || dwarf_child(die, &m) != 0)
    return;
  do {
    const char *name = dwarf_diename(&m);
    if (--w->budget < 0)
      return;
    for (size_t i = 0; name && dwarf_tag(&m) == DW_TAG_member &&
                       i < q->nmembers && i < MCTOP_DW_MEMBERS;
         i++)
      if (!got[i].found && strcmp(name, q->members[i]) == 0)
        read_member(&m, &got[i]);
  } while (dwarf_siblingof(&m, &m) == 0);
  mctop_dw_facts_t *out = w->out;
  if (!out->struct_found) {
    out->struct_found = true;
    memcpy(out->member, got, sizeof(got));
  } else if (memcmp(out->member, got, sizeof(got)) != 0) {
    out->struct_differs = true;
  }
}

static void on_enum(walk_t *w, Dwarf_Die *die) {
  Dwarf_Die e;
  if (w->out->enum_found || dwarf_child(die, &e) != 0)
    return;
  do {
    const char *name = dwarf_diename(&e);
    Dwarf_Attribute a;
    Dwarf_Sword v;
    if (--w->budget < 0)
      return;
    if (dwarf_tag(&e) == DW_TAG_enumerator && name &&
        strcmp(name, w->q->enumerator) == 0 &&
        dwarf_attr(&e, DW_AT_const_value, &a) != NULL &&
        dwarf_formsdata(&a, &v) == 0) {
      w->out->enum_found = true;
      w->out->enum_value = v;
      return;
    }
  } while (dwarf_siblingof(&e, &e) == 0);
}

static void visit(walk_t *w, Dwarf_Die *die, const char *scope, int depth) {
  const char *name;
  if (--w->budget < 0 || depth > MAX_DEPTH) {
    w->out->cut = true;
    return;
  }
  switch (dwarf_tag(die)) {
  case DW_TAG_subprogram:
    if (has_code(die))
      on_subprogram(w, die);
    scope = origin_name(die);
    break;
  case DW_TAG_inlined_subroutine:
    on_inlined(w, die, scope);
    scope = origin_name(die);
    break;
  case DW_TAG_structure_type:
    if (w->q->struct_name && (name = dwarf_diename(die)) != NULL &&
        strcmp(name, w->q->struct_name) == 0)
      on_struct(w, die);
    return; /* nothing else the walk looks for lies inside */
  case DW_TAG_enumeration_type:
    if (w->q->enum_name && (name = dwarf_diename(die)) != NULL &&
        strcmp(name, w->q->enum_name) == 0)
      on_enum(w, die);
    return;
  default:
    break;
  }
  Dwarf_Die child;
  if (dwarf_child(die, &child) != 0)
    return;
  do
    visit(w, &child, scope, depth + 1);
  while (w->budget >= 0 && dwarf_siblingof(&child, &child) == 0);
}

void mctop_dwarf_facts(const void *data, size_t size, const mctop_dw_query_t *q,
                       mctop_dw_facts_t *out) {
  memset(out, 0, sizeof(*out));
  if (q->n > MCTOP_DW_NAMES || q->nmembers > MCTOP_DW_MEMBERS ||
      elf_version(EV_CURRENT) == EV_NONE)
    return;
  Elf *elf = elf_memory((char *)(uintptr_t)data, size);
  Dwarf *dw = elf != NULL && elf_kind(elf) == ELF_K_ELF
                  ? dwarf_begin_elf(elf, DWARF_C_READ, NULL)
                  : NULL;
  walk_t w = {q, out, MAX_DIES};
  Dwarf_CU *cu = NULL;
  Dwarf_Die cudie;
  while (dw != NULL && w.budget >= 0 &&
         dwarf_get_units(dw, cu, &cu, NULL, NULL, &cudie, NULL) == 0) {
    out->has_dwarf = true;
    visit(&w, &cudie, NULL, 0);
  }
  if (w.budget < 0)
    out->cut = true;
  if (dw != NULL)
    dwarf_end(dw);
  if (elf != NULL)
    elf_end(elf);
}
