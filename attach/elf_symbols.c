/*
 * mctop: function symbols of a binary or of its debug file.
 */
#include "elf_symbols.h"

#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_segments.h"
#include "escape.h"
#include "file_image.h"
#include "root_open.h"

#define NT_GNU_BUILD_ID 3
#define BUILD_ID_MAX 64

/* An ELF file parsed from memory we own (never a mapping of the file). */
static Elf *elf_open(const void *data, size_t size) {
  if (elf_version(EV_CURRENT) == EV_NONE)
    return NULL;
  Elf *elf = elf_memory((char *)(uintptr_t)data, size);
  if (elf != NULL && elf_kind(elf) != ELF_K_ELF) {
    elf_end(elf);
    elf = NULL;
  }
  return elf;
}

/* The section called name, or NULL. */
static Elf_Scn *find_section(Elf *elf, const char *name) {
  size_t shstrndx;
  if (elf_getshdrstrndx(elf, &shstrndx) != 0)
    return NULL;
  for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn)) != NULL;) {
    GElf_Shdr sh;
    const char *n;
    if (gelf_getshdr(scn, &sh) != NULL &&
        (n = elf_strptr(elf, shstrndx, sh.sh_name)) != NULL &&
        strcmp(n, name) == 0)
      return scn;
  }
  return NULL;
}

/* The GNU build id (from any note section); its length, 0 if none. */
static size_t build_id(Elf *elf, unsigned char *id) {
  for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn)) != NULL;) {
    GElf_Shdr sh;
    Elf_Data *d;
    if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != SHT_NOTE ||
        (d = elf_getdata(scn, NULL)) == NULL)
      continue;
    GElf_Nhdr nh;
    size_t off = 0, name_off, desc_off;
    while ((off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
      if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
          memcmp((char *)d->d_buf + name_off, "GNU", 4) == 0 &&
          nh.n_descsz > 0 && nh.n_descsz <= BUILD_ID_MAX) {
        memcpy(id, (char *)d->d_buf + desc_off, nh.n_descsz);
        return nh.n_descsz;
      }
    }
  }
  return 0;
}

/* The file name .gnu_debuglink names, or "" . */
static void debuglink(Elf *elf, char *name, size_t size) {
  name[0] = '\0';
  Elf_Scn *scn = find_section(elf, ".gnu_debuglink");
  Elf_Data *d = scn != NULL ? elf_getdata(scn, NULL) : NULL;
  if (d == NULL || d->d_size == 0)
    return;
  const char *s = d->d_buf;
  size_t len = strnlen(s, d->d_size);
  if (len < d->d_size && len < size && memchr(s, '/', len) == NULL)
    memcpy(name, s, len + 1);
}

/* Whether nm is a compiler clone of name: "name.constprop.0", ".isra.0",
 * ".part.0" (callers may call it instead), not "name.cold" (the cold tail
 * of name itself) nor "name.localalias" (name's own address). */
static bool is_clone(const char *nm, const char *name) {
  size_t len = strlen(name);
  return strncmp(nm, name, len) == 0 && nm[len] == '.' &&
         strncmp(nm + len + 1, "cold", 4) != 0 &&
         strcmp(nm + len + 1, "localalias") != 0;
}

/* Looks the names up in one symbol table section type; returns hits. */
static size_t scan_symbols(Elf *elf, Elf64_Word type, const char *const *names,
                           size_t n, uint64_t *vaddr, bool *clone) {
  size_t hits = 0;
  for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn)) != NULL;) {
    GElf_Shdr sh;
    Elf_Data *d;
    if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != type ||
        sh.sh_entsize == 0 || (d = elf_getdata(scn, NULL)) == NULL)
      continue;
    size_t count = sh.sh_size / sh.sh_entsize;
    for (size_t i = 0; i < count; i++) {
      GElf_Sym sym;
      const char *nm;
      if (gelf_getsym(d, (int)i, &sym) == NULL ||
          GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF ||
          sym.st_value == 0 ||
          (nm = elf_strptr(elf, sh.sh_link, sym.st_name)) == NULL)
        continue;
      /* Exact names only: "do_item_get.constprop.0" is another function
       * with its arguments reordered. */
      for (size_t j = 0; j < n; j++) {
        if (vaddr[j] == 0 && strcmp(nm, names[j]) == 0) {
          vaddr[j] = sym.st_value;
          hits++;
        } else if (is_clone(nm, names[j])) {
          clone[j] = true;
        }
      }
    }
  }
  return hits;
}

static size_t find_in(Elf *elf, const char *const *names, size_t n,
                      uint64_t *vaddr, bool *clone) {
  size_t hits = scan_symbols(elf, SHT_SYMTAB, names, n, vaddr, clone);
  return hits > 0 ? hits
                  : scan_symbols(elf, SHT_DYNSYM, names, n, vaddr, clone);
}

/* Each function's file offset, through the binary's executable segments
 * (elf_segments.h); 0 where none holds it (a symbol from a debug file of
 * another layout, a broken header). */
