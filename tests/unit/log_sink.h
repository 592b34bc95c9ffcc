/*
 * The unit tests' log sink (log_sink.c): the last line mctop logged, for
 * tests that check what a message says.  Clear it before the call whose
 * message a test checks.
 */
#ifndef MCTOP_TEST_LOG_SINK_H
#define MCTOP_TEST_LOG_SINK_H

#define LOG_SINK_LAST_SIZE 1024

extern char log_sink_last[LOG_SINK_LAST_SIZE];

#endif /* MCTOP_TEST_LOG_SINK_H */
