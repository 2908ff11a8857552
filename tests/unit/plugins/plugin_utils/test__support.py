# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The supported-version ranges and the one-line errors outside them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ansible_collections.ns.mitogen.plugins.plugin_utils import _support as support

REPO = Path(__file__).resolve().parents[4]


@pytest.mark.parametrize("text, expected", [
    ("2.21.5", (2, 21, 5)),
    ("2.22.0rc1", (2, 22, 0)),
    ("2.21.0.dev0", (2, 21, 0)),
    ("0.3.54", (0, 3, 54)),
    ("0.4", (0, 4)),
])
def test_parse_version(text, expected):
    assert support.parse_version(text) == expected


def test_parse_version_rejects_garbage():
    with pytest.raises(ValueError):
        support.parse_version("latest")


@pytest.mark.parametrize("core, mitogen, ok", [
    ("2.21.0", "0.3.54", True),
    ("2.21.9", "0.3.99", True),
    ("2.19.0", "0.3.54", True),
    ("2.18.9", "0.3.54", False),
    ("2.22.0", "0.3.54", False),
    ("2.21.5", "0.3.53", False),
    ("2.21.5", "0.4.0", False),
])
def test_ranges_are_half_open(core, mitogen, ok):
    assert (support.check(core, mitogen) is None) == ok


def test_missing_mitogen_says_what_to_install():
    msg = support.check("2.21.5", None)
    assert "\n" not in msg
    assert "pip install 'mitogen>=0.3.54,<0.4'" in msg


def test_old_mitogen_names_found_and_wanted_versions():
    msg = support.check("2.21.5", "0.3.40")
    assert "found 0.3.40" in msg and "mitogen>=0.3.54,<0.4" in msg


def test_unsupported_core_suggests_stock_strategy():
    msg = support.check("2.18.3", "0.3.54")
    assert "\n" not in msg
    assert "found 2.18.3" in msg and "stock strategy" in msg


def test_mitogen_range_matches_requirements_txt():
    lines = [l.split("#")[0].strip() for l in (REPO / "requirements.txt").read_text().splitlines()]
    assert "mitogen" + support.spec(support.MITOGEN_RANGE) in lines


def test_core_range_matches_runtime_yml():
    text = (REPO / "meta" / "runtime.yml").read_text()
    declared = re.search(r"^requires_ansible:\s*[\"']?([^\"'\n]+)", text, re.M).group(1)
    lower, upper = support.ANSIBLE_CORE_RANGE
    assert declared == ">=%s.0,<%s.0" % (".".join(map(str, lower)), ".".join(map(str, upper)))


def report(**overrides):
    args = dict(ansible_core="2.21.5", python="3.13.1", mitogen="0.3.54", deprecation_warnings=False,
                collection_version="0.1.0")
    args.update(overrides)
    return support.controller_report(**args)


def test_controller_report_of_a_supported_controller():
    found = report()
    assert found["ready"] is True and found["problems"] == [] and found["warnings"] == []
    assert found["mitogen_supported"] == ">=0.3.54,<0.4" and found["ansible_core_supported"] == ">=2.19,<2.22"
    assert found["target_python_min"] == "3.9" and found["collection"] == "0.1.0"


def test_controller_report_gives_one_line_per_problem():
    found = report(ansible_core="2.18.1", python="3.11.4", mitogen=None)
    assert found["ready"] is False
    assert len(found["problems"]) == 3 and all("\n" not in p for p in found["problems"])
    python, core, mitogen = found["problems"]
    assert "Python 3.11.4" in python and ">= 3.12" in python
    assert "found 2.18.1" in core and "pip install 'ansible-core>=2.19,<2.22'" in core
    assert "pip install 'mitogen>=0.3.54,<0.4'" in mitogen


def test_deprecation_warning_is_a_warning_only_while_deprecation_warnings_are_on():
    on = report(deprecation_warnings=True)
    assert on["ready"] is True and on["problems"] == []
    assert len(on["warnings"]) == 1 and "deprecation_warnings = False" in on["warnings"][0]
    assert report(deprecation_warnings=False)["warnings"] == []


def test_collection_version_from_manifest_or_galaxy_yml(tmp_path):
    assert support.collection_version(tmp_path) is None
    (tmp_path / "galaxy.yml").write_text("namespace: ns\nversion: '1.2.3'\n")
    assert support.collection_version(tmp_path) == "1.2.3"
    (tmp_path / "MANIFEST.json").write_text('{"collection_info": {"version": "2.0.0"}}')
    assert support.collection_version(tmp_path) == "2.0.0"


def test_target_python_floor_matches_the_role_default():
    defaults = (REPO / "roles" / "setup" / "defaults" / "main.yml").read_text()
    assert 'setup_python_min: "%s"' % ".".join(map(str, support.TARGET_PYTHON_MIN)) in defaults
