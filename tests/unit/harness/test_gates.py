# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ./run test computes: counts from JUnit files, the summary, the lab's status for molecule."""

from __future__ import annotations

from pathlib import Path

import pytest

from nsmtest import gates

JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="{e}" failures="{f}"
skipped="{s}" tests="{t}"></testsuite></testsuites>"""


def junit(tmp_path, name, t, f=0, e=0, s=0):
    path = tmp_path / name
    path.write_text(JUNIT.format(t=t, f=f, e=e, s=s))
    return str(path)


def test_a_green_run_counts_every_test_and_one_check_per_gate(tmp_path):
    stages = [{"name": "sanity", "rc": 0, "seconds": 40, "junit": ""},
              {"name": "unit", "rc": 0, "seconds": 2, "junit": junit(tmp_path, "u.xml", 10, s=2)}]
    text, ok = gates.summary(stages, 50)
    assert ok and text.splitlines()[-1] == "total: 9 passed, 0 failed, 2 skipped"
    assert "PASS  sanity (40s)" in text and "======== summary (50s) ========" in text


@pytest.mark.parametrize("stage, failed", [
    ({"name": "lint", "rc": 2, "seconds": 1, "junit": ""}, 1),
    ({"name": "unit", "rc": 1, "seconds": 1, "junit": "missing.xml"}, 1),
    ({"name": "unit", "rc": 1, "seconds": 1, "junit": "<junit>"}, 1),  # a collection error: nothing counted
])
def test_a_failed_stage_always_counts_as_a_failure(tmp_path, stage, failed):
    if stage["junit"] == "<junit>":
        stage["junit"] = junit(tmp_path, "u.xml", 0)
    elif stage["junit"]:
        stage["junit"] = str(tmp_path / stage["junit"])
    text, ok = gates.summary([stage], 1)
    assert not ok and ("%d failed" % failed) in text.splitlines()[-1]
    assert "FAIL  %s (1s, exit %d; log: .work/logs/%s.log)" % (stage["name"], stage["rc"], stage["name"]) in text


def test_errors_count_as_failures(tmp_path):
    assert gates.junit_counts(Path(junit(tmp_path, "x.xml", 5, f=1, e=1, s=1))) == (2, 2, 1)


def test_molecule_gets_the_labs_inventory_image_and_name():
    line = gates.molecule_env({"inventory": "/c/inv.ini", "docker_image": "img:1", "name": "nsm"})
    assert line == "export NSM_LAB_INVENTORY=/c/inv.ini NSM_LAB_IMAGE=img:1 NSM_LAB_NAME=nsm"
    with pytest.raises(SystemExit, match="the lab is not up"):
        gates.molecule_env({})
