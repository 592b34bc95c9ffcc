/* SPDX-License-Identifier: MIT */
/*
 * The key table's hash (mctop.h): SipHash-1-3 of the key's bytes under a
 * 128-bit secret that user space draws from getrandom(2) for each load of
 * the program, written from the SipHash paper (Aumasson and Bernstein,
 * "SipHash: a fast short-input PRF", 2012).  Shared by the BPF program, the
 * benchmark's floor and the unit test, which checks it against the paper's
 * test vector.
 *
 * Why a keyed PRF and not the old multiply-xorshift lanes with a seeded
 * initial state: key bytes come from any memcached client, and a hash
 * whose collisions can be computed lets a client merge two keys into one
 * count or fill a chosen key's probe window with decoys so its events are
 * never counted per key (issue 19).  Seeding only the initial state does
 * not stop that: each lane's step, e.g. (h ^ w) * C then h ^= h >> 31, is
 * public and invertible, and a difference in a word's top bit passes the
 * multiply unchanged (2^63 * odd C = 2^63 mod 2^64), so flipping bit 63 of
 * one word and bits 63 and 32 of the next gives the slot lane the same
 * state for every seed: from one key of 2n words, 2^n - 1 others with its
 * slot hash, enough to fill its (then) probe window, with no seed known. Mixing
 * a secret into each word's step the same way (xor, odd multiplier) leaves that
 * differential intact.  SipHash's add-rotate-xor rounds carry
 * no difference through unchanged, and it is a PRF under its key: without
 * the key, a collision is a 2^-63 guess per pair, and nothing mctop shows a
 * client tells it whether a guess landed.  SipHash-1-3 (one round per
 * word, three to finish) is the variant hash tables use (CPython, Rust);
 * bench/run measures it against the old hash ("floor+old", "floor+sip").
 *
 * One 64-bit output serves every need: its high half picks the key's two
 * buckets, its low half is the key's tag in them, and the whole value (low
 * bit set) is the fingerprint.  Two keys share a fingerprint only if all 64
 * bits agree, so they also share buckets and tag: a wrong charge is a 2^-63
 * event per pair of live keys.
 */
#ifndef MCTOP_KEY_HASH_H
#define MCTOP_KEY_HASH_H

#include <linux/types.h>

#include "mctop.h"

#define MCTOP_SIP_ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

/* SipRound: the paper's add-rotate-xor round over the four lanes. */
#define MCTOP_SIP_ROUND(v0, v1, v2, v3)                                        \
	do {                                                                   \
		v0 += v1;                                                      \
		v1 = MCTOP_SIP_ROTL(v1, 13);                                   \
		v1 ^= v0;                                                      \
		v0 = MCTOP_SIP_ROTL(v0, 32);                                   \
		v2 += v3;                                                      \
		v3 = MCTOP_SIP_ROTL(v3, 16);                                   \
		v3 ^= v2;                                                      \
		v0 += v3;                                                      \
		v3 = MCTOP_SIP_ROTL(v3, 21);                                   \
		v3 ^= v0;                                                      \
		v2 += v1;                                                      \
		v1 = MCTOP_SIP_ROTL(v1, 17);                                   \
		v1 ^= v2;                                                      \
		v2 = MCTOP_SIP_ROTL(v2, 32);                                   \
	} while (0)

/* The eight bytes at p as a little-endian word, as SipHash reads them. */
static inline __u64 mctop_sip_word(const __u8 *p)
{
	__u64 w;

	__builtin_memcpy(&w, p, sizeof(w));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

/*
 * SipHash-c-d of the len bytes at data under the key (k0, k1), the key
 * read as two little-endian words.  data must hold whole words past len
 * (MCTOP_KEY_WORDS of them, as struct mctop_name_rec does); bytes past len
 * are ignored.  len <= MCTOP_KEY_MAX: the loop is bounded by the buffer,
 * not by len, so the verifier sees every read inside it.
 */
static inline __attribute__((always_inline)) __u64
mctop_siphash(__u64 k0, __u64 k1, const __u8 *data, __u32 len, int c, int d)
{
	__u64 v0 = k0 ^ 0x736f6d6570736575ULL;
	__u64 v1 = k1 ^ 0x646f72616e646f6dULL;
	__u64 v2 = k0 ^ 0x6c7967656e657261ULL;
	__u64 v3 = k1 ^ 0x7465646279746573ULL;

	for (__u32 i = 0; i < MCTOP_KEY_WORDS; i++) {
		__u64 m = mctop_sip_word(&data[i * 8]);
		__u32 rest = len - i * 8;
		/* The last block: the 0-7 bytes left and len's low byte. */
		int last = len < i * 8 + 8;

		if (last)
			m = (m & ((1ULL << (rest * 8)) - 1)) | (__u64)len << 56;
		v3 ^= m;
		for (int r = 0; r < c; r++)
			MCTOP_SIP_ROUND(v0, v1, v2, v3);
		v0 ^= m;
		if (last)
			break;
	}
	v2 ^= 0xff;
	for (int r = 0; r < d; r++)
		MCTOP_SIP_ROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

#endif /* MCTOP_KEY_HASH_H */
