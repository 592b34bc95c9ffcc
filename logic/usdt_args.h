/*
 * mctop: reading a USDT note's argument format ("-4@%esi 8@%rax -4@$-1
 * 8@24(%rsp)") into the specs the BPF program fetches arguments by
 * (struct mctop_arg_spec in bpf/mctop.h).  Pure logic: unit-tested and
 * fuzzed on its own.
 */
#ifndef MCTOP_USDT_ARGS_H
#define MCTOP_USDT_ARGS_H

#include <stddef.h>

#include "mctop.h"

/* Arguments a USDT probe can have (sys/sdt.h stops at 12). */
#define MCTOP_USDT_ARGS_MAX 12

/*
 * Parses fmt into specs[0..max).  Returns the number of arguments, or -1
 * with err naming the argument that cannot be read and why (an operand form
 * mctop does not read, such as an index register, or an architecture other
 * than x86-64).
 */
int mctop_usdt_parse_args(const char *fmt, struct mctop_arg_spec *specs,
                          size_t max, char *err, size_t errlen);

/* Where a register of the x86-64 pt_regs is; -1 for an unknown name.
 * Sub-registers (%eax, %ax, %al) are the low bytes of their register. */
int mctop_pt_regs_offset(const char *name);

#endif /* MCTOP_USDT_ARGS_H */
