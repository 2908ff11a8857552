# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Play activation: the list of patches, its checks, and the usage guide's list generated from it.

NS_MITOGEN_WRITE_DOCS=1 makes test_the_usage_guide_lists_every_patch write the
list into the guide instead of failing when it differs.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import ansible_mitogen.planner
import pytest
from nsmtest.docs import check_generated

from ansible_collections.ns.mitogen.plugins.plugin_utils import _engine, _play

REPO = Path(__file__).resolve().parents[4]
GUIDE = REPO / "docs" / "docsite" / "rst" / "guide_usage.rst"
BEGIN = ".. generated fix list: start"
END = ".. generated fix list: end"
CONCERNS = ("_names", "_connect", "_timeouts", "_failures", "_discovery", "_reset", "_loop", "_modules", "_runner",
            "_transfers", "_exit", "_concurrency", "_accounts", "_payload", "_become_command",
            "_commands")


def defined_patches() -> dict[str, tuple[str, _engine.Patch]]:
    """Every Patch object the seam's modules define: name -> (module, patch)."""
    found = {}
    for module_name in CONCERNS:
        module = importlib.import_module("ansible_collections.ns.mitogen.plugins.plugin_utils." + module_name)
        for value in vars(module).values():
            if isinstance(value, _engine.Patch):
                found[value.name] = (module_name, value)
    return found


def test_every_patch_is_installed_once():
    names = [p.name for p in _play.PATCHES]
    assert len(names) == len(set(names))
    assert sorted(names) == sorted(defined_patches())


def test_the_method_table_is_installed_before_its_entries():
    order = [p.target for p in _play.PATCHES]
    table = order.index("ansible_mitogen.connection.CONNECTION_METHOD")
    assert all(i > table for i, t in enumerate(order) if t.startswith("ansible_mitogen.connection.CONNECTION_METHOD["))


@pytest.mark.parametrize("patch", _play.PATCHES, ids=lambda p: p.name)
def test_the_installed_engine_has_what_each_patch_replaces(patch):
    assert _engine.shape_problem(patch) is None


@pytest.mark.parametrize("patch", _play.PATCHES, ids=lambda p: p.name)
def test_each_patch_says_why_in_one_sentence_and_names_a_test_that_exists(patch):
    assert re.fullmatch(r"[a-z0-9-]+", patch.name)
    assert patch.why.endswith(".") and "\n" not in patch.why
    path, _sep, function = patch.test.partition("::")
    source = (REPO / path).read_text()  # a pytest file and its test, or a molecule scenario's playbook
    assert not function or re.search(r"^def %s\(" % re.escape(function), source, re.M), patch.test


@pytest.mark.parametrize("name", sorted(defined_patches()))
def test_each_patch_has_a_unit_test_of_its_own_module(name):
    module_name, patch = defined_patches()[name]
    constant = next(k for k, v in vars(importlib.import_module(
        "ansible_collections.ns.mitogen.plugins.plugin_utils." + module_name)).items() if v is patch)
    tests = (Path(__file__).parent / ("test_%s.py" % module_name)).read_text()
    assert "%s.%s." % (module_name, constant) in tests, "no unit test in test_%s.py uses %s.%s" % (
        module_name, module_name, constant)


def test_a_renamed_engine_attribute_stops_the_play_in_one_line(monkeypatch):
    assert _play.engine_problem() is None
    monkeypatch.delattr(ansible_mitogen.planner, "_propagate_deps")
    problem = _play.engine_problem()
    assert "has no ansible_mitogen.planner._propagate_deps" in problem and "loop-module-files-pushed-once" in problem
    assert "\n" not in problem


def test_a_play_leaves_the_engine_as_it_found_it():
    before = [_engine._current(p.target) for p in _play.PATCHES]  # pylint: disable=protected-access
    installed = _engine.Installed()
    for patch in _play.PATCHES:
        installed.install(patch)
    assert [_engine._current(p.target) for p in _play.PATCHES] != before  # pylint: disable=protected-access
    installed.remove_all()
    assert [_engine._current(p.target) for p in _play.PATCHES] == before  # pylint: disable=protected-access


def rst_text(text: str) -> str:
    """Plain text as reStructuredText: '*' and a word's trailing '_' (a reference) escaped."""
    return re.sub(r"(\w)_(?=\W|$)", r"\1\\_", text.replace("*", "\\*"))


def render() -> str:
    """The usage guide's fix list, from the patch objects."""
    lines = [BEGIN, "", ".. list-table::", "   :header-rows: 1", "   :widths: 20 25 55", "",
             "   * - Patch", "     - Replaces", "     - Why, and the test that shows it"]
    for patch in _play.PATCHES:
        lines += ["   * - ``%s``" % patch.name, "     - ``%s``" % patch.target,
                  "     - %s" % rst_text(patch.why), "", "       ``%s``" % patch.test]
    return "\n".join(lines + ["", END])


def test_the_usage_guide_lists_every_patch():
    check_generated(GUIDE, BEGIN, END, render(), __file__)
