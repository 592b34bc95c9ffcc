/* Unit tests: an error that repeats, said with back-off and a count
 * (mctop_complain/mctop_release, logic/log.c). */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "tap.h"

static char last[1024];
static int lines, last_level;

static void record(int level, const char *msg, void *ctx) {
  (void)ctx;
  snprintf(last, sizeof(last), "%s", msg);
  last_level = level;
  lines++;
  printf("# log[%d]: %s\n", level, msg);
}

/* The error, once a second from t0 to t1 (exclusive); the lines said. */
static int fail_from(mctop_complaint_t *c, double t0, double t1) {
  int before = lines;
  for (double t = t0; t < t1; t++)
    mctop_complain_at(c, t, MCTOP_LOG_ERR, "reading the %s map failed: %s",
                      "totals", "Bad address");
  return lines - before;
}

static void first_and_repeats(void) {
  mctop_complaint_t c = {0};
  CHECK(fail_from(&c, 1000, 1001) == 1, "the first time is said");
  CHECK_STR("reading the totals map failed: Bad address", last,
            "as it is, with no count");
  CHECK(last_level == MCTOP_LOG_ERR, "at the level given");
  CHECK(fail_from(&c, 1001, 1060) == 0,
        "then nothing for the first wait (%.0f s)", MCTOP_COMPLAIN_FIRST);
  CHECK(fail_from(&c, 1060, 1061) == 1, "said again once it has passed");
  CHECK_STR("reading the totals map failed: Bad address (60 times since)", last,
            "with how often it happened since the last line");
  CHECK(fail_from(&c, 1061, 1180) == 0 && fail_from(&c, 1180, 1181) == 1,
        "the wait doubles: next after 120 s");
  CHECK_STR("reading the totals map failed: Bad address (120 times since)",
            last, "counted again from the last line");
  int said = fail_from(&c, 1181, 1181 + 24 * 3600);
  CHECK(said <= 24 + 6,
        "a day of it: at most one line an hour once the wait "
        "is at its longest (%d lines)",
        said);
  CHECK(c.quiet.wait == MCTOP_COMPLAIN_MAX, "the wait stops at %.0f s",
        MCTOP_COMPLAIN_MAX);
}

static void release(void) {
  mctop_complaint_t c = {0};
  int before = lines;
  mctop_release(&c, MCTOP_LOG_INFO, "reading the totals map works again");
  CHECK(lines == before, "no complaint: nothing to release, nothing said");
  fail_from(&c, 0, 10);
  mctop_release(&c, MCTOP_LOG_INFO, "reading the %s map works again", "totals");
  CHECK_STR("reading the totals map works again (9 times since)", last,
            "release: said, with the times not said yet");
  CHECK(last_level == MCTOP_LOG_INFO, "at its own level");
  CHECK(fail_from(&c, 10, 11) == 1, "after a release the first time is said");
  CHECK_STR("reading the totals map failed: Bad address", last,
            "without a count, as a new complaint");
  mctop_release(&c, MCTOP_LOG_INFO, "works again");
  CHECK_STR("works again", last, "no times left unsaid: no count");
  before = lines;
  mctop_release(&c, MCTOP_LOG_INFO, "works again");
  CHECK(lines == before, "released twice: said once");
}

static void one_time(void) {
  mctop_complaint_t c = {0};
  fail_from(&c, 0, 1);
  fail_from(&c, 100, 101);
  CHECK_STR("reading the totals map failed: Bad address (1 time since)", last,
            "one time since: \"time\"");
}

static void long_line(void) {
  mctop_complaint_t c = {0};
  char big[2000];
  memset(big, 'x', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  mctop_complain_at(&c, 0, MCTOP_LOG_ERR, "%s", big);
  mctop_complain_at(&c, 100, MCTOP_LOG_ERR, "%s", big);
  size_t n = strlen(last);
  CHECK(n > 900 && strcmp(last + n - 15, " (1 time since)") == 0,
        "a line cut short keeps its count");
}

static void clock_read(void) {
  mctop_complaint_t c = {0};
  int before = lines;
  mctop_complain(&c, MCTOP_LOG_WARNING, "on the clock");
  mctop_complain(&c, MCTOP_LOG_WARNING, "on the clock");
  CHECK(lines == before + 1 && c.times == 1,
        "mctop_complain reads the monotonic clock: a second time at once "
        "is counted, not said");
}

int main(void) {
  mctop_log_set_sink(record, NULL);
  first_and_repeats();
  release();
  one_time();
  long_line();
  clock_read();
  return tap_done();
}