static void to_offsets(Elf *bin, uint64_t file_size, const uint64_t *vaddr,
                       size_t n, mctop_symbol_t *out) {
  mctop_segments_t seg;
  bool have = mctop_segments_read(bin, file_size, &seg) == 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t off = 0;
    if (!have || vaddr[i] == 0 ||
        mctop_segments_offset(&seg, vaddr[i], true, &off) != 0)
      off = 0;
    out[i].offset = off;
    out[i].vaddr = off ? vaddr[i] : 0;
  }
  mctop_segments_free(&seg);
}

/* Whether a debug file's image is the binary's (build id id[0..id_len),
 * if it has one) and holds at least one of the names; why says what not. */
static bool match_image(const mctop_image_t *img, const unsigned char *id,
                        size_t id_len, const char *const *names, size_t n,
                        uint64_t *vaddr, bool *clone, char *why,
                        size_t whylen) {
  Elf *elf = elf_open(img->data, img->size);
  if (elf == NULL) {
    snprintf(why, whylen, "not an ELF file");
    return false;
  }
  unsigned char other[BUILD_ID_MAX];
  size_t other_len = build_id(elf, other);
  /* A debug file of another build would give wrong offsets. */
  bool same =
      id_len == 0 || (other_len == id_len && memcmp(other, id, id_len) == 0);
  bool found = same && find_in(elf, names, n, vaddr, clone) > 0;
  elf_end(elf);
  if (!same)
    snprintf(why, whylen,
             "its build id is not the binary's (a debug file "
             "of another build gives wrong offsets)");
  else if (!found)
    snprintf(why, whylen, "it has none of memcached's functions");
  return found;
}

/* Hands the copy of the debug file the symbols came from over to keep (for
 * its DWARF), if the caller asked for it. */
static void keep_image(mctop_image_t *img, mctop_image_t *keep) {
  if (keep == NULL) {
    mctop_image_free(img);
    return;
  }
  mctop_image_free(keep);
  *keep = *img;
  mctop_image_close(keep);
}

/* Tries one candidate debug file, resolved inside the target's root and
 * read into memory; true if it matched and held symbols (its copy then
 * handed over to keep, if not NULL). */
static bool try_debug_file(int root, const char *path, const unsigned char *id,
                           size_t id_len, const char *const *names, size_t n,
                           uint64_t *vaddr, bool *clone, mctop_image_t *keep) {
  mctop_image_t img;
  char err[256];
  int fd = mctop_open_in_root(root, path, MCTOP_OPEN_FLAGS);
  if (fd < 0 || mctop_image_read(fd, path, MCTOP_FILE_IMAGE_MAX, &img, err,
                                 sizeof(err)) != 0)
    return false;
  bool found =
      match_image(&img, id, id_len, names, n, vaddr, clone, err, sizeof(err));
  if (found)
    keep_image(&img, keep);
  else
    mctop_image_free(&img);
  return found;
}

typedef struct {
  const mctop_symbol_query_t *q;
  const char *const *names;
  size_t n;
  uint64_t *vaddr;
  bool *clone;
  char *symfile;
  size_t symlen;
  char *tried; /* the first candidate, for the error message */
  size_t triedlen;
  size_t tried_more; /* and how many others */
  char fetched[512]; /* why debuginfod gave nothing, for the message */
} search_t;

/* path is inside the target's root; messages show it from the host
 * (root_name prefixed), escaped: a debuglink's bytes are the tenant's. */
static bool try_path(search_t *s, const char *path, const unsigned char *id,
                     size_t id_len) {
  char shown[MCTOP_ESCAPED_SIZE(PATH_MAX)];
  mctop_esc(path, shown, sizeof(shown));
  /* The first (by build id) says where the debug file belongs; the
   * others only make the line longer. */
  if (s->tried[0] == '\0')
    snprintf(s->tried, s->triedlen, "%s%s", s->q->root_name, shown);
  else
    s->tried_more++;
  if (!try_debug_file(s->q->root_fd, path, id, id_len, s->names, s->n, s->vaddr,
                      s->clone, s->q->keep_debug))
    return false;
  snprintf(s->symfile, s->symlen, "%s%s", s->q->root_name, shown);
  return true;
}

/* What a fetch must bring: the binary's build id and symbols. */
typedef struct {
  search_t *s;
  const unsigned char *id;
  size_t id_len;
} fetch_t;

/* A fetched file stays debuginfod.c's: where its DWARF is wanted, it is
 * copied (once, for the one file accepted). */
static bool accept_fetched(const mctop_image_t *img, void *arg, char *why,
                           size_t whylen) {
  fetch_t *f = arg;
  mctop_image_t *keep = f->s->q->keep_debug;
  if (!match_image(img, f->id, f->id_len, f->s->names, f->s->n, f->s->vaddr,
                   f->s->clone, why, whylen))
    return false;
  mctop_image_t copy = {0};
  if (keep != NULL && (copy.data = malloc(img->size)) != NULL) {
    memcpy(copy.data, img->data, img->size);
    copy.size = img->size;
    keep_image(&copy, keep);
  }
  return true;
}

