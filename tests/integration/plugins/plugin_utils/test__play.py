# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Play activation (plugins/plugin_utils/_play.py) in real runs: the engine check, and no trace left behind."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nsmtest.ansible_run import ansible_env, run_playbook
from nsmtest.modes import NS

HERE = Path(__file__).parent
PLAYBOOKS = HERE / "playbooks"

# ansible-playbook, with one engine attribute that a patch replaces renamed first.
RENAMED = """\
import sys
import ansible_mitogen.planner
ansible_mitogen.planner._propagate_deps_renamed = ansible_mitogen.planner._propagate_deps
del ansible_mitogen.planner._propagate_deps
from ansible.cli.playbook import main
sys.argv[0] = "ansible-playbook"
main()
"""


def test_an_engine_without_an_attribute_a_patch_needs_stops_the_play_in_one_line(lab, inventory, tmp_path):
    play = tmp_path / "play.yml"
    play.write_text("- hosts: target1\n  gather_facts: false\n  tasks:\n"
                    "    - name: Never runs\n      ansible.builtin.command: id\n")
    proc = subprocess.run([sys.executable, "-c", RENAMED, "-i", str(inventory), str(play)],
                          env=ansible_env(**NS), capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode != 0
    assert "Never runs" not in proc.stdout  # stopped before its first task
    errors = [line for line in (proc.stdout + proc.stderr).splitlines() if "ns.mitogen" in line]
    assert len(errors) == 1, proc.stdout + proc.stderr
    assert "the Mitogen engine (mitogen 0.3." in errors[0]
    assert "has no ansible_mitogen.planner._propagate_deps, which ns.mitogen's patch loop-module-files-pushed-once " \
           "replaces" in errors[0]


def fresh_interpreter_linear() -> str:
    """The module of the builtin linear strategy class as ansible-core loads it in a fresh interpreter."""
    return subprocess.run([sys.executable, "-c", (
        "from ansible.plugins.loader import init_plugin_loader, strategy_loader\n"
        "init_plugin_loader()\n"
        "print(strategy_loader.get('linear', class_only=True).__module__)")],
        capture_output=True, text=True, check=True).stdout.strip()


@pytest.mark.one_activation
def test_a_builtin_play_after_an_ns_mitogen_play_gets_the_very_builtin_class(lab, inventory, tmp_path):
    probe = tmp_path / "probe.jsonl"
    env = {"ANSIBLE_CALLBACK_PLUGINS": str(HERE / "callback_plugins"), "ANSIBLE_CALLBACKS_ENABLED": "strategy_probe",
           "NSM_STRATEGY_PROBE": str(probe)}
    result = run_playbook(PLAYBOOKS / "two_strategies.yml", inventory, env=env)
    assert result.rc == 0, result.stdout[-3000:]
    first, second = (json.loads(line) for line in probe.read_text().splitlines())
    assert second["module"] == fresh_interpreter_linear() == "ansible.plugins.strategy.linear", second
    assert second["is_builtin_linear"] and len(second["bases"]) == 3  # StrategyModule, StrategyBase, object
    assert first["bases"][1] == "ansible_collections.ns.mitogen.plugins.plugin_utils._play.EngineStrategy"
    assert "ansible.plugins.strategy.linear.StrategyModule" in first["bases"]
