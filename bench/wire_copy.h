/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * What the floors of a source from the socket bytes copy out of memcached
 * (bench/wire_floor.bpf.c, bench/sock_floor.bpf.c): the first WIRE_COPY
 * bytes of each read or segment, into a per-CPU buffer (a program is not
 * preempted), as a parser would need them.
 */
#ifndef BENCH_WIRE_COPY_H
#define BENCH_WIRE_COPY_H

#define WIRE_COPY 256

struct wire_chunk {
	__u8 data[WIRE_COPY];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wire_chunk);
} chunk SEC(".maps");

#endif
