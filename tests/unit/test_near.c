/* Unit tests: the flag a mistyped one was probably meant to be
 * (cli/near.c). */
#include "near.h"
#include "tap.h"

int main(void) {
  CHECK_U64(0, mctop_near_distance("json", "json"), "the same word: 0");
  CHECK_U64(1, mctop_near_distance("josn", "json"),
            "two neighbours swapped: one edit (Levenshtein says 2)");
  CHECK_U64(1, mctop_near_distance("jsn", "json"), "a letter left out");
  CHECK_U64(1, mctop_near_distance("top-key", "top-keys"), "a letter short");
  CHECK_U64(1, mctop_near_distance("pidfiel", "pidfile"),
            "the last two letters swapped: one edit");
  CHECK_U64(1, mctop_near_distance("kye-pattern", "key-pattern"),
            "a swap inside the word: one edit");
  CHECK_U64(3, mctop_near_distance("abc", ""), "to nothing: every letter");
  CHECK(mctop_near("josn", "json"), "--josn is near --json");
  CHECK(mctop_near("intervall", "interval"), "--intervall is near --interval");
  CHECK(mctop_near("sotr", "sort"), "--sotr is near --sort");
  CHECK(!mctop_near("xy", "pid"), "--xy is near nothing");
  CHECK(!mctop_near("json2x", "json"),
        "two edits on a 4-letter flag: not near");
  CHECK(!mctop_near("a", "in"), "a word mostly changed is not near");
  char long_word[MCTOP_NEAR_MAX + 2];
  memset(long_word, 'a', sizeof(long_word) - 1);
  long_word[sizeof(long_word) - 1] = '\0';
  CHECK(!mctop_near(long_word, "json"), "a word past the limit is far");
  return tap_done();
}
