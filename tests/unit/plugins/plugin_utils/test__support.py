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
    ("2.20.9", "0.3.54", False),
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
    msg = support.check("2.19.3", "0.3.54")
    assert "\n" not in msg
    assert "found 2.19.3" in msg and "stock strategy" in msg


def test_mitogen_range_matches_requirements_txt():
    lines = [l.split("#")[0].strip() for l in (REPO / "requirements.txt").read_text().splitlines()]
    assert "mitogen" + support.spec(support.MITOGEN_RANGE) in lines


def test_core_range_matches_runtime_yml():
    text = (REPO / "meta" / "runtime.yml").read_text()
    declared = re.search(r"^requires_ansible:\s*[\"']?([^\"'\n]+)", text, re.M).group(1)
    lower, upper = support.ANSIBLE_CORE_RANGE
    assert declared == ">=%s.0,<%s.0" % (".".join(map(str, lower)), ".".join(map(str, upper)))
