# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-core's own integration targets pass under ns.mitogen wherever they pass under stock Ansible.

tests/nsmtest/corpus.py runs the selection (targets that pass under stock
Ansible on the lab) from the ansible-core sdist of the version under test with
ansible-test against lab hosts, under ``ns.mitogen.linear`` and under the
callback ``ns.mitogen.accelerate``, each on its own lab host, at the same time;
a negative control runs every target with a strategy that does not exist, on a
third host: each must fail there, or the choice of strategy did not reach it.
A target that fails under ns.mitogen runs again under stock Ansible, which
tells a difference (it passes there) from a target the lab cannot run. The
differences guide lists the selection, the exclusions and the targets that
still differ (nsmtest.corpus.REMAINING).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from ansible.release import __version__ as CORE_VERSION

from nsmtest import python_env
from nsmtest.corpus import CONTROLLER_LEFTOVERS, REMAINING, TARGETS, sweep

MODES = ("ns-linear", "callback", "control")


def start(mode: str, host: dict, lab: dict, work: Path, targets=TARGETS) -> subprocess.Popen:
    collections = os.environ.get("ANSIBLE_COLLECTIONS_PATH", "")
    return subprocess.Popen(
        [sys.executable, "-m", "nsmtest.corpus", "run", "--mode", mode, "--host", host["ip"], "--key", lab["key"],
         "--version", CORE_VERSION, "--work", str(work / mode), "--collections", collections, *targets],
        stdout=subprocess.PIPE, text=True, env=python_env(), start_new_session=True)


def finish(proc: subprocess.Popen) -> dict:
    out = proc.communicate(timeout=3600)[0]
    assert proc.returncode == 0, "the corpus runner failed:\n%s" % out[-3000:]
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def corpus(lab, tmp_path_factory):
    """mode -> what ran, passed and failed; "stock": the targets that failed unexpectedly under ns.mitogen, under stock."""
    work = tmp_path_factory.mktemp("corpus")
    existed = {name for name in CONTROLLER_LEFTOVERS if os.path.lexists(name)}
    procs = {mode: start(mode, host, lab, work) for mode, host in zip(MODES, lab["hosts"])}
    try:
        runs = {mode: finish(proc) for mode, proc in procs.items()}
        failed = sorted((set(runs["ns-linear"]["failed"]) | set(runs["callback"]["failed"])) - set(REMAINING))
        # On the control's host: its runs stop before they touch the target, so the host is as the lab made it.
        procs["stock"] = start("stock", lab["hosts"][2], lab, work, failed) if failed else None
        runs["stock"] = finish(procs["stock"]) if failed else {"ran": [], "passed": [], "failed": [], "log": ""}
    finally:
        for proc in procs.values():  # a runner that failed or timed out takes the others down with it
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=60)
        sweep(existed)
    return runs


def test_the_selection_runs(corpus):
    for mode in ("ns-linear", "callback"):
        assert len(corpus[mode]["ran"]) >= 60 and not corpus[mode].get("not_run"), corpus[mode]


def test_the_strategy_choice_reaches_every_target(corpus):
    control = corpus["control"]
    assert sorted(control["ran"]) == sorted(TARGETS), control
    assert not control["passed"], "targets that pass with a strategy that does not exist: %s" % control["passed"]


@pytest.mark.parametrize("mode", ["ns-linear", "callback"])
def test_every_target_that_passes_under_stock_passes_under_ns_mitogen(corpus, mode):
    ours, stock = corpus[mode], corpus["stock"]
    unexpected = [t for t in ours["failed"] if t not in REMAINING]
    lab_cannot = [t for t in unexpected if t in stock["failed"]]
    assert not lab_cannot, "fail under stock Ansible too (see %s): the selection or the lab is wrong: %s" % (
        stock["log"], lab_cannot)
    assert not unexpected, "pass under stock, fail under %s (see %s): %s" % (mode, ours["log"], unexpected)
    fixed = [t for t in REMAINING if t in ours["passed"]]
    assert not fixed, "now pass under %s: take them out of REMAINING and the differences guide: %s" % (mode, fixed)
