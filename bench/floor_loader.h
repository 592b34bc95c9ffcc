/* SPDX-License-Identifier: MIT */
/*
 * What bench/run's socket-byte floor loaders (wire_floor, sock_floor,
 * cg_floor) share: the arguments they take, and holding their programs
 * attached until bench/run sends SIGTERM.  Each loader is one translation
 * unit, so the functions are static.
 */
#ifndef MCTOP_BENCH_FLOOR_LOADER_H
#define MCTOP_BENCH_FLOOR_LOADER_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

/* PID, and PORT if want_port, from argv; false after printing the usage. */
static bool floor_args(int argc, char **argv, bool want_port, long *pid,
                       long *port) {
  int n = want_port ? 3 : 2;
  char *end1 = NULL, *end2 = NULL;
  *pid = argc == n ? strtol(argv[1], &end1, 10) : 0;
  *port = argc == n && want_port ? strtol(argv[2], &end2, 10) : 1;
  if (argc != n || *end1 != '\0' || (want_port && *end2 != '\0') ||
      *pid <= 0 || *port <= 0 || *port > 65535) {
    if (want_port)
      fprintf(stderr,
              "usage: %s PID PORT (a memcached process, its TCP port)\n",
              argv[0]);
    else
      fprintf(stderr, "usage: %s PID (a memcached process)\n", argv[0]);
    return false;
  }
  return true;
}

static volatile sig_atomic_t floor_stop;

static void floor_on_signal(int sig) {
  (void)sig;
  floor_stop = 1;
}

/* Prints "attached N", the line bench/run waits for, and returns at SIGTERM
 * or SIGINT.  The two are blocked until sigsuspend, so one sent right after
 * the line is not lost before the wait begins. */
static void floor_hold(int attached) {
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  sigprocmask(SIG_BLOCK, &block, &old);
  signal(SIGTERM, floor_on_signal);
  signal(SIGINT, floor_on_signal);
  printf("attached %d\n", attached);
  fflush(stdout);
  while (!floor_stop)
    sigsuspend(&old);
  sigprocmask(SIG_SETMASK, &old, NULL);
}

#endif
