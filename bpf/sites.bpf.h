/* SPDX-License-Identifier: MIT */
/*
 * The map "sites" (mctop.h, "Attach sites"), in one place for every BPF
 * object that plugin/probes.c attaches: mctop's own and the benchmark's
 * empty floor.  User space writes a site before it attaches the site,
 * indexed by the site's cookie (plugin/sites.c).
 */
#ifndef MCTOP_SITES_BPF_H
#define MCTOP_SITES_BPF_H

#include "mctop.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MCTOP_SITES_MAX);
	__type(key, __u32);
	__type(value, struct mctop_site);
} sites SEC(".maps");

#endif /* MCTOP_SITES_BPF_H */
