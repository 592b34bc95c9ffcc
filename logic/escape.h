/*
 * mctop: bytes a target or a client chose, made safe to print.
 *
 * Paths, section contents, USDT argument text and key bytes come from
 * files and clients mctop does not trust.  A raw ESC, CR, LF or C1
 * control in a log line or on a terminal can forge log lines, retitle or
 * clear the terminal; these helpers write such bytes as \xNN instead.
 */
#ifndef MCTOP_ESCAPE_H
#define MCTOP_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

/* Room for a string of n bytes, each of them escaped, and the NUL. */
#define MCTOP_ESCAPED_SIZE(n) (4 * (n) + 1)

/* True for the bytes written as they are: printable ASCII but '\\'. */
static inline bool mctop_escape_keeps(unsigned char c) {
  return c >= 0x20 && c < 0x7f && c != '\\';
}

/*
 * Writes in[0..len) to out (NUL-terminated, at most size bytes with the
 * NUL): printable ASCII as it is, '\\' as "\\\\", every other byte as
 * "\xNN".  Cut before an escape that does not fit, never inside one.
 * Returns the length written.
 */
size_t mctop_escape(const void *in, size_t len, char *out, size_t size);

/* mctop_escape of the NUL-terminated string s into buf; returns buf, so
 * that it can be a printf argument. */
const char *mctop_esc(const char *s, char *buf, size_t size);

#endif /* MCTOP_ESCAPE_H */
