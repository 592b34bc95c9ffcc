/*
 * mctop: the words an option takes (see words.h).
 */
#include "words.h"

#include <stdio.h>
#include <strings.h>

const mctop_word_t *mctop_word_find(const mctop_words_t *w, const char *name) {
  for (size_t i = 0; i < w->num; i++)
    if (strcasecmp(name, w->word[i].name) == 0)
      return &w->word[i];
  return NULL;
}

const char *mctop_word_name(const mctop_words_t *w, int value) {
  for (size_t i = 0; i < w->num; i++)
    if (w->word[i].value == value)
      return w->word[i].name;
  return "?";
}

/* What goes before word i of n: nothing, '|', or ", " and " or ". */
static const char *separator(enum mctop_words_style style, size_t i, size_t n) {
  if (i == 0)
    return "";
  if (style == MCTOP_WORDS_FLAG)
    return "|";
  return i + 1 == n ? " or " : ", ";
}

size_t mctop_words_list(const mctop_words_t *w, enum mctop_words_style style,
                        char *buf, size_t size) {
  size_t len = 0;
  if (size > 0)
    buf[0] = '\0';
  for (size_t i = 0; i < w->num; i++) {
    const mctop_word_t *d = &w->word[i];
    bool quoted = style == MCTOP_WORDS_QUOTED && !d->boolean;
    bool noted = style == MCTOP_WORDS_QUOTED && d->note != NULL;
    int n = snprintf(buf + len, len < size ? size - len : 0, "%s%s%s%s%s%s%s",
                     separator(style, i, w->num), quoted ? "\"" : "", d->name,
                     quoted ? "\"" : "", noted ? " (" : "",
                     noted ? d->note : "", noted ? ")" : "");
    if (n > 0)
      len += (size_t)n;
  }
  return len;
}
