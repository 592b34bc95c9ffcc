#!/usr/bin/env python3
"""The house's layers, read from the tree: which folder may include which.

  bpf/     the kernel program and the structs it shares: includes bpf/ only
  logic/   pure logic (no BPF, no target's files): logic/ and bpf/ only
  attach/  loading, attaching, following, draining: logic/, attach/, bpf/
  plugin/  the collectd front end   } logic/, their own folder, and of
  cli/     the command              } attach/ only engine.h

and every .c of logic/ and attach/ is built into its own folder's library
(Makefile.am), so a folder names a library.  A new upward or sideways
include fails here with the line that made it.
"""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
from mctest import SRCDIR, Tap  # noqa: E402

FOLDERS = ['bpf', 'logic', 'attach', 'plugin', 'cli']
# Headers made at build time, and collectd's own (the plugin's only).
GENERATED = {'mctop.skel.h': 'attach', 'mctop_build.h': 'logic'}
COLLECTD = {'collectd.h', 'plugin.h', 'utils/common/common.h',
            'liboconfig/oconfig.h'}
ALLOWED = {
    'bpf': {'bpf'},
    'logic': {'logic', 'bpf'},
    'attach': {'attach', 'logic', 'bpf'},
    'plugin': {'plugin', 'logic', 'bpf', 'collectd'},
    'cli': {'cli', 'logic', 'bpf'},
}
# The one attach/ header a front end may include.
FRONT_DOOR = 'engine.h'
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def sources(folder):
    d = os.path.join(SRCDIR, folder)
    return sorted(f for f in os.listdir(d) if f.endswith(('.c', '.h')))


def main():
    tap = Tap()
    home, twice = {}, []  # header name -> folder
    for folder in FOLDERS:
        for f in sources(folder):
            if f.endswith('.h'):
                if f in home:
                    twice.append('%s in %s/ and %s/' % (f, home[f], folder))
                home[f] = folder
    tap.ok(len(home) > 20 and not twice,
           'each of the %d headers lives in one folder' % len(home),
           '\n'.join(twice))
    home.update(GENERATED)
    for h in COLLECTD:
        home[h] = 'collectd'

    for folder in FOLDERS:
        wrong = []
        for f in sources(folder):
            text = open(os.path.join(SRCDIR, folder, f)).read()
            for inc in INCLUDE.findall(text):
                where = home.get(inc)
                if where is None:
                    wrong.append('%s includes "%s", found in no folder' %
                                 (f, inc))
                elif where == 'attach' and folder in ('plugin', 'cli'):
                    if inc != FRONT_DOOR:
                        wrong.append('%s includes attach/%s (a front end '
                                     'sees only %s)' % (f, inc, FRONT_DOOR))
                elif where not in ALLOWED[folder]:
                    wrong.append('%s includes %s/%s' % (f, where, inc))
        tap.ok(not wrong, '%s/ includes only %s' %
               (folder, ', '.join(sorted(ALLOWED[folder]))), '\n'.join(wrong))

    am = open(os.path.join(SRCDIR, 'Makefile.am')).read()
    for folder, lib in (('logic', 'libmctop_logic'),
                        ('attach', 'libmctop_attach')):
        m = re.search(r'^%s_la_SOURCES = (.*?)(?<!\\)\n' % lib, am,
                      re.M | re.S)
        listed = set(re.findall(r'(\S+)\.c\b', m.group(1))) if m else set()
        want = {'%s/%s' % (folder, f[:-2]) for f in sources(folder)
                if f.endswith('.c')}
        tap.eq(sorted(listed), sorted(want),
               '%s/ is %s.la, every file and no other' % (folder, lib))
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
