# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ns.mitogen.local runs with the playbook's environment and directory, as ansible.builtin.local does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nsmtest.ansible_run import run_playbook

PLAYBOOK = Path(__file__).parent / "observe.yml"


def session(tmp_path, strategy, connection, extra="", python=sys.executable):
    inventory = tmp_path / "hosts.ini"
    inventory.write_text("controller ansible_connection=%s ansible_python_interpreter=%s %s\n"
                         % (connection, python, extra))
    workdir = tmp_path / "work"
    workdir.mkdir(exist_ok=True)
    result = run_playbook(PLAYBOOK, inventory, env={"ANSIBLE_STRATEGY": strategy, "NSM_MARK": "from-the-shell"},
                          cwd=workdir)
    assert result.rc == 0, result.stdout[-2000:]
    return dict(part.split("=", 1) for part in result.results("Session")["controller"]["stdout"].split())


def test_environment_and_directory_match_stock_local(tmp_path):
    stock = session(tmp_path, "linear", "local")
    ours = session(tmp_path, "ns.mitogen.linear", "ns.mitogen.local")
    assert ours["mark"] == stock["mark"] == "from-the-shell"
    assert ours["cwd"] == stock["cwd"]
    assert ours["user"] == stock["user"] == "root"


@pytest.fixture
def controller_user():
    """A throw-away account on the controller, with a login shell."""
    name = "nsmlocal"
    subprocess.run(["userdel", "-r", name], capture_output=True, check=False)
    subprocess.run(["useradd", "-m", "-s", "/bin/sh", name], check=True, capture_output=True)
    yield name
    subprocess.run(["userdel", "-r", name], capture_output=True, check=False)


def test_become_on_local(tmp_path, controller_user):
    # root becomes the account with su: no password needed, and no sudo needed on the controller.
    become = "ansible_become=true ansible_become_method=su ansible_become_user=" + controller_user
    # The virtualenv lives in root's home: the account runs the system's Python instead.
    stock = session(tmp_path, "linear", "local", become, python="/usr/bin/python3")
    ours = session(tmp_path, "ns.mitogen.linear", "ns.mitogen.local", become, python="/usr/bin/python3")
    assert ours["user"] == stock["user"] == controller_user
