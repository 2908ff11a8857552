# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests import the collection as installed from its tarball (./run setup)."""

from __future__ import annotations

import os

from ansible.plugins.loader import init_plugin_loader


def _installed_collections_root():
    for path in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep):
        if os.path.isdir(os.path.join(path, "ansible_collections", "ns", "mitogen")):
            return path
    return None


ROOT = _installed_collections_root()
if ROOT is None:
    raise SystemExit("ns.mitogen is not installed on ANSIBLE_COLLECTIONS_PATH: run ./run setup, then eval \"$(./run env)\"")
# Ansible's own collection finder serves `import ansible_collections...` and the plugin loaders alike.
init_plugin_loader(os.environ["ANSIBLE_COLLECTIONS_PATH"].split(os.pathsep))