/* The last resort: debuginfod, by build id (the query's fetch). */
static bool fetch_debug(search_t *s, const unsigned char *id, size_t id_len) {
  char shown[MCTOP_ESCAPED_SIZE(256)], from[PATH_MAX];
  fetch_t f = {s, id, id_len};
  mctop_esc(s->q->bin_name, shown, sizeof(shown));
  if (s->q->fetch(id, id_len, s->q->fetch_seconds, shown, accept_fetched, &f,
                  from, sizeof(from), s->fetched, sizeof(s->fetched)) != 0)
    return false;
  snprintf(s->symfile, s->symlen, "%s", from);
  return true;
}

/* The debug file by build id, then by .gnu_debuglink, in every dir; then,
 * for a stripped binary, from debuginfod. */
static bool search_debug(search_t *s, Elf *bin, bool stripped) {
  unsigned char id[BUILD_ID_MAX];
  size_t id_len = build_id(bin, id);
  char link[256], path[PATH_MAX + 512];
  debuglink(bin, link, sizeof(link));
  const mctop_symbol_query_t *q = s->q;
  for (size_t d = 0; id_len > 1 && d < q->debug_dirs_num; d++) {
    int used = snprintf(path, sizeof(path), "%s/.build-id/%02x/",
                        q->debug_dirs[d], id[0]);
    for (size_t i = 1;
         i < id_len && used > 0 && (size_t)used + 3 < sizeof(path); i++)
      used += snprintf(path + used, sizeof(path) - (size_t)used, "%02x", id[i]);
    snprintf(path + used, sizeof(path) - (size_t)used, ".debug");
    if (try_path(s, path, id, id_len))
      return true;
  }
  if (link[0] != '\0') {
    snprintf(path, sizeof(path), "%s/%s", q->bin_dir, link);
    if (try_path(s, path, id, id_len))
      return true;
    snprintf(path, sizeof(path), "%s/.debug/%s", q->bin_dir, link);
    if (try_path(s, path, id, id_len))
      return true;
    for (size_t d = 0; d < q->debug_dirs_num; d++) {
      snprintf(path, sizeof(path), "%s%s/%s", q->debug_dirs[d], q->bin_dir,
               link);
      if (try_path(s, path, id, id_len))
        return true;
    }
  }
  return stripped && q->fetch != NULL && fetch_debug(s, id, id_len);
}

/* Whether the binary has a .symtab: one built to keep its symbols is not
 * worth a network request for the few its build left out (inlined). */
static bool has_symtab(Elf *elf) {
  for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn)) != NULL;) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) != NULL && sh.sh_type == SHT_SYMTAB)
      return true;
  }
  return false;
}

int mctop_find_functions(const mctop_symbol_query_t *q,
                         const char *const *names, size_t n,
                         mctop_symbol_t *out, char *symfile, size_t symlen,
                         char *err, size_t errlen) {
  uint64_t *vaddr = calloc(n + 1, sizeof(*vaddr));
  bool *clone = calloc(n + 1, sizeof(*clone));
  char tried[1024] = "", shown[MCTOP_ESCAPED_SIZE(256)];
  Elf *bin = vaddr && clone ? elf_open(q->bin, q->bin_size) : NULL;
  int status = -1;
  memset(out, 0, n * sizeof(*out));
  mctop_esc(q->bin_name, shown, sizeof(shown));
  if (bin == NULL) {
    snprintf(err, errlen, "cannot read %s as an ELF file", shown);
    free(vaddr);
    free(clone);
    return -1;
  }
  search_t s = {.q = q,
                .names = names,
                .n = n,
                .vaddr = vaddr,
                .clone = clone,
                .symfile = symfile,
                .symlen = symlen,
                .tried = tried,
                .triedlen = sizeof(tried)};
  /* The binary's own table when it has every name; else its debug file
   * (a stripped binary's .dynsym may hold a few); else what it has. */
  symfile[0] = '\0';
  size_t own = find_in(bin, names, n, vaddr, clone);
  bool debug =
      own < n && search_debug(&s, bin, !has_symtab(bin)); /* sets symfile */
  if (!debug && own > 0)
    snprintf(symfile, symlen, "%s", shown);
  if (!debug && own == 0) {
    if (tried[0] == '\0')
      snprintf(err, errlen, "the file has none and names no debug file");
    else if (s.tried_more == 0)
      snprintf(err, errlen, "no debug file at %s", tried);
    else
      snprintf(err, errlen, "no debug file at %s nor at %zu other places",
               tried, s.tried_more);
    if (s.fetched[0])
      snprintf(err + strlen(err), errlen - strlen(err), "; debuginfod: %s",
               s.fetched);
    goto out;
  }
  to_offsets(bin, q->bin_size, vaddr, n, out);
  for (size_t i = 0; i < n; i++)
    out[i].clone = clone[i];
  status = 0;
out:
  elf_end(bin);
  free(vaddr);
  free(clone);
  return status;
}
