# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The corpus of ansible-core's integration targets: its lists, the strategy renaming, the differences guide's list.

NS_MITOGEN_WRITE_DOCS=1 makes test_the_differences_guide_lists_the_corpus write
the list into the guide instead of failing when it differs.
"""

from __future__ import annotations

from pathlib import Path

from nsmtest import corpus
from nsmtest.docs import check_generated

REPO = Path(__file__).resolve().parents[3]
GUIDE = REPO / "docs" / "docsite" / "rst" / "guide_differences.rst"
BEGIN = ".. generated corpus list: start"
END = ".. generated corpus list: end"


def test_the_lists_are_disjoint_and_the_selection_is_large_enough():
    assert len(corpus.TARGETS) == len(set(corpus.TARGETS)) >= 60
    assert not set(corpus.TARGETS) & set(corpus.EXCLUDED)
    assert set(corpus.REMAINING) <= set(corpus.TARGETS)


def test_builtin_strategy_names_in_playbooks_are_renamed(tmp_path):
    play = tmp_path / "t" / "play.yml"
    play.parent.mkdir()
    play.write_text("- hosts: all\n  strategy: linear\n- hosts: all\n  strategy: 'ansible.builtin.free'\n"
                    "- hosts: all\n  strategy: ns.mitogen.linear\n")
    assert corpus.rename_builtin_strategies(tmp_path, "ns.mitogen.") == [play]
    assert play.read_text().count("strategy: ns.mitogen.") == 3
    assert "ns.mitogen.free" in play.read_text()


def test_the_mode_reaches_the_environment():
    env = {"ANSIBLE_CALLBACKS_ENABLED": "junit", "ANSIBLE_COLLECTIONS_PATH": "/support"}
    assert corpus.mode_env("ns-linear", env, "/ours")["ANSIBLE_STRATEGY"] == "ns.mitogen.linear"
    assert corpus.mode_env("callback", env, "/ours")["ANSIBLE_CALLBACKS_ENABLED"] == "junit,ns.mitogen.accelerate"
    assert corpus.mode_env("stock", env, "/ours")["ANSIBLE_COLLECTIONS_PATH"] == "/support:/ours"
    assert corpus.mode_env("control", env, "/ours")["ANSIBLE_STRATEGY"] == corpus.NO_SUCH_STRATEGY
    assert "TMPDIR" not in corpus.mode_env("stock", env, "/ours")
    assert corpus.mode_env("stock", env, "/ours", "/run/tmp")["TMPDIR"] == "/run/tmp"


def test_the_sweep_removes_only_what_the_runs_made(tmp_path, monkeypatch):
    made, kept, link = tmp_path / "made", tmp_path / "kept", tmp_path / "link-dir"
    (made / "sub").mkdir(parents=True)
    kept.write_text("there before")
    link.mkdir()
    monkeypatch.setattr(corpus, "CONTROLLER_LEFTOVERS", (str(made), str(kept), str(link), str(tmp_path / "none")))
    assert corpus.sweep({str(kept)}) == [str(made), str(link)]
    assert not made.exists() and not link.exists() and kept.read_text() == "there before"


def generated() -> str:
    lines = [BEGIN, "",
             "The %d targets run under each way (ansible-core's own names):" % len(corpus.TARGETS), "",
             ", ".join("``%s``" % t for t in sorted(corpus.TARGETS)) + ".", "",
             "Left out, with the reason:", ""]
    lines += ["* ``%s``: %s." % (t, why) for t, why in sorted(corpus.EXCLUDED.items())]
    lines += ["", "Still failing under ns.mitogen, with the reason:", ""]
    lines += ["* ``%s``: %s." % (t, why) for t, why in sorted(corpus.REMAINING.items())] or ["* none."]
    return "\n".join(lines + ["", END])


def test_the_differences_guide_lists_the_corpus():
    check_generated(GUIDE, BEGIN, END, generated(), __file__)
