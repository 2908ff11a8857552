# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""meta/execution-environment.yml, as ansible-builder reads it when an execution environment includes ns.mitogen.

No image is built here: ansible-builder's introspection (what a build runs to
gather the collections' Python dependencies) and context generation.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def requirement_lines(path: Path) -> list[str]:
    return [line.split("#")[0].strip() for line in path.read_text().splitlines() if line.split("#")[0].strip()]


def test_builder_finds_the_engine_requirement_of_the_installed_collection(tmp_path):
    subprocess.run(["ansible-galaxy", "collection", "build", "--output-path", str(tmp_path / "dist"), str(REPO)],
                   check=True, capture_output=True)
    tarball = next((tmp_path / "dist").glob("ns-mitogen-*.tar.gz"))
    subprocess.run(["ansible-galaxy", "collection", "install", "--offline", "-p", str(tmp_path / "collections"),
                    str(tarball)], check=True, capture_output=True,
                   env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(tmp_path / "collections")))
    proc = subprocess.run(["ansible-builder", "introspect", str(tmp_path / "collections")],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    wanted = requirement_lines(REPO / "requirements.txt")
    assert wanted and all("%s  # from collection ns.mitogen" % req in proc.stdout for req in wanted), proc.stdout


def test_builder_creates_a_build_context_from_the_definition(tmp_path):
    # Paths in a collection's execution-environment.yml are relative to the collection root.
    root = tmp_path / "ns.mitogen"
    root.mkdir()
    shutil.copy(REPO / "meta" / "execution-environment.yml", root)
    shutil.copy(REPO / "requirements.txt", root)
    proc = subprocess.run(["ansible-builder", "create", "-f", str(root / "execution-environment.yml"),
                           "-c", str(tmp_path / "context")], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    containerfile = next(p for p in (tmp_path / "context").iterdir() if p.name in ("Containerfile", "Dockerfile"))
    assert "requirements.txt" in containerfile.read_text()
    assert requirement_lines(tmp_path / "context" / "_build" / "requirements.txt") == \
        requirement_lines(REPO / "requirements.txt")
