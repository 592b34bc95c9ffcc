/*
 * libFuzzer target: mctop_usdt_parse_args() (logic/usdt_args.c), which
 * reads the argument format of every USDT note of a traced binary: bytes
 * from a file mctop did not write.  Any broken invariant calls abort().
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usdt_args.h"

static void fail(const char *what) {
  fprintf(stderr, "fuzz_usdt_args: %s\n", what);
  abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char fmt[512], err[256];
  struct mctop_arg_spec specs[MCTOP_USDT_ARGS_MAX + 1];
  if (size >= sizeof(fmt))
    return 0;
  memcpy(fmt, data, size);
  fmt[size] = '\0'; /* a note's format is a C string */
  memset(specs, 0xA5, sizeof(specs));
  err[0] = '\0';
  int n =
      mctop_usdt_parse_args(fmt, specs, MCTOP_USDT_ARGS_MAX, err, sizeof(err));
  if (n < -1 || n > MCTOP_USDT_ARGS_MAX)
    fail("returned an impossible count");
  if (n == -1 && (err[0] == '\0' || memchr(err, '\0', sizeof(err)) == NULL))
    fail("failed without a NUL-terminated message");
  for (size_t i = 0; n == -1 && err[i] != '\0'; i++)
    if ((unsigned char)err[i] < 0x20 || (unsigned char)err[i] >= 0x7f)
      fail("the message holds a control or non-ASCII byte (not escaped)");
  for (int i = 0; i < n; i++) {
    const struct mctop_arg_spec *a = &specs[i];
    if (a->kind < MCTOP_ARG_CONST || a->kind > MCTOP_ARG_REG_DEREF)
      fail("an argument of no kind");
    if (a->shift != 0 && a->shift != 32 && a->shift != 48 && a->shift != 56)
      fail("a size other than 1, 2, 4 or 8 bytes");
    if (a->kind != MCTOP_ARG_CONST && a->reg_off % 8 != 0)
      fail("a register offset inside a register");
  }
  /* One spec past the room given is never written. */
  const uint8_t *past = (const uint8_t *)&specs[MCTOP_USDT_ARGS_MAX];
  for (size_t i = 0; i < sizeof(specs[0]); i++)
    if (past[i] != 0xA5)
      fail("wrote past the room given");
  return 0;
}
