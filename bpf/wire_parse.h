/* SPDX-License-Identifier: MIT */
/*
 * memcached's request stream, parsed as it arrives (issue 24, "wire" mode):
 * the bytes memcached reads from a client socket go in, a chunk at a time,
 * and out come events, one at a time: the command (enum mctop_cmd), the
 * key, and a store's value bytes.  Shared by the BPF program, which copies
 * each read() out of memcached's memory into a MCTOP_WIRE_CHUNK buffer, and
 * by tests/unit/test_wire_parse.c and tests/fuzz/fuzz_wire_parse.c.
 *
 * Pure C for both sides: fixed-width types, no libc, no BPF helper, no
 * recursion, every loop bounded by a constant, every index into the chunk or
 * the key buffer masked or checked.  Everything here is a client's bytes.
 *
 * What state a connection keeps between reads is struct mctop_wire_conn
 * (a BPF hash map's value later, keyed by tgid and fd): the parser's mode,
 * the command, the key so far (a key split across two reads is completed
 * in it), a number being parsed, and counters.  Driving it:
 *
 *   mctop_wire_skip()  the bytes of a value block (or a binary body) the
 *                      parser skips without looking: a caller can leave
 *                      them in memcached's memory and copy only the rest;
 *   mctop_wire_byte()  one byte in, 1 when it completed an event;
 *   mctop_wire_step()  both, for one position of a chunk: what a bpf_loop()
 *                      callback runs;
 *   mctop_wire_next()  steps until an event or the chunk's end (a loop
 *                      bounded by MCTOP_WIRE_CHUNK);
 *   mctop_wire_gap()   bytes were lost: skipped if they fall in a block
 *                      being skipped, else the parser resynchronises.
 *
 * All of a connection's state is in the struct and the caller's position:
 * a caller that stops after any number of events per read and resumes at the
 * same position loses nothing.  An event's key is c->tok[0, key_len), valid
 * until the next byte is fed: always in the connection's buffer, never a
 * pointer into the chunk, so a key whole in one read and one split across
 * two are read the same way, from one 256-byte buffer the verifier knows
 * and the key hash reads as whole words.
 *
 * What memcached does, read in its source (../shared/memcached-src, 1.5.22,
 * 1.6.9, 1.6.18, 1.6.45; proto_text.c, proto_parser.c, proto_bin.c,
 * protocol_binary.h):
 * - The first byte of a connection picks the protocol: 0x80 binary, else
 *   text and meta (try_read_command_negotiate).
 * - Text: a line ends at "\n", a "\r" before it is dropped; tokens are
 *   separated by runs of ' ' (no other whitespace); the command word is
 *   the first token, case-sensitive; a key is any bytes but ' ' and at most
 *   KEY_MAX_LENGTH (250) of them.  get/gets look every key up in order and
 *   stop at the first key that is too long.
 * - gat/gats count as touches, not gets: with should_touch set memcached
 *   adds to touch_cmds (stats "cmd_touch") and never to get_cmds
 *   ("cmd_get"), hit or miss (1.6.45 proto_parser.c process_get_cmd();
 *   1.6.18 proto_text.c and 1.5.22 memcached.c process_get_command());
 *   mctop's symbol mode counts them as touches too.  So a gat/gats key is
 *   a TOUCH event here.
 * - A get's or gat's keys are counted as each ends, before the line's end
 *   (memcached looks them up once the whole line is in, and a line is
 *   unbounded): a get line cut off by a closed connection still counts the
 *   keys it had.
 * - Stores: "<cmd> <key> <flags> <exptime> <bytes> [cas] [noreply]", then
 *   <bytes> + 2 bytes of value block that must end in "\r\n" (else "bad
 *   data chunk" and nothing stored; the stream goes on after the block).
 *   <bytes> above INT_MAX - 2 or not a number: no block (the next bytes are
 *   commands).  The event comes at the block's end, when memcached stores.
 * - Meta (1.6): mg, md, ma, ms with the key second and flags after it.  ms's
 *   data length is the third token from 1.6.10 on ("ms <key> <datalen>
 *   <flags>*") and an "S<datalen>" flag before (1.5.19-1.6.9): a digit
 *   third is the former, else the S flag is looked for.  ms's mode flag
 *   (M + E add, A append, P prepend, R replace, S set) picks the command, a
 *   C flag with set or replace makes it a cas (process_mset_cmd_start); ma's
 *   (I or + incr, D or - decr) picks incr or decr; any other mode letter is
 *   refused.  A key sent in base64 (the b flag) is counted as sent, not
 *   decoded (decoding can come later).
 * - Binary: a 24-byte header (magic 0x80, opcode, key length 16 bits and
 *   extras length 8 bits, body length 32 bits, all big-endian; cas at 16),
 *   then extras, key, value.  memcached closes the connection on a wrong
 *   magic, a body shorter than key + extras or above 1 GiB, a key above 250
 *   and a command whose lengths do not fit its shape (dispatch_bin_command);
 *   an unknown opcode gets an error and a body's length swallowed after
 *   its extras and key; what follows a touch's or gat's key is read as the
 *   next header whatever the body length said.  set, add and
 *   replace with a non-zero cas store as a cas (process_bin_update: the
 *   item's cas decides); append and prepend keep their names.
 *
 * Where the versions differ and one choice is made: a line starting with a
 * space is refused (1.6.45; older tokenizers skipped leading spaces); a
 * store whose <bytes> parses but whose key is too long or flags or exptime
 * are not numbers has its block skipped (1.6.45 swallows it; 1.6.18 and
 * older read it as commands); a NUL is a byte like any other (1.6.45;
 * older tokenizers ended the line's tokens there).  Not checked: the ranges of
 * flags, exptime, cas and deltas (only that they are numbers), delete's
 * optional argument, meta flags other than M, C and S.
 */
#ifndef MCTOP_WIRE_PARSE_H
#define MCTOP_WIRE_PARSE_H

#include <linux/types.h>

#include "mctop.h"

/* The most bytes fed in one chunk (a power of two: indexes are masked). */
#define MCTOP_WIRE_CHUNK 512
/* The key buffer: MCTOP_KEY_MAX bytes used, whole words for the hash. */
#define MCTOP_WIRE_TOK (MCTOP_KEY_WORDS * 8)
/* memcached's largest <bytes>: INT_MAX - 2, so that + 2 fits an int. */
#define MCTOP_WIRE_VALUE_MAX 2147483645u
/* A binary body above this closes the connection
 * (memcached.h's ITEM_SIZE_MAX_UPPER_LIMIT). */
