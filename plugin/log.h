/*
 * mctop plugin: log macros.  Every message carries the "mctop plugin: "
 * prefix, as collectd's own plugins do, so operators can grep for it.
 */
#ifndef MCTOP_LOG_H
#define MCTOP_LOG_H

#include "collectd.h"

#include "plugin.h"

#define MCTOP_ERROR(...) ERROR("mctop plugin: " __VA_ARGS__)
#define MCTOP_WARNING(...) WARNING("mctop plugin: " __VA_ARGS__)
#define MCTOP_NOTICE(...) NOTICE("mctop plugin: " __VA_ARGS__)
#define MCTOP_INFO(...) INFO("mctop plugin: " __VA_ARGS__)

#endif /* MCTOP_LOG_H */
