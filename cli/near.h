/*
 * mctop command: the flag a mistyped one was probably meant to be.
 *
 * "--josn" is "--json" with two letters swapped: counting a swap as one
 * edit (optimal string alignment distance) says so, where plain
 * Levenshtein would count two and miss it.
 */
#ifndef MCTOP_CLI_NEAR_H
#define MCTOP_CLI_NEAR_H

#include <stddef.h>

/* Edits (insert, delete, substitute, swap two neighbours) from a to b;
 * words longer than MCTOP_NEAR_MAX count as far from everything. */
#define MCTOP_NEAR_MAX 63
size_t mctop_near_distance(const char *a, const char *b);

/* Whether word is close enough to candidate to suggest it: one edit for
 * candidates up to 4 letters, two for longer ones, and never a word that
 * is mostly changed. */
int mctop_near(const char *word, const char *candidate);

#endif /* MCTOP_CLI_NEAR_H */