#define MCTOP_WIRE_BODY_MAX (1u << 30)
/* mctop_wire_gap()'s count when the caller does not know how many. */
#define MCTOP_WIRE_LOST_UNKNOWN (~0ULL)

/*
 * i masked into [0, n), n a power of two.  For BPF the value goes through
 * an empty asm first: clang drops a mask it can prove redundant (after an
 * i < n check) and the verifier, which tracks the register it was given,
 * then sees an index up to 65535 (STYLE.md: "Pitfalls").
 */
#ifdef __bpf__
#define MCTOP_WIRE_IDX(i, n)                                                   \
	({                                                                     \
		__u32 i_ = (i);                                                \
		asm volatile("" : "+r"(i_));                                   \
		(i_ & ((n)-1));                                                \
	})
#else
#define MCTOP_WIRE_IDX(i, n) ((i) & ((n)-1))
#endif

enum mctop_wire_mode {
	MCTOP_WIRE_FIRST,  /* nothing yet: the first byte picks the protocol */
	MCTOP_WIRE_LINE,   /* text: in a command line, token by token */
	MCTOP_WIRE_VALUE,  /* text: a value block, its "\r\n" last */
	MCTOP_WIRE_RESYNC, /* text: lost; to the next "\n" */
	MCTOP_WIRE_BIN_HEADER, /* binary: the 24-byte header */
	MCTOP_WIRE_BIN_EXTRAS, /* binary: the extras, skipped */
	MCTOP_WIRE_BIN_KEY,    /* binary: the key, kept */
	MCTOP_WIRE_BIN_BODY, /* binary: the value or an unused body, skipped */
	MCTOP_WIRE_BIN_RESYNC, /* binary: lost; to the next likely header */
};

/* c->flags */
#define MCTOP_WIRE_F_CR	       0x0001 /* a "\r" held back: a line's end? */
#define MCTOP_WIRE_F_IN_TOK    0x0002 /* inside a token */
#define MCTOP_WIRE_F_LINE_BAD  0x0004 /* memcached refuses this line */
#define MCTOP_WIRE_F_HAVE_LEN  0x0008 /* a store's length is known */
#define MCTOP_WIRE_F_HAS_CAS   0x0010 /* a meta C flag, a binary cas != 0 */
#define MCTOP_WIRE_F_DIGIT     0x0020 /* the number token has a digit */
#define MCTOP_WIRE_F_NEG       0x0040 /* ... starts with '-' */
#define MCTOP_WIRE_F_NUM_BAD   0x0080 /* ... has something else */
#define MCTOP_WIRE_F_RESYNCING 0x0100 /* lost: the next word must be known */
#define MCTOP_WIRE_F_STRICT    0x0200 /* lost: a binary header must be likely */
#define MCTOP_WIRE_F_MIDSTREAM 0x0400 /* joined after the stream's start */

/*
 * A connection's parser.  The caller zeroes it and calls
 * mctop_wire_start().  304 bytes, 256 of them the key: a key split across
 * reads has to wait somewhere, and the hash reads it as whole words.
 */
struct mctop_wire_conn {
	__u8 tok[MCTOP_WIRE_TOK]; /* the key (text, meta, binary) */
	__u64 acc;	  /* text: the command word's first 8 bytes, a number */
	__u32 skip;	  /* bytes left of a value block, extras or body */
	__u32 value_len;  /* a store's value bytes (binary: first the body's) */
	__u32 gaps;	  /* losses (mctop_wire_gap), mid-stream starts */
	__u32 resyncs;	  /* in step again after a gap or a bad header */
	__u32 bad;	  /* lines, blocks and requests memcached refuses */
	__u16 flags;	  /* MCTOP_WIRE_F_* */
	__u16 tpos;	  /* bytes of the token, header or binary key so far */
	__u16 bin_keylen; /* binary: the key's length */
	__u8 mode;	  /* enum mctop_wire_mode */
	__u8 cmd;	/* the line's command (MCTOP_WIRE_C_*), or an event's */
	__u8 arg;	/* the token's index on the line (0: the command) */
	__u8 key_len;	/* the key's length once it ended */
	__u8 kind;	/* what the token is (MCTOP_WIRE_K_*) */
	__u8 flag_ch;	/* meta: the flag letter of the token */
	__u8 meta_mode; /* meta: the M flag's mode letter */
	__u8 bin_op;	/* binary: the opcode */
	__u8 bin_extlen; /* binary: the extras' length */
	__u8 pad[5];
};

_Static_assert(sizeof(struct mctop_wire_conn) == 304,
	       "struct mctop_wire_conn: 304 bytes, one per traced connection");

struct mctop_wire_event {
	__u32 value_len; /* a store's value bytes, else 0 */
	__u8 cmd;	 /* enum mctop_cmd */
	__u8 key_len;	 /* the key: conn->tok[0, key_len) */
	__u8 pad[2];
};

/*
 * The line's command: the enum mctop_cmd values for the commands that
 * name one, then the ones that map at their line's end.
 */
#define MCTOP_WIRE_C_GAT     (MCTOP_CMD_COUNT + 0) /* exptime, keys: touch */
#define MCTOP_WIRE_C_MG	     (MCTOP_CMD_COUNT + 1)
#define MCTOP_WIRE_C_MS	     (MCTOP_CMD_COUNT + 2)
#define MCTOP_WIRE_C_MD	     (MCTOP_CMD_COUNT + 3)
#define MCTOP_WIRE_C_MA	     (MCTOP_CMD_COUNT + 4)
#define MCTOP_WIRE_C_NOKEY   (MCTOP_CMD_COUNT + 5) /* known, counts nothing */
#define MCTOP_WIRE_C_UNKNOWN (MCTOP_CMD_COUNT + 6) /* memcached: "ERROR" */
#define MCTOP_WIRE_C_NONE    (MCTOP_CMD_COUNT + 7) /* no event due */

/* What a text token is, by command and position. */
#define MCTOP_WIRE_K_SKIP     0 /* ignored (noreply, delete's extra) */
#define MCTOP_WIRE_K_WORD     1 /* the command */
#define MCTOP_WIRE_K_KEY      2 /* the key, the event at the line's end */
#define MCTOP_WIRE_K_KEY_EACH 3 /* get's keys: one event each */
#define MCTOP_WIRE_K_NUM      4 /* digits (flags, cas, delta) */
#define MCTOP_WIRE_K_NUM_NEG  5 /* digits, maybe '-' first (exptime) */
#define MCTOP_WIRE_K_LEN      6 /* a value's length */
#define MCTOP_WIRE_K_FLAG     7 /* a meta flag: letter, argument */

