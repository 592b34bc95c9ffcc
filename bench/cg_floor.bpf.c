// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * A per-cgroup hook's floor (issue 24): cgroup_skb programs on ingress and
 * egress of a cgroup that holds memcached alone, so they run on the
 * segments of memcached's sockets both ways and on no other process's.
 * Ingress runs where the kernel receives the segment (as sock_floor's
 * filter: on loopback mostly the sender's CPU); egress runs in memcached's
 * own send path, on its CPU, which is what this floor is for.  Each TCP
 * segment to or from memcached's port that carries data has the first
 * WIRE_COPY bytes of its payload copied out, as a parser would need them.
 *
 * A cgroup_skb program sees the packet from the IP header (a socket
 * filter sees it from the TCP header), so it finds the payload itself.
 * IPv6 extension headers and IPv4 fragments are not followed: memcached's
 * segments on loopback have neither.
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "wire_copy.h"

/* memcached's TCP port, set by bench/cg_floor before load. */
const volatile __u16 targ_port = 0;

/* Segments with data seen each way and their payload bytes, for
 * bench/cg_floor to print. */
__u64 segs_in, bytes_in, segs_out, bytes_out;

/* Copies the payload's first bytes if skb is a TCP segment with data whose
 * local port (destination on ingress, source on egress) is memcached's;
 * returns its payload length, or 0. */
static __always_inline __u32 copy_payload(struct __sk_buff *skb, int egress)
{
	struct wire_chunk *c;
	struct tcphdr tcp;
	__u32 zero = 0, off, len = skb->len, n;
	__u8 first;

	if (bpf_skb_load_bytes(skb, 0, &first, 1) != 0)
		return 0;
	if (first >> 4 == 4) {
		struct iphdr ip;

		if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)) != 0 ||
		    ip.protocol != IPPROTO_TCP)
			return 0;
		off = ip.ihl * 4;
	} else if (first >> 4 == 6) {
		struct ipv6hdr ip6;

		if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof(ip6)) != 0 ||
		    ip6.nexthdr != IPPROTO_TCP)
			return 0;
		off = sizeof(ip6);
	} else {
		return 0;
	}
	if (bpf_skb_load_bytes(skb, off, &tcp, sizeof(tcp)) != 0 ||
	    (egress ? tcp.source : tcp.dest) != bpf_htons(targ_port))
		return 0;
	off += tcp.doff * 4;
	/* No payload: an ACK, or a SYN or FIN without data. */
	if (off >= len)
		return 0;
	len -= off;
	c = bpf_map_lookup_elem(&chunk, &zero);
	n = len > WIRE_COPY ? WIRE_COPY : len;
	/* The verifier must see n's own bound (clang tests len). */
	asm volatile("" : "+r"(n));
	if (c && n > 0 && n <= WIRE_COPY &&
	    bpf_skb_load_bytes(skb, off, c->data, n) == 0)
		return len;
	return 0;
}

SEC("cgroup_skb/ingress")
int cg_floor_in(struct __sk_buff *skb)
{
	__u32 len = copy_payload(skb, 0);

	if (len) {
		__sync_fetch_and_add(&segs_in, 1);
		__sync_fetch_and_add(&bytes_in, len);
	}
	/* Always let the segment through. */
	return 1;
}

SEC("cgroup_skb/egress")
int cg_floor_out(struct __sk_buff *skb)
{
	__u32 len = copy_payload(skb, 1);

	if (len) {
		__sync_fetch_and_add(&segs_out, 1);
		__sync_fetch_and_add(&bytes_out, len);
	}
	return 1;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
