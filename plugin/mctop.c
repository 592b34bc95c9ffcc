/*
 * mctop plugin for collectd: per-key memcached metrics from memcached's USDT
 * probes, counted in the kernel by eBPF.
 *
 *   <Plugin mctop>
 *     <Instance "cache1">
 *       PID 1234 | PIDFile "/run/memcached.pid" | Binary "/usr/bin/memcached"
 *       TopKeys 20
 *       SortBy "calls"
 *       MaxKeys 65536
 *     </Instance>
 *   </Plugin>
 */
#include "collectd.h"

#include "plugin.h"
#include "utils/common/common.h"

#include <bpf/libbpf.h>
#include <stdarg.h>

#include "config_copy.h"
#include "instance.h"
#include "log.h"
#include "options.h"
#include "submit.h"

static char **instance_names;
static size_t instance_names_num;

/* libbpf warnings go to collectd's log; its debug chatter does not. */
static int libbpf_log(enum libbpf_print_level level, const char *fmt,
                      va_list ap) {
  char msg[1024];
  if (level == LIBBPF_DEBUG)
    return 0;
  int n = vsnprintf(msg, sizeof(msg), fmt, ap);
  if (n > 0 && msg[strlen(msg) - 1] == '\n')
    msg[strlen(msg) - 1] = '\0';
  plugin_log(level == LIBBPF_WARN ? LOG_WARNING : LOG_INFO,
             "mctop plugin: libbpf: %s", msg);
  return n;
}

static bool name_taken(const char *name) {
  for (size_t i = 0; i < instance_names_num; i++)
    if (strcmp(instance_names[i], name) == 0)
      return true;
  return false;
}

static int remember_name(const char *name) {
  char **n = realloc(instance_names, (instance_names_num + 1) * sizeof(*n));
  if (n == NULL)
    return -1;
  instance_names = n;
  n[instance_names_num] = sstrdup(name);
  if (n[instance_names_num] == NULL)
    return -1;
  instance_names_num++;
  return 0;
}

static int add_instance(oconfig_item_t *ci) {
  mctop_instance_config_t cfg;
  mctop_opt_t block;
  if (mctop_opt_from_oconfig(ci, &block) != 0) {
    MCTOP_ERROR("out of memory reading <Instance>");
    return -1;
  }
  int err = mctop_config_instance(&block, &cfg);
  mctop_opt_free(&block);
  if (err != 0)
    return -1;
  if (name_taken(cfg.name)) {
    MCTOP_ERROR("<Instance \"%s\"> is defined twice: give each <Instance> its "
                "own name",
                cfg.name);
    mctop_config_free(&cfg);
    return -1;
  }
  char cb_name[DATA_MAX_NAME_LEN];
  ssnprintf(cb_name, sizeof(cb_name), "mctop/%s", cfg.name);
  if (remember_name(cfg.name) != 0) {
    mctop_config_free(&cfg);
    return -1;
  }
  mctop_instance_t *inst = mctop_instance_new(&cfg);
  if (inst == NULL) {
    mctop_config_free(&cfg);
    return -1;
  }
  user_data_t ud = {.data = inst, .free_func = mctop_instance_free};
  return plugin_register_complex_read(NULL, cb_name, mctop_instance_read, 0,
                                      &ud);
}

static int mctop_config(oconfig_item_t *ci) {
  int failures = 0;
  for (int i = 0; i < ci->children_num; i++) {
    oconfig_item_t *child = &ci->children[i];
    if (strcasecmp(child->key, "Instance") == 0) {
      if (add_instance(child) != 0)
        failures++;
    } else {
      MCTOP_ERROR("unknown option \"%s\" in <Plugin mctop>: only <Instance> "
                  "blocks are allowed here",
                  child->key);
      failures++;
    }
  }
  /* Never fail the config: collectd would stop, taking every other plugin
   * with it.  Broken instances are logged above; valid ones still run. */
  if (failures > 0)
    MCTOP_ERROR("%d configuration error%s above: %s", failures,
                failures == 1 ? "" : "s",
                instance_names_num > 0 ? "the valid instances still run"
                                       : "nothing will be traced");
  return 0;
}

static int mctop_init(void) {
  libbpf_set_print(libbpf_log);
  if (instance_names_num == 0)
    MCTOP_WARNING("no valid <Instance> configured: nothing to trace");
  return mctop_register_types();
}

static int mctop_shutdown(void) {
  for (size_t i = 0; i < instance_names_num; i++)
    free(instance_names[i]);
  free(instance_names);
  instance_names = NULL;
  instance_names_num = 0;
  return 0;
}

/* The core's log lines, into collectd's log under the plugin's prefix. */
static void log_to_collectd(int level, const char *msg, void *ctx) {
  (void)ctx;
  plugin_log(level, "mctop plugin: %s", msg);
}

void module_register(void) {
  mctop_log_set_sink(log_to_collectd, NULL);
  plugin_register_complex_config("mctop", mctop_config);
  plugin_register_init("mctop", mctop_init);
  plugin_register_shutdown("mctop", mctop_shutdown);
}
