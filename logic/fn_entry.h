/*
 * mctop: where in a function's first bytes symbol mode puts its uprobe.
 * The kernel emulates a few instructions at a uprobe (push, and the
 * endbr64 it steps over as a nop) and single-steps the others out of line,
 * which costs a second trap per hit; the place chosen must also still
 * hold the arguments in their registers.
 */
#ifndef MCTOP_FN_ENTRY_H
#define MCTOP_FN_ENTRY_H

#include <stdbool.h>
#include <stddef.h>

/* The offset, from the symbol's address, of a function's first real
 * instruction: past endbr64 (-fcf-protection), which an entry probe would
 * otherwise single-step.  code holds avail bytes from the symbol. */
size_t mctop_fn_entry_body(const unsigned char *code, size_t avail);

/* Whether the instruction at code is one the kernel's uprobes emulate
 * (a push of a register), rather than single-step. */
bool mctop_fn_entry_emulated(const unsigned char *code, size_t avail);

/*
 * do_item_unlink(it, hv) begins "if ((it->it_flags & ITEM_LINKED) != 0)";
 * gcc -O2 compiles a plain build's into a load of it_flags, a test of bit
 * 0, a jump to the body and a ret.  When the bytes at body are exactly
 * that (the load at flags_off(%rdi), movzwl for 16-bit it_flags or movzbl
 * for 8-bit), returns the offset of the body, where it is still in rdi
 * and every call that unlinks arrives, without the single-stepped load
 * (past an "and $imm8,%eax" there, if a push follows it: LTO builds);
 * otherwise returns body.  Calls for an item already unlinked, which do
 * nothing, are not seen there.
 */
size_t mctop_fn_entry_unlink_body(const unsigned char *code, size_t avail,
                                  size_t body, unsigned flags_off,
                                  bool flags_8bit);

#endif /* MCTOP_FN_ENTRY_H */
