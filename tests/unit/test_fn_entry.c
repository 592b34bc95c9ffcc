/* Unit tests: where symbol mode's probe goes in a function's first bytes
 * (fn_entry.h), on byte sequences gcc emitted for memcached's
 * do_item_unlink (plain builds of 1.5.0 and 1.6.18, -fcf-protection) and
 * near misses that must keep the probe at the entry. */
#include <string.h>

#include "fn_entry.h"
#include "tap.h"

#define UNLINK16 "\x0f\xb7\x47\x26\xa8\x01\x75\x08\xc3\x0f\x1f\x80\0\0\0\0\x55"
#define UNLINK8 "\x0f\xb6\x47\x27\xa8\x01\x75\x08\xc3\x0f\x1f\x80\0\0\0\0\x55"
#define ENDBR "\xf3\x0f\x1e\xfa"
/* 1.5.22 -flto: the body clears ITEM_LINKED in eax, then pushes r12. */
#define UNLINK_LTO                                                             \
  "\x0f\xb7\x47\x26\xa8\x01\x75\x04\xc3\x0f\x1f\x00\x83\xe0\xfe\x41\x54"

static size_t skip(const char *code, size_t n, unsigned off, bool narrow) {
  const unsigned char *b = (const unsigned char *)code;
  return mctop_fn_entry_unlink_body(b, n, mctop_fn_entry_body(b, n), off,
                                    narrow);
}

int main(void) {
  const unsigned char push[] = {0x41, 0x54};
  CHECK(mctop_fn_entry_body((const unsigned char *)ENDBR "\x55", 5) == 4 &&
            mctop_fn_entry_body(push, 2) == 0,
        "an endbr64 is stepped over, anything else is the entry");
  CHECK(mctop_fn_entry_emulated(push, 2) &&
            mctop_fn_entry_emulated((const unsigned char *)"\x55", 1) &&
            !mctop_fn_entry_emulated((const unsigned char *)"\x0f\xb7", 2) &&
            !mctop_fn_entry_emulated(push, 1),
        "pushes are emulated; a movzwl, or a push cut short, is not");
  CHECK(skip(UNLINK16, sizeof(UNLINK16) - 1, 38, false) == 16,
        "1.6's do_item_unlink: the probe goes to the body the jne reaches");
  CHECK(skip(UNLINK8, sizeof(UNLINK8) - 1, 39, true) == 16,
        "1.5.0's (8-bit it_flags at 39): the same");
  CHECK(skip(ENDBR UNLINK16, sizeof(ENDBR UNLINK16) - 1, 38, false) == 20,
        "after an endbr64: the body, counted from the symbol");
  CHECK(skip(ENDBR UNLINK_LTO, sizeof(ENDBR UNLINK_LTO) - 1, 38, false) == 19,
        "an LTO build's: past the and of eax, at the push that follows");
  char lto[] = UNLINK_LTO;
  lto[15] = 0x48; /* no push after the and: the body itself */
  CHECK(skip(lto, sizeof(lto) - 1, 38, false) == 12,
        "an and followed by anything but a push: the body");
  CHECK(skip(UNLINK16, sizeof(UNLINK16) - 1, 39, false) == 0 &&
            skip(UNLINK16, sizeof(UNLINK16) - 1, 38, true) == 0,
        "a load at another offset or of another width stays at the entry");
  char other[] = UNLINK16;
  other[5] = 0x02; /* test $0x2,%al: another flag */
  CHECK(skip(other, sizeof(other) - 1, 38, false) == 0,
        "a test of another bit stays at the entry");
  memcpy(other, UNLINK16, sizeof(other));
  other[8] = 0x5d; /* the fall-through does something: no ret */
  CHECK(skip(other, sizeof(other) - 1, 38, false) == 0,
        "a not-linked path that does anything stays at the entry");
  memcpy(other, UNLINK16, sizeof(other));
  other[7] = (char)0xf0; /* a jump backwards */
  CHECK(skip(other, sizeof(other) - 1, 38, false) == 0,
        "a jump backwards stays at the entry");
  CHECK(skip(UNLINK16, 12, 38, false) == 0 && skip(UNLINK16, 6, 38, false) == 0,
        "a target or a pattern past the bytes read stays at the entry");
  return tap_done();
}
