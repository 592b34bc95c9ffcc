/*
 * mctop: escaping untrusted bytes for logs and terminals (see escape.h).
 */
#include "escape.h"

#include <string.h>

size_t mctop_escape(const void *in, size_t len, char *out, size_t size) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *p = in;
  size_t w = 0;
  if (size == 0)
    return 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = p[i];
    size_t need = mctop_escape_keeps(c) ? 1 : c == '\\' ? 2 : 4;
    if (w + need >= size)
      break;
    if (need == 1) {
      out[w++] = (char)c;
    } else if (need == 2) {
      out[w++] = '\\';
      out[w++] = '\\';
    } else {
      out[w++] = '\\';
      out[w++] = 'x';
      out[w++] = hex[c >> 4];
      out[w++] = hex[c & 15];
    }
  }
  out[w] = '\0';
  return w;
}

const char *mctop_esc(const char *s, char *buf, size_t size) {
  mctop_escape(s, s != NULL ? strlen(s) : 0, buf, size);
  return buf;
}
