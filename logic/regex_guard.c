/*
 * mctop: a cost estimate for POSIX extended regular expressions.
 *
 * Walks the expression once, keeping per open group the cost of its
 * alternatives so far.  An atom costs 1; a group costs the largest of its
 * alternatives; a repetition multiplies what it repeats by its upper bound
 * (or by 2 for '*', '+' and '?', which regcomp expands into two copies at
 * most).  Back references are refused: they make matching exponential.
 */
#include "regex_guard.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32

typedef struct {
  double alt_best; /* costliest finished alternative of this group */
  double cur;      /* the alternative being read */
  double last;     /* cost of the last atom, which a quantifier repeats */
} level_t;

/* Length of the bracket expression at p ('[' ... ']'), 0 if unterminated. */
static size_t bracket_len(const char *p) {
  size_t i = 1;
  if (p[i] == '^')
    i++;
  if (p[i] == ']')
    i++;
  for (; p[i] != '\0'; i++) {
    if (p[i] == '[' &&
        (p[i + 1] == ':' || p[i + 1] == '.' || p[i + 1] == '=')) {
      const char *end = strchr(p + i + 2, p[i + 1]);
      if (end == NULL || end[1] != ']')
        return 0;
      i = (size_t)(end + 1 - p);
    } else if (p[i] == ']') {
      return i + 1;
    }
  }
  return 0;
}

/* Parses "{n}", "{n,}" or "{n,m}" at p; returns its length and the upper
 * bound (n + 1 for an open one), 0 if malformed. */
static size_t bound_len(const char *p, double *upper) {
  char *end;
  long n = strtol(p + 1, &end, 10), m = n;
  /* RE_DUP_MAX: regcomp refuses more anyway, and n + 1 cannot overflow. */
  if (end == p + 1 || n < 0 || n > 32767)
    return 0;
  if (*end == ',') {
    const char *q = end + 1;
    m = *q == '}' ? n + 1 : strtol(q, &end, 10);
    if (*q == '}')
      end = (char *)q;
    else if (end == q || m < n || m > 32767)
      return 0;
  }
  if (*end != '}')
    return 0;
  *upper = (double)(m > 1 ? m : 1);
  return (size_t)(end + 1 - p);
}

static int fail(char *why, size_t size, const char *msg) {
  snprintf(why, size, "%s", msg);
  return -1;
}

int mctop_regex_check(const char *re, char *why, size_t why_size) {
  level_t lv[MAX_DEPTH + 1] = {{0, 0, 0}};
  int depth = 0;
  int quantified = 0; /* the last atom already carries a quantifier */

  if (strlen(re) > MCTOP_REGEX_MAX_LEN)
    return fail(why, why_size, "longer than 256 characters");
  for (const char *p = re; *p != '\0';) {
    double mult = 0, upper;
    size_t len = 1;
    switch (*p) {
    case '(':
      if (depth == MAX_DEPTH)
        return fail(why, why_size, "groups nested deeper than 32");
      lv[++depth] = (level_t){0, 0, 0};
      quantified = 0;
      p++;
      continue;
    case ')': {
      if (depth == 0)
        return fail(why, why_size, "unbalanced ')'");
      level_t *g = &lv[depth--];
      double cost = g->cur > g->alt_best ? g->cur : g->alt_best;
      lv[depth].last = cost > 0 ? cost : 1;
      lv[depth].cur += lv[depth].last;
      quantified = 0;
      p++;
      if (lv[depth].cur > MCTOP_REGEX_MAX_COST)
        return fail(why, why_size, "too costly: nested or large repetitions");
      continue;
    }
    case '|': {
      level_t *g = &lv[depth];
      if (g->cur > g->alt_best)
        g->alt_best = g->cur;
      g->cur = g->last = 0;
      quantified = 0;
      p++;
      continue;
    }
    case '*':
    case '+':
    case '?':
      mult = 2;
      break;
    case '{':
      len = bound_len(p, &upper);
      if (len == 0)
        return fail(why, why_size, "a malformed {n,m} bound");
      mult = upper;
      break;
    case '[':
      len = bracket_len(p);
      if (len == 0)
        return fail(why, why_size, "an unterminated bracket expression");
      break;
    case '\\':
      if (isdigit((unsigned char)p[1]))
        return fail(why, why_size, "a back reference (\\1 ...)");
      len = p[1] != '\0' ? 2 : 1;
      break;
    }
    if (mult > 0) {
      if (quantified)
        return fail(why, why_size,
                    "a repetition of a repetition ('++', "
                    "'*{2}', ...)");
      level_t *g = &lv[depth];
      g->cur += g->last * (mult - 1);
      g->last *= mult;
      quantified = 1;
    } else {
      lv[depth].last = 1;
      lv[depth].cur += 1;
      quantified = 0;
    }
    if (lv[depth].cur > MCTOP_REGEX_MAX_COST)
      return fail(why, why_size, "too costly: nested or large repetitions");
    p += len;
  }
  if (depth != 0)
    return fail(why, why_size, "unbalanced '('");
  double total = lv[0].cur > lv[0].alt_best ? lv[0].cur : lv[0].alt_best;
  if (total > MCTOP_REGEX_MAX_COST)
    return fail(why, why_size, "too costly: nested or large repetitions");
  return 0;
}