/* A command word's first 8 bytes, as the accumulator packs them. */
#define MCTOP_WIRE_W(a, b, c, d, e, f, g, h)                                   \
	((__u64)(a) << 56 | (__u64)(b) << 48 | (__u64)(c) << 40 |              \
	 (__u64)(d) << 32 | (__u64)(e) << 24 | (__u64)(f) << 16 |              \
	 (__u64)(g) << 8 | (__u64)(h))

/*
 * The command a word names.  Words longer than 8 bytes are told apart by
 * their first 8 and their length: a word that only shares those with
 * a known one is taken as known (it counts nothing either way).
 */
static inline __u8 mctop_wire_word_cmd(__u64 w, __u16 len)
{
	switch (w) {
	case MCTOP_WIRE_W(0, 0, 0, 0, 0, 'g', 'e', 't'):
	case MCTOP_WIRE_W(0, 0, 0, 0, 'g', 'e', 't', 's'):
		return MCTOP_CMD_GET;
	case MCTOP_WIRE_W(0, 0, 0, 0, 0, 'g', 'a', 't'):
	case MCTOP_WIRE_W(0, 0, 0, 0, 'g', 'a', 't', 's'):
		return MCTOP_WIRE_C_GAT;
	case MCTOP_WIRE_W(0, 0, 0, 0, 0, 's', 'e', 't'):
		return MCTOP_CMD_SET;
	case MCTOP_WIRE_W(0, 0, 0, 0, 0, 'a', 'd', 'd'):
		return MCTOP_CMD_ADD;
	case MCTOP_WIRE_W(0, 'r', 'e', 'p', 'l', 'a', 'c', 'e'):
		return MCTOP_CMD_REPLACE;
	case MCTOP_WIRE_W(0, 0, 'a', 'p', 'p', 'e', 'n', 'd'):
		return MCTOP_CMD_APPEND;
	case MCTOP_WIRE_W(0, 'p', 'r', 'e', 'p', 'e', 'n', 'd'):
		return MCTOP_CMD_PREPEND;
	case MCTOP_WIRE_W(0, 0, 0, 0, 0, 'c', 'a', 's'):
		return MCTOP_CMD_CAS;
	case MCTOP_WIRE_W(0, 0, 0, 0, 'i', 'n', 'c', 'r'):
		return MCTOP_CMD_INCR;
	case MCTOP_WIRE_W(0, 0, 0, 0, 'd', 'e', 'c', 'r'):
		return MCTOP_CMD_DECR;
	case MCTOP_WIRE_W(0, 0, 'd', 'e', 'l', 'e', 't', 'e'):
		return MCTOP_CMD_DELETE;
	case MCTOP_WIRE_W(0, 0, 0, 't', 'o', 'u', 'c', 'h'):
		return MCTOP_CMD_TOUCH;
	case MCTOP_WIRE_W(0, 0, 0, 0, 0, 0, 'm', 'g'):
		return MCTOP_WIRE_C_MG;
	case MCTOP_WIRE_W(0, 0, 0, 0, 0, 0, 'm', 's'):
		return MCTOP_WIRE_C_MS;
	case MCTOP_WIRE_W(0, 0, 0, 0, 0, 0, 'm', 'd'):
		return MCTOP_WIRE_C_MD;
	case MCTOP_WIRE_W(0, 0, 0, 0, 0, 0, 'm', 'a'):
		return MCTOP_WIRE_C_MA;
	case MCTOP_WIRE_W(0, 0, 0, 0, 0, 0, 'm', 'n'):
	case MCTOP_WIRE_W(0, 0, 0, 0, 0, 0, 'm', 'e'):
	case MCTOP_WIRE_W(0, 0, 0, 's', 't', 'a', 't', 's'):
	case MCTOP_WIRE_W(0, 0, 0, 0, 'q', 'u', 'i', 't'):
	case MCTOP_WIRE_W(0, 0, 0, 'w', 'a', 't', 'c', 'h'):
	case MCTOP_WIRE_W(0, 0, 0, 's', 'l', 'a', 'b', 's'):
	case MCTOP_WIRE_W(0, 0, 0, 0, 0, 'l', 'r', 'u'):
		return MCTOP_WIRE_C_NOKEY;
	case MCTOP_WIRE_W(0, 'v', 'e', 'r', 's', 'i', 'o', 'n'):
		return len == 7 ? MCTOP_WIRE_C_NOKEY : MCTOP_WIRE_C_UNKNOWN;
	case MCTOP_WIRE_W('f', 'l', 'u', 's', 'h', '_', 'a', 'l'):
	case MCTOP_WIRE_W('v', 'e', 'r', 'b', 'o', 's', 'i', 't'):
		return len == 9 ? MCTOP_WIRE_C_NOKEY : MCTOP_WIRE_C_UNKNOWN;
	case MCTOP_WIRE_W('s', 'h', 'u', 't', 'd', 'o', 'w', 'n'):
		return len == 8 ? MCTOP_WIRE_C_NOKEY : MCTOP_WIRE_C_UNKNOWN;
	case MCTOP_WIRE_W('l', 'r', 'u', '_', 'c', 'r', 'a', 'w'):
		return len == 11 ? MCTOP_WIRE_C_NOKEY : MCTOP_WIRE_C_UNKNOWN;
	case MCTOP_WIRE_W('c', 'a', 'c', 'h', 'e', '_', 'm', 'e'):
		return len == 14 ? MCTOP_WIRE_C_NOKEY : MCTOP_WIRE_C_UNKNOWN;
	}
	return MCTOP_WIRE_C_UNKNOWN;
}

/* Words of up to 8 bytes (no NUL) pack whole: their length is in the
 * value; a longer one only matches a known word's first 8 bytes. */
static inline __u8 mctop_wire_word(const struct mctop_wire_conn *c)
{
	__u8 cmd = mctop_wire_word_cmd(c->acc, c->tpos);

	if (c->flags & MCTOP_WIRE_F_NUM_BAD)
		return MCTOP_WIRE_C_UNKNOWN;
	if (c->tpos > 8 && cmd < MCTOP_WIRE_C_NOKEY)
		return MCTOP_WIRE_C_UNKNOWN;
	return cmd;
}

static inline int mctop_wire_is_store(__u8 cmd)
{
	return cmd >= MCTOP_CMD_SET && cmd <= MCTOP_CMD_CAS;
}

static inline int mctop_wire_emit(const struct mctop_wire_conn *c, __u8 cmd,
				  __u32 value_len, struct mctop_wire_event *ev)
{
	ev->cmd = cmd;
	ev->key_len = c->key_len;
	ev->value_len = value_len;
	return 1;
}

