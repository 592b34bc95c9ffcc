/*
 * mctop: where in a function's first bytes symbol mode puts its uprobe
 * (fn_entry.h).  Byte patterns only, matched exactly: anything else keeps
 * the probe where it was, correct and maybe single-stepped.
 */
#include "fn_entry.h"

#include <string.h>

#define ENDBR64 "\xf3\x0f\x1e\xfa"

size_t mctop_fn_entry_body(const unsigned char *code, size_t avail) {
  return avail >= 4 && memcmp(code, ENDBR64, 4) == 0 ? 4 : 0;
}

bool mctop_fn_entry_emulated(const unsigned char *code, size_t avail) {
  if (avail >= 1 && (code[0] == 0x55 || code[0] == 0x53))
    return true; /* push %rbp, push %rbx */
  /* push %r12 ... %r15 */
  return avail >= 2 && code[0] == 0x41 && code[1] >= 0x54 && code[1] <= 0x57;
}

size_t mctop_fn_entry_unlink_body(const unsigned char *code, size_t avail,
                                  size_t body, unsigned flags_off,
                                  bool flags_8bit) {
  /* movz[bw]l flags_off(%rdi),%eax; test $0x1,%al; jne body; ret */
  const unsigned char want[] = {0x0f, flags_8bit ? 0xb6 : 0xb7,
                                0x47, (unsigned char)flags_off,
                                0xa8, 0x01,
                                0x75};
  const size_t jne_end = sizeof(want) + 1; /* the rel8 follows */
  if (flags_off > 127 || body > avail || avail - body < jne_end + 1 ||
      memcmp(code + body, want, sizeof(want)) != 0)
    return body;
  signed char rel = (signed char)code[body + sizeof(want)];
  const unsigned char *after = code + body + jne_end;
  if (after[0] != 0xc3 &&
      !(after[0] == 0xf3 && avail - body > jne_end + 1 && after[1] == 0xc3))
    return body; /* the not-linked path must do nothing */
  if (rel <= 0)
    return body;
  size_t target = body + jne_end + (size_t)rel;
  if (target >= avail)
    return body;
  /* An LTO build's body first clears ITEM_LINKED in eax (and $imm8,%eax),
   * which touches neither it nor hv: past it, where a push follows. */
  if (avail - target > 3 && code[target] == 0x83 && code[target + 1] == 0xe0 &&
      mctop_fn_entry_emulated(code + target + 3, avail - target - 3))
    return target + 3;
  return target;
}
