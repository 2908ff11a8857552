# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running ansible and ansible-playbook against the lab, with results parsed."""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import subprocess
from pathlib import Path


@dataclasses.dataclass
class PlayResult:
    """One ansible-playbook run with the ansible.posix.json callback."""

    rc: int
    stdout: str
    stderr: str

    @property
    def data(self) -> dict:
        start = self.stdout.find("{")
        if start < 0:
            raise AssertionError("no JSON in ansible output:\n%s\n%s" % (self.stdout[-3000:], self.stderr[-3000:]))
        return json.loads(self.stdout[start:])

    def results(self, task_name: str) -> dict[str, dict]:
        """host -> result of the task called task_name (merged over the plays and entries that ran it).

        A role's task matches by its own name too ("role : name").
        """
        found: dict[str, dict] = {}
        seen = False
        for play in self.data["plays"]:
            for task in play["tasks"]:
                if task["task"]["name"] == task_name or task["task"]["name"].endswith(" : " + task_name):
                    seen = True
                    found.update(task["hosts"])
        if not seen:
            raise AssertionError("task %r did not run; output:\n%s" % (task_name, self.stdout[-3000:]))
        return found

    @property
    def stats(self) -> dict[str, dict]:
        return self.data["stats"]

    def seconds(self, task_name: str) -> float:
        """How long the task called task_name ran, by the json callback's own clock."""
        for play in self.data["plays"]:
            for task in play["tasks"]:
                if task["task"]["name"] == task_name:
                    span = task["task"]["duration"]
                    start, end = (datetime.datetime.fromisoformat(span[k].replace("Z", "+00:00"))
                                  for k in ("start", "end"))
                    return (end - start).total_seconds()
        raise AssertionError("task %r did not run" % task_name)


# How ns.mitogen is switched on (tests/integration/plugins/conftest.py runs
# tests on both): "strategy" as each test says, or "callback": ANSIBLE_STRATEGY
# ns.mitogen.<name> becomes ansible.builtin.<name> with ns.mitogen.accelerate enabled.
ACTIVATION_ENV = "NSM_ACTIVATION"
ACTIVATIONS = ("strategy", "callback")
ACCELERATE = "ns.mitogen.accelerate"


def activation_env(env: dict[str, str]) -> dict[str, str]:
    """env, rewritten for the activation that env[NSM_ACTIVATION] names."""
    strategy = env.get("ANSIBLE_STRATEGY", "")
    if env.get(ACTIVATION_ENV, "strategy") == "callback" and strategy.startswith("ns.mitogen."):
        env["ANSIBLE_STRATEGY"] = "ansible.builtin." + strategy[len("ns.mitogen."):]
        enabled = [c for c in env.get("ANSIBLE_CALLBACKS_ENABLED", "").split(",") if c.strip()]
        env["ANSIBLE_CALLBACKS_ENABLED"] = ",".join(enabled + [ACCELERATE])
    return env


def ansible_env(**extra: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ANSIBLE_DEPRECATION_WARNINGS="False",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="False",
        ANSIBLE_LOCALHOST_WARNING="False",
    )
    env.update(extra)
    return activation_env({k: v for k, v in env.items() if v is not None})  # None: unset


def run_playbook(playbook: str | Path, inventory: str | Path, *args: str, env: dict | None = None,
                 timeout: float = 600, cwd: str | Path | None = None) -> PlayResult:
    """Run ansible-playbook with JSON output and return its parsed result."""
    full_env = ansible_env(ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", **(env or {}))
    proc = subprocess.run(["ansible-playbook", "-i", str(inventory), str(playbook), *args],
                          env=full_env, capture_output=True, text=True, timeout=timeout, check=False, cwd=cwd)
    return PlayResult(proc.returncode, proc.stdout, proc.stderr)


def cached_venv(name: str, *packages: str) -> Path:
    """A virtualenv in the cache with these packages only (made once), e.g. a controller without mitogen."""
    import sys  # pylint: disable=import-outside-toplevel

    venv = Path(os.environ.get("NS_MITOGEN_CACHE", "/tmp")) / name
    if not (venv / ".complete").exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([str(venv / "bin/python"), "-m", "pip", "install", "-q", *packages],
                       check=True, capture_output=True)
        (venv / ".complete").touch()
    return venv
