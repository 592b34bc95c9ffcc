/* Unit tests: USDT argument formats read into the BPF program's specs. */
#include <asm/ptrace.h>
#include <stdbool.h>
#include <stddef.h>

#include "tap.h"
#include "usdt_args.h"

static struct mctop_arg_spec specs[MCTOP_USDT_ARGS_MAX];
static char err[256];

static int parse(const char *fmt) {
  err[0] = '\0';
  return mctop_usdt_parse_args(fmt, specs, MCTOP_USDT_ARGS_MAX, err,
                               sizeof(err));
}

#define REG_OFF(r) ((unsigned)offsetof(struct pt_regs, r))

/* memcached 1.6.18's first command__get site, as gcc 12 wrote it. */
static void real_site(void) {
  CHECK(parse("-4@%esi 8@%rax 1@%dil -4@%r9d 8@%rcx") == 5,
        "command__get site: five arguments");
  CHECK(specs[0].kind == MCTOP_ARG_REG && specs[0].reg_off == REG_OFF(rsi) &&
            specs[0].is_signed && specs[0].shift == 32,
        "-4@%%esi: signed 32 bits of rsi");
  CHECK(specs[1].kind == MCTOP_ARG_REG && specs[1].reg_off == REG_OFF(rax) &&
            !specs[1].is_signed && specs[1].shift == 0,
        "8@%%rax: all of rax, unsigned");
  CHECK(specs[2].reg_off == REG_OFF(rdi) && specs[2].shift == 56,
        "1@%%dil: the low byte of rdi");
  CHECK(specs[3].reg_off == REG_OFF(r9) && specs[3].shift == 32,
        "-4@%%r9d: the low half of r9");
}

static void memory_and_constants(void) {
  CHECK(parse("-4@8(%rbp) 8@24(%rsp) 8@(%r13) -4@$-1 -4@$0 8@-16(%rbx)") == 6,
        "displacements and constants");
  CHECK(specs[0].kind == MCTOP_ARG_REG_DEREF &&
            specs[0].reg_off == REG_OFF(rbp) && specs[0].val_off == 8,
        "8(%%rbp): memory at rbp + 8");
  CHECK(specs[1].reg_off == REG_OFF(rsp) && specs[1].val_off == 24,
        "24(%%rsp)");
  CHECK(specs[2].kind == MCTOP_ARG_REG_DEREF && specs[2].val_off == 0,
        "(%%r13): no displacement");
  CHECK(specs[3].kind == MCTOP_ARG_CONST && specs[3].val_off == -1 &&
            specs[3].is_signed,
        "$-1: the constant -1 (a get miss's size)");
  CHECK(specs[4].kind == MCTOP_ARG_CONST && specs[4].val_off == 0, "$0");
  CHECK(specs[5].val_off == -16, "-16(%%rbx): a negative displacement");
  CHECK(parse("") == 0, "no arguments");
  CHECK(parse("  8@%rdi  ") == 1, "spaces around a token");
}

static void refused(void) {
  static const char *const bad[] = {
      "8@sym(%rip)",                  /* rip-relative: needs the load address */
      "8@-8(%rbp,%rax,8)",            /* an index register */
      "8@%rip",                       /* not an argument register */
      "8@%ah",                        /* a high byte */
      "3@%eax",                       /* no such size */
      "8%rax",                        /* no '@' */
      "@%rax",                        /* no size */
      "8@",                           /* no operand */
      "8@$",                          /* no number */
      "8@$1x",                        /* trailing garbage */
      "8@%rax)",                      /* unbalanced */
      "8@99999999999999999999(%rax)", /* out of range */
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    int n = parse(bad[i]);
    CHECK(n == -1 && strstr(err, "argument 1") != NULL,
          "refused, naming the argument: \"%s\" (%s)", bad[i], err);
  }
  CHECK(parse("8@%rax 8@(%rax,%rbx)") == -1 && strstr(err, "argument 2"),
        "the second argument is named: %s", err);
  struct mctop_arg_spec two[2];
  CHECK(mctop_usdt_parse_args("8@%rax 8@%rbx 8@%rcx", two, 2, err,
                              sizeof(err)) == -1,
        "more arguments than room: refused (%s)", err);
}

/* The format is the target's text: a refusal quotes it escaped, so a note
 * can't put a newline or a terminal control into a log line. */
static void refusal_is_escaped(void) {
  CHECK(parse("8@%rax 8@\x1b]0;owned\x07\r\nmctop_plugin:_forged\xc2\x9b") ==
                -1 &&
            strstr(err, "\"8@\\x1b]0;owned\\x07\\x0d\\x0a") != NULL &&
            strstr(err, "\\x0amctop_plugin:_forged\\xc2\\x9b\"") != NULL,
        "a refused argument is quoted with \\xNN escapes (%zu bytes)",
        strlen(err));
  bool raw = false;
  for (const char *c = err; *c != '\0'; c++)
    raw |= (unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f;
  CHECK(!raw, "the message holds no control or non-ASCII byte");
  char many[64];
  snprintf(many, sizeof(many), "8@%%rax 8@%%rbx 8@%%rcx\x1b[2J");
  struct mctop_arg_spec two[2];
  CHECK(mctop_usdt_parse_args(many, two, 2, err, sizeof(err)) == -1 &&
            strstr(err, "8@%rcx\\x1b[2J\"") != NULL,
        "too many arguments: the format quoted escaped");
}

static void registers(void) {
  CHECK(mctop_pt_regs_offset("rdi") == (int)REG_OFF(rdi), "rdi");
  CHECK(mctop_pt_regs_offset("r15w") == (int)REG_OFF(r15), "r15w");
  CHECK(mctop_pt_regs_offset("spl") == (int)REG_OFF(rsp), "spl");
  CHECK(mctop_pt_regs_offset("xmm0") == -1, "not a general register");
}

int main(void) {
  real_site();
  memory_and_constants();
  refused();
  refusal_is_escaped();
  registers();
  return tap_done();
}
