/* Unit tests: a restart loop told from a restart (logic/restarts.c). */
#include "restarts.h"
#include "tap.h"

int main(void) {
  mctop_restarts_t r = {0};
  bool ended;
  double t = 1000;
  for (int i = 1; i < MCTOP_RESTART_LOOP_EXITS; i++)
    CHECK(!mctop_restarts_exit(&r, t += 5), "exit %d in a minute: no loop", i);
  CHECK(!mctop_restarts_looping(&r, t, &ended) && !ended, "not looping yet");
  CHECK(mctop_restarts_exit(&r, t += 5), "the fifth exit in a minute starts "
                                         "a loop");
  CHECK_U64(MCTOP_RESTART_LOOP_EXITS, r.loop_exits, "the loop counts them");
  int starts = 0;
  for (int i = 0; i < 100; i++)
    starts += mctop_restarts_exit(&r, t += 0.5);
  CHECK(starts == 0, "100 more exits in the loop start no other loop");
  CHECK_U64(MCTOP_RESTART_LOOP_EXITS + 100, r.loop_exits, "all counted");
  CHECK(mctop_restarts_recent(&r, t) == sizeof(r.at) / sizeof(r.at[0]),
        "recent exits are bounded by the ring");
  CHECK(mctop_restarts_looping(&r, t + 59, &ended) && !ended,
        "59 s calm: still looping");
  CHECK(!mctop_restarts_looping(&r, t + 60, &ended) && ended,
        "a minute calm: the loop ends, once");
  CHECK(!mctop_restarts_looping(&r, t + 61, &ended) && !ended,
        "and is not ended twice");

  mctop_restarts_t slow = {0};
  t = 0;
  bool loop = false;
  for (int i = 0; i < 100; i++)
    loop |= mctop_restarts_exit(&slow, t += 15);
  CHECK(!loop, "an exit every 15 s is no loop (4 a minute)");
  CHECK(mctop_restarts_recent(&slow, t) == 4, "4 exits in the last minute");
  return tap_done();
}
