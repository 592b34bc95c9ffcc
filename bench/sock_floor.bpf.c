// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * A per-socket hook's floor (issue 24's alternative to system-call
 * tracepoints): a socket filter on memcached's listening socket, which
 * every connection it accepts inherits, so it runs on the segments of
 * memcached's own connections only: no trap in memcached, nothing on any
 * other process's system calls.  It copies the first 256 bytes of each
 * segment (the TCP header, then the request bytes) and keeps the segment
 * whole.  It runs where the kernel receives the segment (softirq, or
 * memcached's own thread when it holds the socket): on loopback mostly the
 * sender's CPU, so bench/run prints its BPF time as well as memcached's.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "wire_copy.h"

/* Segments seen and their bytes, for bench/sock_floor to print. */
__u64 segs_seen, bytes_seen;

SEC("socket")
int sock_floor(struct __sk_buff *skb)
{
	struct wire_chunk *c;
	__u32 zero = 0, len = skb->len, n;

	c = bpf_map_lookup_elem(&chunk, &zero);
	n = len > WIRE_COPY ? WIRE_COPY : len;
	/* The verifier must see n's own bound (clang tests len). */
	asm volatile("" : "+r"(n));
	if (c && n > 0 && n <= WIRE_COPY &&
	    bpf_skb_load_bytes(skb, 0, c->data, n) == 0) {
		__sync_fetch_and_add(&segs_seen, 1);
		__sync_fetch_and_add(&bytes_seen, len);
	}
	/* The length to keep: all of it (0 would drop the segment). */
	return len;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