/* ---- text and meta ------------------------------------------------------ */

/* A new line: what the last one left is cleared, the counters kept. */
static inline void mctop_wire_line_start(struct mctop_wire_conn *c)
{
	c->mode = MCTOP_WIRE_LINE;
	c->flags &= MCTOP_WIRE_F_RESYNCING;
	c->arg = 0;
	c->key_len = 0;
	c->meta_mode = 0;
	c->value_len = 0;
	c->cmd = MCTOP_WIRE_C_NONE;
}

/* What the token at c->arg is, from the line's command and its first byte. */
static inline __u8 mctop_wire_kind(const struct mctop_wire_conn *c, __u8 first)
{
	__u8 a = c->arg;

	if (a == 0)
		return MCTOP_WIRE_K_WORD;
	switch (c->cmd) {
	case MCTOP_CMD_GET:
		return MCTOP_WIRE_K_KEY_EACH;
	case MCTOP_WIRE_C_GAT:
		return a == 1 ? MCTOP_WIRE_K_NUM_NEG : MCTOP_WIRE_K_KEY_EACH;
	case MCTOP_CMD_DELETE:
		return a == 1 ? MCTOP_WIRE_K_KEY : MCTOP_WIRE_K_SKIP;
	case MCTOP_CMD_TOUCH:
	case MCTOP_CMD_INCR:
	case MCTOP_CMD_DECR:
		if (a == 1)
			return MCTOP_WIRE_K_KEY;
		if (a == 2)
			return c->cmd == MCTOP_CMD_TOUCH ? MCTOP_WIRE_K_NUM_NEG
							 : MCTOP_WIRE_K_NUM;
		return MCTOP_WIRE_K_SKIP;
	case MCTOP_CMD_SET:
	case MCTOP_CMD_ADD:
	case MCTOP_CMD_REPLACE:
	case MCTOP_CMD_APPEND:
	case MCTOP_CMD_PREPEND:
	case MCTOP_CMD_CAS:
		if (a == 1)
			return MCTOP_WIRE_K_KEY;
		if (a == 2 || (a == 5 && c->cmd == MCTOP_CMD_CAS))
			return MCTOP_WIRE_K_NUM;
		if (a == 3)
			return MCTOP_WIRE_K_NUM_NEG;
		return a == 4 ? MCTOP_WIRE_K_LEN : MCTOP_WIRE_K_SKIP;
	case MCTOP_WIRE_C_MS:
		if (a == 2 && first >= '0' && first <= '9')
			return MCTOP_WIRE_K_LEN;
		/* fall through */
	case MCTOP_WIRE_C_MG:
	case MCTOP_WIRE_C_MD:
	case MCTOP_WIRE_C_MA:
		return a == 1 ? MCTOP_WIRE_K_KEY : MCTOP_WIRE_K_FLAG;
	}
	return MCTOP_WIRE_K_SKIP;
}

/* A decimal digit of a number token, saturating far above any limit. */
static inline void mctop_wire_num_byte(struct mctop_wire_conn *c, __u8 b,
				       __u16 at)
{
	if (b >= '0' && b <= '9') {
		c->flags |= MCTOP_WIRE_F_DIGIT;
		if (c->acc < (1ULL << 40))
			c->acc = c->acc * 10 + (b - '0');
	} else if (b == '-' && at == 0) {
		c->flags |= MCTOP_WIRE_F_NEG;
	} else {
		c->flags |= MCTOP_WIRE_F_NUM_BAD;
	}
}

static inline int mctop_wire_num_ok(const struct mctop_wire_conn *c, int neg_ok)
{
	__u16 f = c->flags;

	return (f & MCTOP_WIRE_F_DIGIT) && !(f & MCTOP_WIRE_F_NUM_BAD) &&
	       (neg_ok || !(f & MCTOP_WIRE_F_NEG));
}

/* A byte of a token ("\r" included unless it ended the line). */
static inline void mctop_wire_tok_byte(struct mctop_wire_conn *c, __u8 b)
{
	__u16 at = c->tpos;

	if (!(c->flags & MCTOP_WIRE_F_IN_TOK)) {
		c->flags |= MCTOP_WIRE_F_IN_TOK;
		c->flags &= ~(MCTOP_WIRE_F_DIGIT | MCTOP_WIRE_F_NEG |
			      MCTOP_WIRE_F_NUM_BAD);
		c->kind = mctop_wire_kind(c, b);
		c->acc = 0;
		at = 0;
	}
	switch (c->kind) {
	case MCTOP_WIRE_K_WORD:
		if (at < 8)
			c->acc = c->acc << 8 | b;
		if (b == 0) /* would pack as a shorter word */
			c->flags |= MCTOP_WIRE_F_NUM_BAD;
		break;
	case MCTOP_WIRE_K_KEY:
	case MCTOP_WIRE_K_KEY_EACH:
		if (at < MCTOP_WIRE_TOK)
			c->tok[MCTOP_WIRE_IDX(at, MCTOP_WIRE_TOK)] = b;
		break;
	case MCTOP_WIRE_K_NUM:
	case MCTOP_WIRE_K_NUM_NEG:
	case MCTOP_WIRE_K_LEN:
		mctop_wire_num_byte(c, b, at);
		break;
	case MCTOP_WIRE_K_FLAG:
		if (at == 0)
			c->flag_ch = b;
		else if (c->flag_ch == 'M' && at == 1)
			c->meta_mode = b;
		else if (c->flag_ch == 'S')
			mctop_wire_num_byte(c, b, at - 1);
		break;
	}
	c->tpos = at < 0xffff ? at + 1 : at;
}

static inline void mctop_wire_len_end(struct mctop_wire_conn *c)
{
	if (mctop_wire_num_ok(c, 0) && c->acc <= MCTOP_WIRE_VALUE_MAX) {
		c->value_len = (__u32)c->acc;
		c->flags |= MCTOP_WIRE_F_HAVE_LEN;
	} else {
		c->flags |= MCTOP_WIRE_F_LINE_BAD;
	}
}

static inline void mctop_wire_flag_end(struct mctop_wire_conn *c)
{
	if (c->flag_ch == 'C')
		c->flags |= MCTOP_WIRE_F_HAS_CAS;
	/* Before 1.6.10 ms's length was this flag; the token wins after. */
	if (c->flag_ch == 'S' && c->cmd == MCTOP_WIRE_C_MS &&
	    !(c->flags & MCTOP_WIRE_F_HAVE_LEN))
		mctop_wire_len_end(c);
}

