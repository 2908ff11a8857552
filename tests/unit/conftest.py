# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests import the collection from this checkout, through ansible-core's collection loader.

``ansible_collections.ns.mitogen`` is this checkout (a link under .work/unit),
placed before ANSIBLE_COLLECTIONS_PATH (or, when it is not set, the path
``./run setup`` wrote into .work/env.sh), so the tests need the venv that
``./run setup`` makes and nothing built or installed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ansible.plugins.loader import init_plugin_loader

REPO = Path(__file__).resolve().parents[2]
ROOT = REPO / ".work" / "unit"


def _link_checkout() -> None:
    link = ROOT / "ansible_collections" / "ns" / "mitogen"
    if link.is_symlink() and link.resolve() == REPO:
        return
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink():
        link.unlink()
    link.symlink_to(REPO, target_is_directory=True)


def _collections_path() -> str:
    """ANSIBLE_COLLECTIONS_PATH, else the one ./run setup wrote (the collections the tests use)."""
    if "ANSIBLE_COLLECTIONS_PATH" in os.environ:
        return os.environ["ANSIBLE_COLLECTIONS_PATH"]
    env_file = REPO / ".work" / "env.sh"
    found = re.search(r"^export ANSIBLE_COLLECTIONS_PATH='([^']*)'", env_file.read_text(), re.M) \
        if env_file.is_file() else None
    return found.group(1) if found else ""


_link_checkout()
_PATHS = [str(ROOT)] + [p for p in _collections_path().split(os.pathsep) if p]
os.environ["ANSIBLE_COLLECTIONS_PATH"] = os.pathsep.join(_PATHS)
# Ansible's own collection finder serves `import ansible_collections...` and the plugin loaders alike.
init_plugin_loader(_PATHS)
