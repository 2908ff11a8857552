# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bring-up and tear-down: idempotent, and nothing left behind, even after a failure.

These tests use a second lab (name `nsmt`, its own net) beside the main one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nsmtest import python_env
from nsmtest.lab import Lab, port_open


SIDE_LAB = {"NSM_LAB_NAME": "nsmt", "NSM_LAB_NET": "10.213.91"}  # clear of the lab and of side-by-side checkouts


@pytest.fixture
def side_lab(lab):  # the main lab fixture builds the cached root filesystem first
    instance = Lab(name=SIDE_LAB["NSM_LAB_NAME"], net=SIDE_LAB["NSM_LAB_NET"])
    instance.down()
    yield instance
    instance.down()


def machine_state() -> str:
    """What the checks below look at, as a person would: netns, mounts, processes."""
    return "\n".join(
        subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
        for cmd in (["ip", "netns", "list"], ["cat", "/proc/mounts"], ["ps", "-eo", "pid,args"], ["ip", "-o", "link"]))


def assert_nothing_left(instance: Lab) -> None:
    assert instance.leftovers() == []
    state = machine_state()
    for needle in ("nsmt-t", "nsmtv", "nsmtbr", "ListenAddress=" + instance.net + ".", str(instance.state) + "/"):
        assert needle not in state, needle


def test_up_and_down_are_idempotent(side_lab):
    side_lab.up(2)
    side_lab.up(2)  # a second bring-up changes nothing and is quick
    assert side_lab.host_count() == 2
    assert port_open(side_lab.ip(2), 22)
    side_lab.down()
    side_lab.down()
    assert_nothing_left(side_lab)


def test_teardown_after_a_failing_test_leaves_nothing(side_lab):
    env = python_env(dict(os.environ, **SIDE_LAB))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
         str(Path(__file__).parent / "data" / "failing_case.py")],
        env=env, capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "deliberate failure" in proc.stdout
    assert_nothing_left(side_lab)


def test_a_killed_run_is_cleaned_up_by_the_next_down(side_lab):
    subprocess.run([sys.executable, "-m", "nsmtest.lab", "up", "--hosts", "1"],
                   env=python_env(dict(os.environ, **SIDE_LAB)), check=True, capture_output=True)
    # A fresh Lab object knows nothing but the names: down() must find it all.
    fresh = Lab(name=side_lab.name, net=side_lab.net)
    assert fresh.leftovers()
    fresh.down()
    assert_nothing_left(side_lab)
