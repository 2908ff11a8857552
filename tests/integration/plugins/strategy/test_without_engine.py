# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Without a usable `mitogen`, a play stops at once with one line; ansible-doc still works.

Runs a second virtualenv with the same ansible-core and no mitogen (cached).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from nsmtest.venv import cached as cached_venv
from ansible.release import __version__ as CORE_VERSION

pytestmark = pytest.mark.one_activation

PLAYBOOK = Path(__file__).resolve().parents[3] / "demo" / "demo.yml"


@pytest.fixture(scope="module")
def bare_venv():
    """A virtualenv with ansible-core only; mitogen is added by the tests that want it."""
    return cached_venv("venv-no-engine-" + CORE_VERSION, "ansible-core==" + CORE_VERSION)


def pip(venv, *args):
    subprocess.run([str(venv / "bin/python"), "-m", "pip", "-q", *args], check=True, capture_output=True)


def play(venv, tmp_path, strategy="ns.mitogen.linear", **extra_env):
    inventory = tmp_path / "hosts.ini"
    inventory.write_text("localhost ansible_connection=local ansible_python_interpreter=%s\n" % (venv / "bin/python"))
    return subprocess.run(
        [str(venv / "bin/ansible-playbook"), "-i", str(inventory), str(PLAYBOOK), "-e", "steps=1"],
        env=dict(os.environ, ANSIBLE_STRATEGY=strategy, ANSIBLE_NOCOLOR="1", ANSIBLE_DEPRECATION_WARNINGS="False",
                 **extra_env),
        capture_output=True, text=True, check=False, timeout=120)


def assert_one_line_error(proc, *needles):
    assert proc.returncode != 0
    errors = [line for line in proc.stderr.splitlines() if line.startswith("[ERROR]")]
    assert len(errors) == 1, proc.stderr
    for needle in needles:
        assert needle in errors[0]
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "TASK [" not in proc.stdout  # stopped before any task


def test_missing_mitogen(bare_venv, tmp_path):
    pip(bare_venv, "uninstall", "-y", "mitogen")
    assert_one_line_error(play(bare_venv, tmp_path), "needs the Python package 'mitogen'",
                          "pip install 'mitogen>=0.3.54,<0.4'")
    stock = play(bare_venv, tmp_path, strategy="linear")
    assert stock.returncode == 0, stock.stdout[-2000:]
    # The callback way stops the same way, under the builtin strategy.
    assert_one_line_error(play(bare_venv, tmp_path, strategy="linear", ANSIBLE_CALLBACKS_ENABLED="ns.mitogen.accelerate"),
                          "needs the Python package 'mitogen'", "pip install 'mitogen>=0.3.54,<0.4'")


def test_mitogen_outside_the_supported_range(bare_venv, tmp_path):
    pip(bare_venv, "install", "mitogen==0.3.53")
    try:
        assert_one_line_error(play(bare_venv, tmp_path), "supports mitogen >=0.3.54,<0.4 but found 0.3.53")
    finally:
        pip(bare_venv, "uninstall", "-y", "mitogen")


@pytest.mark.parametrize("strategy", ["linear", "free", "host_pinned"])
def test_ansible_doc_renders_without_the_engine(bare_venv, strategy):
    pip(bare_venv, "uninstall", "-y", "mitogen")
    proc = subprocess.run([str(bare_venv / "bin/ansible-doc"), "-t", "strategy", "ns.mitogen." + strategy],
                          env=dict(os.environ, ANSIBLE_NOCOLOR="1"), capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "ansible.builtin.%s" % strategy in proc.stdout
    assert "fork_modules" in proc.stdout and "mitogen_fork_modules" in proc.stdout


def test_ansible_doc_renders_the_callback_without_the_engine(bare_venv):
    pip(bare_venv, "uninstall", "-y", "mitogen")
    proc = subprocess.run([str(bare_venv / "bin/ansible-doc"), "-t", "callback", "ns.mitogen.accelerate"],
                          env=dict(os.environ, ANSIBLE_NOCOLOR="1"), capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "TYPE: aggregate" in proc.stdout and "builtin strategies" in proc.stdout
