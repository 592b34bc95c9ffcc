/* Unit tests: memcached's version found in a binary's bytes. */
#include "tap.h"
#include "version.h"

static const char *find(const char *data, size_t len) {
  static char out[32];
  mctop_find_version(data, len, out, sizeof(out));
  return out;
}

int main(void) {
  static const char rodata[] = "junk\0memcached \0memcached 1.6\0"
                               "memcached 1.6.x\0memcached 1.6.45\0tail";
  CHECK_STR("1.6.45", find(rodata, sizeof(rodata)),
            "skips partial matches, finds the version");
  static const char plain[] = "xx\0memcached 1.6.18";
  CHECK_STR("1.6.18", find(plain, sizeof(plain) - 1),
            "a version at the very end of the data");
  static const char none[] = "memcached is a cache\0VERSION 1.6.18";
  CHECK_STR("", find(none, sizeof(none)), "no version: empty");
  static const char prefix[] = "memcached 1.6.18-beta\0";
  CHECK_STR("", find(prefix, sizeof(prefix)), "must end at the NUL");
  CHECK_STR("", find("", 0), "empty data");
  static const char dots[] = "memcached 1..23\0memcached 12..3";
  CHECK_STR("", find(dots, sizeof(dots)), "two dots in a row are no version");
  char small[4];
  mctop_find_version(rodata, sizeof(rodata), small, sizeof(small));
  CHECK_STR("", small, "does not overflow a short buffer");
  /* The screen's list of the targets' versions names each once. */
  CHECK(!mctop_version_listed("1.6.45", "1.6.4"),
        "1.6.4 is not listed in \"1.6.45\"");
  CHECK(!mctop_version_listed("1.6.18, 1.6.45", "1.6.4"),
        "nor at the end of \"1.6.18, 1.6.45\"");
  CHECK(!mctop_version_listed("1.6.45", "6.45"), "nor as an entry's tail");
  CHECK(mctop_version_listed("1.6.18, 1.6.45", "1.6.45") &&
            mctop_version_listed("1.6.18, 1.6.45", "1.6.18"),
        "whole entries are found, first and last");
  CHECK(!mctop_version_listed("", "1.6.4"), "an empty list holds none");
  return tap_done();
}
