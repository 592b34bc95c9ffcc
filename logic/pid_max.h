/*
 * mctop: the largest PID there can be, for option PID and for what a
 * PIDFile holds (attach/procs.c): a bigger number names no process.
 */
#ifndef MCTOP_PID_MAX_H
#define MCTOP_PID_MAX_H

/* Linux's PID_MAX_LIMIT on 64-bit. */
#define MCTOP_PID_MAX 4194304

#endif /* MCTOP_PID_MAX_H */
