/*
 * mctop command: text from keys and targets, made safe to show.
 *
 * A key name, a version read from a binary or a log line can hold bytes a
 * terminal acts on (ESC, CSI as U+009B), characters that reorder the text
 * after them (U+202E) or bytes that are not UTF-8 at all.  The screen
 * shows such bytes as \xNN and measures what it shows in columns; --json
 * writes code points, so that the line is valid UTF-8 and decodes back to
 * exactly the bytes it was given.
 */
#ifndef MCTOP_CLI_TEXT_H
#define MCTOP_CLI_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Room for a cell of at most `width` columns: an escape (4 columns) is 4
 * bytes, a character at most 4 bytes in 1 column. */
#define MCTOP_CELL_SIZE(width) (4 * (size_t)(width) + 1)

/*
 * Writes s[0..len) to out (NUL-terminated, at most size bytes with the NUL)
 * as at most `width` terminal columns, then spaces up to `width` if pad.
 * Printable ASCII (backslash included, so the log's own \xNN escapes show
 * as they are) and, if utf8, well-formed UTF-8 of one or two columns are
 * kept; every other byte is written as \xNN: controls, DEL, invalid UTF-8,
 * utf8.h's unsafe characters (C1, bidi controls, U+2028/9, U+FEFF), and
 * characters of no width (combining, format) or of none known.  Cut
 * before the character or escape that would pass the width.  Returns the
 * columns taken, padding included.
 */
int mctop_text_cell(const char *s, size_t len, int width, bool pad, bool utf8,
                    char *out, size_t size);

/* Bytes of text[0..len) that fit in `width` columns, as the cell above
 * counts them; "ESC [ ... letter" (the screen's own video attributes)
 * takes none.  For text made of cells and the screen's own sequences. */
size_t mctop_text_fit(const char *text, size_t len, int width);

/*
 * Writes s (NUL-terminated) to out as a JSON string, quotes included, in
 * UTF-8: '"' and '\\' escaped, controls, DEL and utf8.h's unsafe
 * characters as \uXXXX, everything else well-formed as it is.  Parsed, the
 * string is exactly s when s is well-formed UTF-8, as a key name always is
 * (keyname.h escapes other bytes as %XX); a byte that is not is written as
 * U+FFFD, so the line stays valid.
 */
void mctop_json_string(FILE *out, const char *s);

#endif /* MCTOP_CLI_TEXT_H */
