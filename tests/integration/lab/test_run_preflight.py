# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`./run test` and `./run demo` stop at once, with one line, when the machine cannot run them."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def run_command(argv, env=None, prefix=()):
    # A copy of the script and of the package it computes with, alone: should a
    # check wrongly pass, it cannot go on to change this checkout or the lab.
    copy = Path(tempfile.mkdtemp(prefix="nsm-preflight-")) / "run"
    shutil.copy2(REPO / "run", copy)
    shutil.copytree(REPO / "tests" / "nsmtest", copy.parent / "tests" / "nsmtest",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for path in [copy.parent, *copy.parent.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    copy.chmod(0o755)
    t0 = time.monotonic()
    try:
        proc = subprocess.run([*prefix, str(copy), *argv], env=env, capture_output=True, text=True,
                              check=False, timeout=60, stdin=subprocess.DEVNULL)
    finally:
        shutil.rmtree(copy.parent)
    return proc, time.monotonic() - t0


def assert_one_line_error(proc, took, *needles):
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("ns.mitogen: error: ")
    for needle in needles:
        assert needle in lines[0]
    assert proc.stdout == ""
    assert took < 10


def test_test_command_without_root():
    proc, took = run_command(["test"], prefix=("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"))
    assert_one_line_error(proc, took, "needs root", "sudo ./run test")


@pytest.mark.parametrize("command", ["test", "setup"])
def test_without_network_namespaces(command):
    # Root, but without CAP_SYS_ADMIN: what an unprivileged container gives.
    proc, took = run_command([command], prefix=("setpriv", "--bounding-set", "-sys_admin", "--inh-caps", "-sys_admin"))
    assert_one_line_error(proc, took, "network namespaces are not usable", "CAP_SYS_ADMIN")


def test_demo_without_a_usable_python(tmp_path):
    # The only Python on PATH is 3.9, and there is no pyenv.
    pyenv_root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False).stdout.strip()
    found = sorted(Path(pyenv_root or "/nonexistent", "versions").glob("3.9*/bin/python3.9"))
    if not found:
        pytest.skip("no Python 3.9 build on this machine to stand in for an unusable one")
    old = found[0]
    (tmp_path / "python3").symlink_to(old)
    env = {"PATH": "%s:/usr/sbin:/usr/bin:/sbin:/bin" % tmp_path, "HOME": os.environ["HOME"],
           "NS_MITOGEN_CACHE": str(tmp_path / "cache")}
    proc, took = run_command(["demo"], env=env)
    assert_one_line_error(proc, took, "no usable Python", "NS_MITOGEN_PYTHON")
