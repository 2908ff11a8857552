#!/usr/bin/env python
# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pre-seed ansible-test's pip bootstrap cache.

ansible-test bootstraps pip into each virtualenv it makes with a get-pip script
that it downloads from a host this project's machines cannot reach. It first
looks in ~/.ansible/test/cache/get_pip_<version>.py, so we put a stand-in
there: it installs pip from the interpreter's own ensurepip, then asks that pip
for the packages ansible-test wanted (the pinned pip from PyPI).
"""

from __future__ import annotations

import os
import sys
import types

STAND_IN = '''\
"""Stand-in for get-pip.py written by ns.mitogen's tests/sanity/seed_get_pip.py."""
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
if args:
    subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)
'''


def main() -> int:
    from ansible_test._internal.python_requirements import get_venv_packages

    version = "%d.%d" % sys.version_info[:2]
    pip_version = get_venv_packages(types.SimpleNamespace(version=version))["pip"]
    path = os.path.expanduser("~/.ansible/test/cache/get_pip_%s.py" % pip_version.replace(".", "_"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if not os.path.exists(path) or open(path).read() != STAND_IN:
        with open(path + ".tmp", "w") as fh:
            fh.write(STAND_IN)
        os.replace(path + ".tmp", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
