/*
 * mctop: a stripped binary's debug file fetched by build id from the
 * debuginfod servers DEBUGINFOD_URLS names (elfutils' libdebuginfod), the
 * last place symbol mode looks (elf_symbols.h) when neither the binary nor
 * a debug directory has the symbols.
 *
 * Nothing is fetched unless DEBUGINFOD_URLS is set in mctop's environment:
 * a host that never asked for it makes no connection.  The file lands in
 * libdebuginfod's cache (DEBUGINFOD_CACHE_PATH, else ~/.cache/
 * debuginfod_client) and is read from the descriptor libdebuginfod returns
 * into memory, like any file a tenant controls (file_image.h): a server is
 * not trusted more than the target, and the caller checks its build id.
 *
 * A fetch is bounded: at most timeout seconds in all (what is left of
 * option DebuginfodTimeout in this interval, shared by the targets inspected
 * in it; libdebuginfod's own defaults allow 90 s per server, too long for
 * collectd's read thread) and
 * MCTOP_FILE_IMAGE_MAX bytes.  A build id whose fetch failed is not asked
 * for again for MCTOP_DEBUGINFOD_RETRY seconds, whichever instance or
 * target asks: the targets of one binary share its build id.
 */
#ifndef MCTOP_DEBUGINFOD_H
#define MCTOP_DEBUGINFOD_H

#include <stdbool.h>
#include <stddef.h>

#include "file_image.h"

/* A failed fetch is not tried again for this long (as tracking.c's longest
 * back-off): a server that is down is not asked every interval. */
#define MCTOP_DEBUGINFOD_RETRY 300

/* Whether a fetched file is the one wanted (the caller's build id and
 * symbols): false with why set refuses it. */
typedef bool (*mctop_debuginfod_accept_t)(const mctop_image_t *img, void *arg,
                                          char *why, size_t whylen);

/*
 * Fetches the debug file of build id id[0..id_len) within timeout seconds
 * (under a second: not tried, said), reads it into memory and hands it to
 * accept.  what names the binary in messages (already
 * escaped).  Returns 0 when accept took it, with from saying where it came
 * from (the server's URL, or libdebuginfod's cache; escaped), the same said
 * once at level notice; or -1 with err saying why not (DEBUGINFOD_URLS not
 * set, not built in, the server's answer, the bound reached, the file
 * refused, a recent failure), nothing logged.  A refused file is removed
 * from the cache, so that the next try asks the server again.
 */
int mctop_debuginfod_fetch(const unsigned char *id, size_t id_len,
                           double timeout, const char *what,
                           mctop_debuginfod_accept_t accept, void *arg,
                           char *from, size_t fromlen, char *err,
                           size_t errlen);

#endif /* MCTOP_DEBUGINFOD_H */
