/*
 * mctop: the words an option takes (SortBy "hits", Probes "usdt"), each
 * table the one place its words are written: the option's parser looks
 * them up in it, and every list of them a reader sees (the error, the
 * command's usage and help) is made from it when it is printed, so a word
 * added to a table is accepted and listed everywhere at once.
 */
#ifndef MCTOP_WORDS_H
#define MCTOP_WORDS_H

#include <stdbool.h>
#include <stddef.h>

/* A word and the value it stands for.  boolean: collectd.conf gives it
 * unquoted, as a boolean (Lookups true), so lists show it bare where the
 * string words are quoted; note: what it means, said after it in errors
 * (NULL: nothing). */
typedef struct {
  const char *name;
  int value;
  bool boolean;
  const char *note;
} mctop_word_t;

typedef struct {
  const mctop_word_t *word;
  size_t num;
} mctop_words_t;

#define MCTOP_WORDS(a)                                                         \
  { (a), sizeof(a) / sizeof((a)[0]) }

/* The word called name (any case), or NULL. */
const mctop_word_t *mctop_word_find(const mctop_words_t *w, const char *name);

/* The name of the word for value, or "?". */
const char *mctop_word_name(const mctop_words_t *w, int value);

enum mctop_words_style {
  MCTOP_WORDS_FLAG,   /* a flag's argument: auto|usdt|symbols */
  MCTOP_WORDS_PROSE,  /* help text: calls, gets or hits */
  MCTOP_WORDS_QUOTED, /* collectd.conf's spelling, with notes: true or "auto" */
};

/* Every word of w in the table's order, as style says, into buf; returns
 * the length it needs (as snprintf). */
size_t mctop_words_list(const mctop_words_t *w, enum mctop_words_style style,
                        char *buf, size_t size);

#endif /* MCTOP_WORDS_H */
