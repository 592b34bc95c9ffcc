/*
 * mctop command: near flags (see near.h).
 */
#include "near.h"

#include <string.h>

static size_t min3(size_t a, size_t b, size_t c) {
  size_t m = a < b ? a : b;
  return m < c ? m : c;
}

size_t mctop_near_distance(const char *a, const char *b) {
  size_t n = strlen(a), m = strlen(b);
  if (n > MCTOP_NEAR_MAX || m > MCTOP_NEAR_MAX)
    return (size_t)-1;
  /* d[i][j]: edits from a's first i characters to b's first j. */
  size_t d[MCTOP_NEAR_MAX + 1][MCTOP_NEAR_MAX + 1];
  for (size_t i = 0; i <= n; i++)
    d[i][0] = i;
  for (size_t j = 0; j <= m; j++)
    d[0][j] = j;
  for (size_t i = 1; i <= n; i++)
    for (size_t j = 1; j <= m; j++) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
          d[i - 2][j - 2] + 1 < d[i][j])
        d[i][j] = d[i - 2][j - 2] + 1;
    }
  return d[n][m];
}

int mctop_near(const char *word, const char *candidate) {
  size_t len = strlen(candidate);
  size_t allowed = len <= 4 ? 1 : 2;
  size_t d = mctop_near_distance(word, candidate);
  return d <= allowed && d < len;
}