/* The command word ended: what the line is.  Lost, only a known one. */
static inline void mctop_wire_word_end(struct mctop_wire_conn *c)
{
	c->cmd = mctop_wire_word(c);
	if (!(c->flags & MCTOP_WIRE_F_RESYNCING))
		return;
	if (c->cmd == MCTOP_WIRE_C_UNKNOWN) {
		c->mode = MCTOP_WIRE_RESYNC;
		return;
	}
	c->flags &= ~MCTOP_WIRE_F_RESYNCING;
	c->resyncs++;
}

/* A key ended: kept if memcached would take it, else the line is refused. */
static inline int mctop_wire_key_end(struct mctop_wire_conn *c)
{
	if (c->tpos > MCTOP_KEY_MAX || (c->flags & MCTOP_WIRE_F_LINE_BAD)) {
		c->flags |= MCTOP_WIRE_F_LINE_BAD;
		c->key_len = 0;
		return 0;
	}
	c->key_len = (__u8)c->tpos;
	return 1;
}

/* A token ended (a ' ' or the line's end): 1 with a get's or gat's key. */
static inline int mctop_wire_tok_end(struct mctop_wire_conn *c,
				     struct mctop_wire_event *ev)
{
	int ret = 0;

	if (!(c->flags & MCTOP_WIRE_F_IN_TOK))
		return 0;
	c->flags &= ~MCTOP_WIRE_F_IN_TOK;
	switch (c->kind) {
	case MCTOP_WIRE_K_WORD:
		mctop_wire_word_end(c);
		break;
	case MCTOP_WIRE_K_KEY:
		mctop_wire_key_end(c);
		break;
	case MCTOP_WIRE_K_KEY_EACH:
		if (mctop_wire_key_end(c))
			ret = mctop_wire_emit(c,
					      c->cmd == MCTOP_CMD_GET
						  ? MCTOP_CMD_GET
						  : MCTOP_CMD_TOUCH,
					      0, ev);
		break;
	case MCTOP_WIRE_K_NUM:
	case MCTOP_WIRE_K_NUM_NEG:
		if (!mctop_wire_num_ok(c, c->kind == MCTOP_WIRE_K_NUM_NEG))
			c->flags |= MCTOP_WIRE_F_LINE_BAD;
		break;
	case MCTOP_WIRE_K_LEN:
		mctop_wire_len_end(c);
		break;
	case MCTOP_WIRE_K_FLAG:
		mctop_wire_flag_end(c);
		break;
	}
	if (c->arg < 255)
		c->arg++;
	return ret;
}

/* ms: the store its mode flag and a C flag make, or NONE if refused. */
static inline __u8 mctop_wire_ms_cmd(const struct mctop_wire_conn *c)
{
	__u8 cmd;

	switch (c->meta_mode) {
	case 0:
	case 'S':
		cmd = MCTOP_CMD_SET;
		break;
	case 'E':
		return MCTOP_CMD_ADD;
	case 'A':
		return MCTOP_CMD_APPEND;
	case 'P':
		return MCTOP_CMD_PREPEND;
	case 'R':
		cmd = MCTOP_CMD_REPLACE;
		break;
	default:
		return MCTOP_WIRE_C_NONE;
	}
	return (c->flags & MCTOP_WIRE_F_HAS_CAS) ? MCTOP_CMD_CAS : cmd;
}

static inline __u8 mctop_wire_ma_cmd(const struct mctop_wire_conn *c)
{
	switch (c->meta_mode) {
	case 0:
	case 'I':
	case '+':
		return MCTOP_CMD_INCR;
	case 'D':
	case '-':
		return MCTOP_CMD_DECR;
	}
	return MCTOP_WIRE_C_NONE;
}

/* A store's line ended: its block is skipped whatever memcached thinks of
 * the rest of the line (1.6.45 swallows it); the event is due at the block's
 * end if memcached takes the line. */
static inline void mctop_wire_store_line(struct mctop_wire_conn *c, __u8 cmd,
					 int enough)
{
	if (!(c->flags & MCTOP_WIRE_F_HAVE_LEN)) {
		c->bad++;
		mctop_wire_line_start(c);
		return;
	}
	if ((c->flags & MCTOP_WIRE_F_LINE_BAD) || c->key_len == 0 || !enough)
		cmd = MCTOP_WIRE_C_NONE;
	if (cmd == MCTOP_WIRE_C_NONE)
		c->bad++;
	c->cmd = cmd;
	c->skip = c->value_len + 2;
	c->mode = MCTOP_WIRE_VALUE;
}

/* The event a non-get line makes at its end, if memcached takes it. */
static inline __u8 mctop_wire_line_cmd(const struct mctop_wire_conn *c,
				       __u8 ntok)
{
	__u8 need = 2;

	switch (c->cmd) {
	case MCTOP_CMD_TOUCH:
	case MCTOP_CMD_INCR:
	case MCTOP_CMD_DECR:
		need = 3;
		/* fall through */
	case MCTOP_CMD_DELETE:
		return ntok >= need ? c->cmd : MCTOP_WIRE_C_NONE;
	case MCTOP_WIRE_C_MG:
		return MCTOP_CMD_GET;
	case MCTOP_WIRE_C_MD:
		return MCTOP_CMD_DELETE;
	case MCTOP_WIRE_C_MA:
		return mctop_wire_ma_cmd(c);
	}
	return MCTOP_WIRE_C_NONE;
}

/* The line ended: 1 with its event; a store moves on to its block. */
static inline int mctop_wire_line_end(struct mctop_wire_conn *c,
				      struct mctop_wire_event *ev)
{
	__u8 ntok = c->arg, cmd = c->cmd, ev_cmd;
	int refused = (c->flags & MCTOP_WIRE_F_LINE_BAD) != 0;
	int ret = 0;

	if (c->mode == MCTOP_WIRE_RESYNC || ntok == 0) {
		/* still lost, or an empty line ("ERROR" unless lost) */
		if (ntok == 0 && !(c->flags & MCTOP_WIRE_F_RESYNCING))
			c->bad++;
		mctop_wire_line_start(c);
		return 0;
	}
	if (cmd == MCTOP_WIRE_C_MS) {
		mctop_wire_store_line(c, mctop_wire_ms_cmd(c), 1);
		return 0;
	}
	if (mctop_wire_is_store(cmd)) {
		mctop_wire_store_line(c, cmd,
				      ntok >= (cmd == MCTOP_CMD_CAS ? 6 : 5));
		return 0;
	}
	if (cmd == MCTOP_CMD_GET || cmd == MCTOP_WIRE_C_GAT) {
		refused |= ntok < (cmd == MCTOP_CMD_GET ? 2 : 3);
	} else if (cmd != MCTOP_WIRE_C_NOKEY) {
		ev_cmd = mctop_wire_line_cmd(c, ntok);
		if (ev_cmd == MCTOP_WIRE_C_NONE || c->key_len == 0)
			refused = 1;
		else if (!refused)
			ret = mctop_wire_emit(c, ev_cmd, 0, ev);
	}
	if (refused)
		c->bad++;
	mctop_wire_line_start(c);
	return ret;
}

