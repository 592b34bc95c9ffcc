/*
 * Unit tests: the key table's hash (bpf/key_hash.h), the same code the BPF
 * program runs.  SipHash-2-4 against the test vectors of the SipHash paper
 * (appendix A and the reference implementation's first vector) checks the
 * construction; the kernel runs it with 1 and 3 rounds.  Then what the
 * table relies on: bytes past the key's length are ignored, and the length,
 * every byte and both halves of the secret change the hash.
 */
#include <string.h>

#include "key_hash.h"
#include "mctop.h"
#include "tap.h"

/* The paper's key, 00 01 .. 0f, as two little-endian words. */
#define K0 0x0706050403020100ULL
#define K1 0x0f0e0d0c0b0a0908ULL

static void paper_vectors(void) {
  __u8 buf[MCTOP_KEY_WORDS * 8] = {0};
  for (int i = 0; i < 15; i++)
    buf[i] = (__u8)i;
  CHECK_U64(0xa129ca6149be45e5ULL, mctop_siphash(K0, K1, buf, 15, 2, 4),
            "SipHash-2-4 of 00..0e under 00..0f is the paper's a129ca61..");
  CHECK_U64(0x726fdb47dd0e0e31ULL, mctop_siphash(K0, K1, buf, 0, 2, 4),
            "SipHash-2-4 of the empty message is the reference's first");
}

static void what_the_table_relies_on(void) {
  __u8 a[MCTOP_KEY_WORDS * 8], b[MCTOP_KEY_WORDS * 8];
  memset(a, 'x', sizeof(a));
  memset(b, 0xa5, sizeof(b));
  memcpy(b, a, 21);
  __u64 h = mctop_siphash(K0, K1, a, 21, 1, 3);
  CHECK_U64(h, mctop_siphash(K0, K1, b, 21, 1, 3),
            "bytes past the key's length do not change its hash");
  CHECK(h != mctop_siphash(K0, K1, a, 22, 1, 3),
        "a key and the same key one byte longer differ");
  CHECK(h != mctop_siphash(K0, K1, a, 21, 2, 4), "1-3 is not 2-4");
  CHECK(h != mctop_siphash(K0 ^ 1, K1, a, 21, 1, 3) &&
            h != mctop_siphash(K0, K1 ^ (1ULL << 63), a, 21, 1, 3),
        "both halves of the secret change the hash");
  int same = 0;
  for (int i = 0; i < MCTOP_KEY_MAX; i++) {
    memset(a, 'x', sizeof(a));
    __u64 h0 = mctop_siphash(K0, K1, a, MCTOP_KEY_MAX, 1, 3);
    a[i] ^= 0x80;
    same += h0 == mctop_siphash(K0, K1, a, MCTOP_KEY_MAX, 1, 3);
  }
  CHECK(same == 0,
        "a flipped top bit in any of a 250-byte key's bytes changes the "
        "hash (%d did not)",
        same);
  /* The old hash's seed-independent collision (key_hash.h): bit 63 of word
   * 0, bits 63 and 32 of word 1. */
  memset(a, 'k', sizeof(a));
  memcpy(b, a, sizeof(b));
  b[7] ^= 0x80;
  b[15] ^= 0x80;
  b[12] ^= 0x01;
  CHECK(mctop_siphash(K0, K1, a, 16, 1, 3) !=
            mctop_siphash(K0, K1, b, 16, 1, 3),
        "the differential that cancels in the old hash does not here");
}

int main(void) {
  paper_vectors();
  what_the_table_relies_on();
  return tap_done();
}
