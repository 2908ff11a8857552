# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The artefact users install: the tarball `ansible-galaxy collection build` makes."""

from __future__ import annotations

import os
import subprocess
import tarfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def test_build_and_install_into_an_empty_collections_path(tmp_path):
    version = yaml.safe_load((REPO / "galaxy.yml").read_text())["version"]
    subprocess.run(["ansible-galaxy", "collection", "build", "--output-path", str(tmp_path / "dist"), str(REPO)],
                   check=True, capture_output=True)
    tarball = tmp_path / "dist" / ("ns-mitogen-%s.tar.gz" % version)
    assert tarball.exists()

    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    assert "galaxy.yml" not in names and "MANIFEST.json" in names
    assert "plugins/plugin_utils/_support.py" in names
    shipped_dev_files = [n for n in names if n.startswith((".work", ".ci", "tests/nsmtest", "pytest.ini", "tests/integration", "run"))]
    assert shipped_dev_files == []

    target = tmp_path / "collections"
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(target))
    subprocess.run(["ansible-galaxy", "collection", "install", "--offline", "-p", str(target), str(tarball)],
                   check=True, capture_output=True, env=env)
    listed = subprocess.run(["ansible-galaxy", "collection", "list", "ns.mitogen", "-p", str(target)],
                            check=True, capture_output=True, text=True, env=env).stdout
    assert "ns.mitogen" in listed and version in listed
