# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-core's own integration targets pass under ns.mitogen wherever they pass under stock Ansible.

tests/nsmtest/corpus.py runs the selection from the ansible-core sdist of the
version under test with ansible-test against lab hosts, once per way of running:
stock, ``ns.mitogen.linear`` and the callback ``ns.mitogen.accelerate``, each on
its own lab host, at the same time. A negative control runs every target with a
strategy that does not exist: each must fail, or the choice of strategy did not
reach it. The differences guide lists the selection, the exclusions and the
targets that still differ (nsmtest.corpus.REMAINING).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ansible.release import __version__ as CORE_VERSION

from nsmtest import python_env
from nsmtest.corpus import REMAINING, TARGETS

MODES = ("stock", "ns-linear", "callback")


def start(mode: str, host: dict, lab: dict, work: Path, targets=TARGETS) -> subprocess.Popen:
    collections = os.environ.get("ANSIBLE_COLLECTIONS_PATH", "")
    return subprocess.Popen(
        [sys.executable, "-m", "nsmtest.corpus", "run", "--mode", mode, "--host", host["ip"], "--key", lab["key"],
         "--version", CORE_VERSION, "--work", str(work / mode), "--collections", collections, *targets],
        stdout=subprocess.PIPE, text=True, env=python_env())


def finish(proc: subprocess.Popen) -> dict:
    out, _ = proc.communicate(timeout=3600)
    assert proc.returncode == 0, "the corpus runner failed:\n%s" % out[-3000:]
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def corpus(lab, tmp_path_factory):
    """mode -> what ran, passed and failed (the modes side by side, one lab host each), and the control."""
    work = tmp_path_factory.mktemp("corpus")
    procs = {mode: start(mode, host, lab, work) for mode, host in zip(MODES, lab["hosts"])}
    runs = {mode: finish(proc) for mode, proc in procs.items()}
    runs["control"] = finish(start("control", lab["hosts"][0], lab, work))
    return runs


def test_the_selection_runs_and_passes_under_stock(corpus):
    stock = corpus["stock"]
    assert len(stock["ran"]) >= 60 and not stock.get("not_run"), stock
    assert not stock["failed"], "targets of the selection fail under stock Ansible (see %s): %s" % (
        stock["log"], stock["failed"])


def test_the_strategy_choice_reaches_every_target(corpus):
    control = corpus["control"]
    assert sorted(control["ran"]) == sorted(corpus["stock"]["ran"]), control
    assert not control["passed"], "targets that pass with a strategy that does not exist: %s" % control["passed"]


@pytest.mark.parametrize("mode", ["ns-linear", "callback"])
def test_every_target_that_passes_under_stock_passes_under_ns_mitogen(corpus, mode):
    stock, ours = corpus["stock"], corpus[mode]
    assert sorted(ours["ran"]) == sorted(stock["ran"]), ours
    regressions = [t for t in stock["passed"] if t in ours["failed"] and t not in REMAINING]
    assert not regressions, "pass under stock, fail under %s (see %s): %s" % (mode, ours["log"], regressions)
    fixed = [t for t in REMAINING if t in ours["passed"]]
    assert not fixed, "now pass under %s: take them out of REMAINING and the differences guide: %s" % (mode, fixed)
