/*
 * mctop: USDT argument formats.  Each argument is "[-]SIZE@OPERAND", the
 * operand in the assembler's syntax as gcc wrote it for the probe's asm
 * (sys/sdt.h): "%reg", "$imm", "disp(%reg)" or "(%reg)".  A negative SIZE
 * means signed.  Forms that need more than a register and a displacement
 * ("sym(%rip)", "disp(%base,%index,scale)") are refused by name rather than
 * read wrongly.
 */
#include "usdt_args.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"

#if defined(__x86_64__)
#include <asm/ptrace.h>
#include <stddef.h>

#define REG(name64, n32, n16, n8)                                              \
  {                                                                            \
    offsetof(struct pt_regs, name64), { #name64, n32, n16, n8 }                \
  }

/* Each register with the names of its low 32, 16 and 8 bits. */
static const struct {
  size_t off;
  const char *names[4];
} regs[] = {
    REG(rax, "eax", "ax", "al"),      REG(rbx, "ebx", "bx", "bl"),
    REG(rcx, "ecx", "cx", "cl"),      REG(rdx, "edx", "dx", "dl"),
    REG(rsi, "esi", "si", "sil"),     REG(rdi, "edi", "di", "dil"),
    REG(rbp, "ebp", "bp", "bpl"),     REG(rsp, "esp", "sp", "spl"),
    REG(r8, "r8d", "r8w", "r8b"),     REG(r9, "r9d", "r9w", "r9b"),
    REG(r10, "r10d", "r10w", "r10b"), REG(r11, "r11d", "r11w", "r11b"),
    REG(r12, "r12d", "r12w", "r12b"), REG(r13, "r13d", "r13w", "r13b"),
    REG(r14, "r14d", "r14w", "r14b"), REG(r15, "r15d", "r15w", "r15b"),
};

int mctop_pt_regs_offset(const char *name) {
  for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
    for (size_t j = 0; j < 4; j++)
      if (strcmp(name, regs[i].names[j]) == 0)
        return (int)regs[i].off;
  return -1;
}
#else
int mctop_pt_regs_offset(const char *name) {
  (void)name;
  return -1;
}
#endif

/* Reads "%name" at *p into a pt_regs offset; advances *p. */
static int parse_reg(const char **p, int *off) {
  char name[8];
  size_t n = 0;
  if (**p != '%')
    return -1;
  for ((*p)++; n < sizeof(name) - 1 &&
               ((**p >= 'a' && **p <= 'z') || (**p >= '0' && **p <= '9'));
       (*p)++)
    name[n++] = **p;
  name[n] = '\0';
  *off = mctop_pt_regs_offset(name);
  return *off < 0 ? -1 : 0;
}

/* A decimal or 0x number with an optional sign; advances *p. */
static int parse_num(const char **p, long long *v) {
  char *end;
  errno = 0;
  *v = strtoll(*p, &end, 0);
  if (end == *p || errno != 0)
    return -1;
  *p = end;
  return 0;
}

/* One operand, up to the end of the token at end. */
static int parse_operand(const char *p, const char *end,
                         struct mctop_arg_spec *a) {
  long long v = 0;
  int reg;
  if (*p == '$') {
    p++;
    if (parse_num(&p, &v) != 0 || p != end)
      return -1;
    a->kind = MCTOP_ARG_CONST;
    a->val_off = v;
    return 0;
  }
  if (*p == '%') {
    if (parse_reg(&p, &reg) != 0 || p != end)
      return -1;
    a->kind = MCTOP_ARG_REG;
    a->reg_off = (__u16)reg;
    return 0;
  }
  if (*p != '(' && parse_num(&p, &v) != 0)
    return -1;
  if (*p != '(')
    return -1;
  p++;
  if (parse_reg(&p, &reg) != 0 || *p != ')' || p + 1 != end)
    return -1; /* includes "(%base,%index,scale)" and "sym(%rip)" */
  a->kind = MCTOP_ARG_REG_DEREF;
  a->reg_off = (__u16)reg;
  a->val_off = v;
  return 0;
}

/* One "[-]SIZE@OPERAND" token [p, end). */
static int parse_arg(const char *p, const char *end, struct mctop_arg_spec *a) {
  bool is_signed = *p == '-';
  char *at;
  if (is_signed)
    p++;
  long size = strtol(p, &at, 10);
  if (at == p || *at != '@' ||
      (size != 1 && size != 2 && size != 4 && size != 8))
    return -1;
  memset(a, 0, sizeof(*a));
  a->is_signed = is_signed;
  a->shift = (__u8)(64 - 8 * size);
  return parse_operand(at + 1, end, a);
}

int mctop_usdt_parse_args(const char *fmt, struct mctop_arg_spec *specs,
                          size_t max, char *err, size_t errlen) {
#if !defined(__x86_64__)
  (void)specs;
  (void)max;
  char safe[256];
  snprintf(err, errlen, "USDT arguments \"%s\": only x86-64 is supported",
           mctop_esc(fmt, safe, sizeof(safe)));
  return -1;
#else
  /* The text is the target's (a note in its ELF file): escaped here, as
   * well as with the whole log line, before it reaches a message. */
  char safe[256];
  size_t n = 0;
  for (const char *p = fmt; *p != '\0';) {
    while (*p == ' ')
      p++;
    if (*p == '\0')
      break;
    const char *end = strchr(p, ' ');
    if (end == NULL)
      end = p + strlen(p);
    if (n >= max) {
      snprintf(err, errlen, "USDT arguments \"%s\": more than %zu",
               mctop_esc(fmt, safe, sizeof(safe)), max);
      return -1;
    }
    if (parse_arg(p, end, &specs[n]) != 0) {
      mctop_escape(p, (size_t)(end - p), safe, sizeof(safe));
      snprintf(err, errlen,
               "USDT argument %zu \"%s\": not a form mctop reads (SIZE@ "
               "followed by %%reg, $imm or disp(%%reg))",
               n + 1, safe);
      return -1;
    }
    n++;
    p = end;
  }
  return (int)n;
#endif
}