/* One byte of a command line.  A "\r" waits for the next byte: before "\n"
 * it ends the line, else it is part of a token. */
static inline int mctop_wire_line_byte(struct mctop_wire_conn *c, __u8 b,
				       struct mctop_wire_event *ev)
{
	int ret;

	if (c->flags & MCTOP_WIRE_F_CR) {
		c->flags &= ~MCTOP_WIRE_F_CR;
		if (b != '\n')
			mctop_wire_tok_byte(c, '\r');
	}
	if (b == '\r') {
		c->flags |= MCTOP_WIRE_F_CR;
		return 0;
	}
	if (b == ' ') {
		/* a line starting with a space: refused, as 1.6.45 does */
		if (c->arg == 0 && !(c->flags & MCTOP_WIRE_F_IN_TOK))
			c->flags |= MCTOP_WIRE_F_LINE_BAD;
		return mctop_wire_tok_end(c, ev);
	}
	if (b != '\n') {
		mctop_wire_tok_byte(c, b);
		return 0;
	}
	/* The last token's end and the line's: only one makes an event. */
	ret = mctop_wire_tok_end(c, ev);
	if (ret) {
		mctop_wire_line_start(c);
		return ret;
	}
	return mctop_wire_line_end(c, ev);
}

/* The last two bytes of a value block must be "\r\n" (complete_nread). */
static inline int mctop_wire_value_byte(struct mctop_wire_conn *c, __u8 b,
					struct mctop_wire_event *ev)
{
	__u32 left = c->skip;

	if (left > 2) {
		c->skip = left - 1;
		return 0;
	}
	if (b != (left == 2 ? '\r' : '\n'))
		c->flags |= MCTOP_WIRE_F_LINE_BAD;
	c->skip = left - 1;
	if (left > 1)
		return 0;
	if (c->flags & MCTOP_WIRE_F_LINE_BAD) {
		if (c->cmd != MCTOP_WIRE_C_NONE)
			c->bad++;
		mctop_wire_line_start(c);
		return 0;
	}
	if (c->cmd == MCTOP_WIRE_C_NONE) {
		mctop_wire_line_start(c);
		return 0;
	}
	mctop_wire_emit(c, c->cmd, c->value_len, ev);
	mctop_wire_line_start(c);
	return 1;
}

/* ---- binary ------------------------------------------------------------ */

static inline void mctop_wire_header_start(struct mctop_wire_conn *c)
{
	c->mode = MCTOP_WIRE_BIN_HEADER;
	c->tpos = 0;
	c->bin_keylen = 0;
	c->value_len = 0;
	c->key_len = 0;
	c->flags &= MCTOP_WIRE_F_STRICT;
}

/* Lost in a binary stream: look for the next 0x80 whose header passes. */
static inline void mctop_wire_bin_lost(struct mctop_wire_conn *c)
{
	c->flags = MCTOP_WIRE_F_STRICT;
	c->mode = MCTOP_WIRE_BIN_RESYNC;
}

/*
 * The command a header asks for: the enum mctop_cmd, MCTOP_WIRE_C_NOKEY for
 * a command without one, MCTOP_WIRE_C_UNKNOWN if memcached refuses its
 * lengths (protocol_binary.h's opcodes, dispatch_bin_command's checks).
 */
static inline __u8 mctop_wire_bin_cmd(__u8 op, __u16 key, __u8 ext, __u32 body)
{
	__u8 cmd;
	int ok;

	switch (op) {
	case 0x00: /* get */
	case 0x09: /* getq */
	case 0x0c: /* getk */
	case 0x0d: /* getkq */
		cmd = MCTOP_CMD_GET;
		ok = ext == 0 && body == key;
		break;
	case 0x01: /* set, setq */
	case 0x11:
	case 0x02: /* add, addq */
	case 0x12:
	case 0x03: /* replace, replaceq */
	case 0x13:
		cmd = MCTOP_CMD_SET + (op & 0x0f) - 1;
		ok = ext == 8;
		break;
	case 0x04: /* delete, deleteq */
	case 0x14:
		cmd = MCTOP_CMD_DELETE;
		ok = ext == 0 && body == key;
		break;
	case 0x05: /* increment, decrement and their quiet forms */
	case 0x15:
	case 0x06:
	case 0x16:
		cmd = (op & 0x0f) == 5 ? MCTOP_CMD_INCR : MCTOP_CMD_DECR;
		ok = ext == 20 && body == (__u32)key + 20;
		break;
	case 0x0e: /* append, prepend */
	case 0x0f:
		cmd = op == 0x0e ? MCTOP_CMD_APPEND : MCTOP_CMD_PREPEND;
		ok = ext == 0;
		break;
	case 0x19: /* appendq, prependq */
	case 0x1a:
		cmd = op == 0x19 ? MCTOP_CMD_APPEND : MCTOP_CMD_PREPEND;
		ok = ext == 0;
		break;
	case 0x1c: /* touch */
	case 0x1d: /* gat, gatq, gatk, gatkq: touches (see the top) */
	case 0x1e:
	case 0x23:
	case 0x24:
		cmd = MCTOP_CMD_TOUCH;
		ok = ext == 4;
		break;
	default:
		return MCTOP_WIRE_C_NOKEY;
	}
	if (!ok || key == 0 || key > MCTOP_KEY_MAX)
		return MCTOP_WIRE_C_UNKNOWN;
	return cmd;
}

/* While lost, a header must look like one byte by byte, so that a false
 * start is dropped early and the real one after it is not missed. */
static inline int mctop_wire_unlikely(__u16 at, __u8 b)
{
	switch (at) {
	case 1:
		return b > 0x24 || b == 0x1f;
	case 2:
		return b != 0;
	case 3:
		return b > MCTOP_KEY_MAX;
	case 4:
		return b != 0 && b != 4 && b != 8 && b != 20;
	case 5:
		return b != 0;
	case 8:
		return b > (MCTOP_WIRE_BODY_MAX >> 24);
	}
	return 0;
}

