/*
 * mctop: reading UTF-8 in text a client or a target chose, and the code
 * points that must never reach a terminal, a log or a name as they are.
 *
 * Key names (keyname.c), the terminal (cli/text.c) and --json all ask
 * these two questions, so a character is shown the same way everywhere.
 */
#ifndef MCTOP_UTF8_H
#define MCTOP_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs,
 * no surrogates, nothing above U+10FFFF) of at most avail bytes, with its
 * code point in *cp; 0 if malformed (then *cp is s[0]).  ASCII is a
 * sequence of 1. */
size_t mctop_utf8_decode(const uint8_t *s, size_t avail, uint32_t *cp);

/*
 * True for the code points that change how the text around them is shown
 * rather than showing themselves: C0 and C1 controls and DEL (a terminal
 * acts on them: U+009B is a CSI like ESC '['), the bidirectional marks,
 * embeddings, overrides and isolates (U+061C, U+200E, U+200F,
 * U+202A-U+202E, U+2066-U+2069: they reorder what follows, so a key can
 * read as another), the line and paragraph separators U+2028 and U+2029
 * (line breaks to some viewers, string ends to JavaScript) and the byte
 * order mark U+FEFF.
 */
static inline bool mctop_utf8_unsafe(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x061C ||
         cp == 0x200E || cp == 0x200F || (cp >= 0x2028 && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF;
}

#endif /* MCTOP_UTF8_H */