/*
 * The bytes after its header memcached takes as a keyless request's (the
 * rest it reads as the next header): a stat's key; the whole body of
 * quit, flush, noop, version, sasl; for an opcode it does not know, an
 * error swallows a body's length more after extras and key
 * (dispatch_bin_command's default).
 */
static inline __u32 mctop_wire_nokey_len(__u8 op, __u16 key, __u8 ext,
					 __u32 body)
{
	switch (op) {
	case 0x10: /* stat */
		return (__u32)ext + key;
	case 0x07: /* quit, flush, noop, version, quitq, flushq */
	case 0x08:
	case 0x0a:
	case 0x0b:
	case 0x17:
	case 0x18:
	case 0x20: /* sasl list mechs, auth, step */
	case 0x21:
	case 0x22:
		return body;
	}
	return (__u32)ext + key + body; /* at most 2^30 + 65790 */
}

static inline void mctop_wire_after_extras(struct mctop_wire_conn *c);

/* The header's 24 bytes are in: check them, then on to extras or body. */
static inline void mctop_wire_header_done(struct mctop_wire_conn *c)
{
	__u32 body = c->value_len, key = c->bin_keylen, ext = c->bin_extlen;
	__u8 cmd = MCTOP_WIRE_C_UNKNOWN;
	int strict = (c->flags & MCTOP_WIRE_F_STRICT) != 0;

	if (body <= MCTOP_WIRE_BODY_MAX && body >= key + ext)
		cmd = mctop_wire_bin_cmd(c->bin_op, c->bin_keylen,
					 c->bin_extlen, body);
	if (strict && cmd == MCTOP_WIRE_C_UNKNOWN) {
		mctop_wire_bin_lost(c);
		return;
	}
	if (strict) {
		c->flags &= ~MCTOP_WIRE_F_STRICT;
		c->resyncs++;
	}
	if (cmd == MCTOP_WIRE_C_UNKNOWN) {
		/* memcached closes the connection; if more comes, look */
		c->bad++;
		mctop_wire_bin_lost(c);
		return;
	}
	/* set, add, replace with a cas store as a cas (process_bin_update) */
	if (cmd >= MCTOP_CMD_SET && cmd <= MCTOP_CMD_REPLACE &&
	    (c->flags & MCTOP_WIRE_F_HAS_CAS))
		cmd = MCTOP_CMD_CAS;
	if (cmd == MCTOP_WIRE_C_NOKEY) {
		/* no key to count: what memcached takes is skipped */
		c->value_len = mctop_wire_nokey_len(c->bin_op, c->bin_keylen,
						    c->bin_extlen, body);
		c->cmd = MCTOP_WIRE_C_NONE;
		c->bin_keylen = 0;
		ext = 0;
	} else {
		/* a store's value is read; what follows a touch's or gat's key
		 * is the next header to memcached, whatever the body said */
		c->value_len = mctop_wire_is_store(cmd) ? body - key - ext : 0;
		c->cmd = cmd;
	}
	c->skip = ext;
	c->mode = MCTOP_WIRE_BIN_EXTRAS;
	if (ext == 0)
		mctop_wire_after_extras(c);
}

static inline int mctop_wire_header_byte(struct mctop_wire_conn *c, __u8 b)
{
	__u16 at = c->tpos;

	if ((at == 0 && b != 0x80) ||
	    ((c->flags & MCTOP_WIRE_F_STRICT) && mctop_wire_unlikely(at, b))) {
		if (!(c->flags & MCTOP_WIRE_F_STRICT))
			c->bad++; /* a wrong magic: memcached closes */
		mctop_wire_bin_lost(c);
		/* the false start's byte may be the real one */
		if (b == 0x80) {
			mctop_wire_header_start(c);
			c->tpos = 1;
		}
		return 0;
	}
	if (at == 1)
		c->bin_op = b;
	else if (at == 2 || at == 3)
		c->bin_keylen = (__u16)(c->bin_keylen << 8 | b);
	else if (at == 4)
		c->bin_extlen = b;
	else if (at >= 8 && at <= 11)
		c->value_len = c->value_len << 8 | b;
	else if (at >= 16 && b != 0)
		c->flags |= MCTOP_WIRE_F_HAS_CAS;
	c->tpos = at + 1;
	if (at == 23)
		mctop_wire_header_done(c);
	return 0;
}

/* The extras were skipped: the key next, or straight to the body. */
static inline void mctop_wire_after_extras(struct mctop_wire_conn *c)
{
	if (c->bin_keylen > 0) {
		c->mode = MCTOP_WIRE_BIN_KEY;
		c->tpos = 0;
		return;
	}
	c->skip = c->value_len;
	if (c->skip > 0)
		c->mode = MCTOP_WIRE_BIN_BODY;
	else
		mctop_wire_header_start(c);
}

/* A key byte; its last makes the event, but a store's waits for its value. */
static inline int mctop_wire_bin_key_byte(struct mctop_wire_conn *c, __u8 b,
					  struct mctop_wire_event *ev)
{
	__u16 at = c->tpos;
	__u8 cmd = c->cmd;
	int ret = 0;

	c->tok[MCTOP_WIRE_IDX(at, MCTOP_WIRE_TOK)] = b;
	c->tpos = ++at;
	if (at < c->bin_keylen && at < MCTOP_WIRE_TOK)
		return 0;
	c->key_len = (__u8)at;
	c->skip = c->value_len;
	if (!mctop_wire_is_store(cmd) || c->skip == 0) {
		ret = mctop_wire_emit(c, cmd, c->value_len, ev);
		c->cmd = MCTOP_WIRE_C_NONE;
	}
	if (c->skip > 0)
		c->mode = MCTOP_WIRE_BIN_BODY;
	else
		mctop_wire_header_start(c);
	return ret;
}

static inline int mctop_wire_body_byte(struct mctop_wire_conn *c,
				       struct mctop_wire_event *ev)
{
	int ret = 0;

	if (c->skip > 1) {
		c->skip--;
		return 0;
	}
	if (c->cmd != MCTOP_WIRE_C_NONE)
		ret = mctop_wire_emit(c, c->cmd, c->value_len, ev);
	mctop_wire_header_start(c);
	return ret;
}

/* ---- driving it -------------------------------------------------------- */

/* A zeroed connection, seen from its first byte or joined mid-stream. */
static inline void mctop_wire_start(struct mctop_wire_conn *c, int midstream)
{
	c->mode = MCTOP_WIRE_FIRST;
	c->cmd = MCTOP_WIRE_C_NONE;
	if (midstream) {
		c->flags |= MCTOP_WIRE_F_MIDSTREAM;
		c->gaps++;
	}
}

/* The first byte: 0x80 is binary, anything else text.  Mid-stream, the
 * first line or header seen has to prove itself (known word, likely header). */
static inline int mctop_wire_first(struct mctop_wire_conn *c, __u8 b,
				   struct mctop_wire_event *ev)
{
	int midstream = (c->flags & MCTOP_WIRE_F_MIDSTREAM) != 0;

	c->flags = 0;
	if (b == 0x80) {
		mctop_wire_header_start(c);
		if (midstream)
			c->flags |= MCTOP_WIRE_F_STRICT;
		return mctop_wire_header_byte(c, b);
	}
	mctop_wire_line_start(c);
	if (midstream)
		c->flags |= MCTOP_WIRE_F_RESYNCING;
	return mctop_wire_line_byte(c, b, ev);
}

/* One byte in: 1 if it completed an event in *ev. */
/*
 * Most bytes of a request are a key's, in the middle of it: stored with
 * no more than this (a third off the BPF program's time a byte).
 */
static inline int mctop_wire_key_byte(struct mctop_wire_conn *c, __u8 b)
{
	__u16 at = c->tpos;

	if (c->mode != MCTOP_WIRE_LINE || b <= ' ' ||
	    (c->flags & (MCTOP_WIRE_F_IN_TOK | MCTOP_WIRE_F_CR)) !=
		MCTOP_WIRE_F_IN_TOK ||
	    (c->kind != MCTOP_WIRE_K_KEY && c->kind != MCTOP_WIRE_K_KEY_EACH) ||
	    at >= MCTOP_WIRE_TOK)
		return 0;
	c->tok[MCTOP_WIRE_IDX(at, MCTOP_WIRE_TOK)] = b;
	c->tpos = at + 1;
	return 1;
}

static inline int mctop_wire_byte(struct mctop_wire_conn *c, __u8 b,
				  struct mctop_wire_event *ev)
{
	if (mctop_wire_key_byte(c, b))
		return 0;
	switch (c->mode) {
	case MCTOP_WIRE_FIRST:
		return mctop_wire_first(c, b, ev);
	case MCTOP_WIRE_LINE:
		return mctop_wire_line_byte(c, b, ev);
	case MCTOP_WIRE_VALUE:
		return mctop_wire_value_byte(c, b, ev);
	case MCTOP_WIRE_RESYNC:
		if (b == '\n')
			mctop_wire_line_start(c);
		return 0;
	case MCTOP_WIRE_BIN_HEADER:
		return mctop_wire_header_byte(c, b);
	case MCTOP_WIRE_BIN_EXTRAS:
		if (c->skip > 0)
			c->skip--;
		if (c->skip == 0)
			mctop_wire_after_extras(c);
		return 0;
	case MCTOP_WIRE_BIN_KEY:
		return mctop_wire_bin_key_byte(c, b, ev);
	case MCTOP_WIRE_BIN_BODY:
		return mctop_wire_body_byte(c, ev);
	case MCTOP_WIRE_BIN_RESYNC:
		if (b == 0x80) {
			mctop_wire_header_start(c);
			c->tpos = 1;
		}
		return 0;
	}
	return 0;
}

/*
 * Of the next avail bytes, how many the parser skips without looking (a
 * value block but its "\r\n", extras, a body but its last byte, which
 * makes a store's event): consumed, so the caller moves past them and
 * need not copy them.
 */
static inline __u32 mctop_wire_skip(struct mctop_wire_conn *c, __u32 avail)
{
	__u32 keep, n;

	switch (c->mode) {
	case MCTOP_WIRE_VALUE:
		keep = 2;
		break;
	case MCTOP_WIRE_BIN_BODY:
		keep = 1;
		break;
	case MCTOP_WIRE_BIN_EXTRAS:
		keep = 0;
		break;
	default:
		return 0;
	}
	if (c->skip <= keep)
		return 0;
	n = c->skip - keep;
	if (n > avail)
		n = avail;
	c->skip -= n;
	if (c->mode == MCTOP_WIRE_BIN_EXTRAS && c->skip == 0)
		mctop_wire_after_extras(c);
	return n;
}

/*
 * Bytes were lost (a read not copied in full, a full buffer): lost of them,
 * or MCTOP_WIRE_LOST_UNKNOWN.  If they all fall in what the parser skips,
 * nothing changes; else the parser is lost: counted, and it looks for the
 * next known command word at a line's start or the next likely header.
 */
static inline void mctop_wire_gap(struct mctop_wire_conn *c, __u64 lost)
{
	if (lost != MCTOP_WIRE_LOST_UNKNOWN && lost <= 0xffffffffULL &&
	    mctop_wire_skip(c, (__u32)lost) == lost)
		return;
	c->gaps++;
	if (c->mode == MCTOP_WIRE_FIRST) {
		c->flags |= MCTOP_WIRE_F_MIDSTREAM;
	} else if (c->mode >= MCTOP_WIRE_BIN_HEADER) {
		mctop_wire_bin_lost(c);
	} else {
		c->flags = MCTOP_WIRE_F_RESYNCING;
		mctop_wire_line_start(c);
	}
}

/* One position of a chunk: the skip there, then a byte.  *pos moves on;
 * 1 with an event.  len is at most MCTOP_WIRE_CHUNK. */
static inline int mctop_wire_step(struct mctop_wire_conn *c, const __u8 *chunk,
				  __u32 len, __u32 *pos,
				  struct mctop_wire_event *ev)
{
	__u32 p = *pos;

	if (len > MCTOP_WIRE_CHUNK)
		len = MCTOP_WIRE_CHUNK;
	if (p >= len)
		return 0;
	p += mctop_wire_skip(c, len - p);
	if (p >= len) {
		*pos = p;
		return 0;
	}
	*pos = p + 1;
	return mctop_wire_byte(c, chunk[MCTOP_WIRE_IDX(p, MCTOP_WIRE_CHUNK)],
			       ev);
}

/* Steps to the next event (1) or the chunk's end (0, *pos == len). */
static inline int mctop_wire_next(struct mctop_wire_conn *c, const __u8 *chunk,
				  __u32 len, __u32 *pos,
				  struct mctop_wire_event *ev)
{
	if (len > MCTOP_WIRE_CHUNK)
		len = MCTOP_WIRE_CHUNK;
	for (int i = 0; i < MCTOP_WIRE_CHUNK; i++) {
		if (*pos >= len)
			return 0;
		if (mctop_wire_step(c, chunk, len, pos, ev))
			return 1;
	}
	return 0;
}

#endif /* MCTOP_WIRE_PARSE_H */
