# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers of the fault tests: inventories, plays, background runs and looking into targets."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from nsmtest.ansible_run import PlayResult, ansible_env


def host_line(lab, name: str, i: int, **host_vars: str | None) -> str:
    """An inventory line for lab target i (key login as deploy unless host_vars say otherwise; None drops a var)."""
    settings = {"ansible_host": lab["hosts"][i - 1]["ip"], "ansible_user": "deploy",
                "ansible_ssh_private_key_file": lab["key"], "ansible_python_interpreter": "/usr/bin/python3",
                "ansible_ssh_common_args": "-o UserKnownHostsFile=%s" % lab["known_hosts"]}
    settings.update(host_vars)
    return name + " " + " ".join("%s='%s'" % kv for kv in settings.items() if kv[1] is not None)


def write_inventory(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def write_play(path: Path, tasks_yaml: str, hosts: str = "all", extra: str = "") -> Path:
    """A one-play playbook: `tasks_yaml` is the list of tasks, indented as under `tasks:`."""
    path.write_text("---\n- name: Play\n  hosts: %s\n  gather_facts: false\n%s  tasks:\n%s"
                    % (hosts, extra, tasks_yaml))
    return path


def start_playbook(playbook: Path, inventory: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    """ansible-playbook in the background (own process group), JSON output."""
    full_env = ansible_env(ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", **(env or {}))
    return subprocess.Popen(["ansible-playbook", "-i", str(inventory), str(playbook), *args], env=full_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def finish(proc: subprocess.Popen, timeout: float = 300) -> PlayResult:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise AssertionError("ansible-playbook hung for %ss:\n%s\n%s" % (timeout, out[-3000:], err[-3000:])) from None
    return PlayResult(proc.returncode, out, err)


def kill_processes_of(marker: str) -> None:
    """SIGKILL this machine's processes whose command line contains `marker` (a test's own temporary path).

    ansible-core starts each worker in its own session, so killing a run's process group leaves
    a worker that was busy behind; a test that kills a run removes what it started.
    """
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and marker.encode() in (proc / "cmdline").read_bytes():
                os.kill(int(proc.name), signal.SIGKILL)
        except (OSError, ProcessLookupError):
            continue


def target_processes(lab, i: int) -> dict[int, list[str]]:
    """pid (on this machine) -> argv of every process of target i."""
    netns = lab["hosts"][i - 1]["netns"]
    pids = subprocess.run(["ip", "netns", "pids", netns], capture_output=True, text=True, check=False).stdout.split()
    found = {}
    for pid in pids:
        try:
            raw = Path("/proc/%s/cmdline" % pid).read_bytes()
        except OSError:
            continue
        found[int(pid)] = [a.decode(errors="replace") for a in raw.split(b"\0") if a]
    return found


def parent_pid(pid: int) -> int:
    return int(Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()[1])


def wait_for(condition, seconds: float, what: str, step: float = 0.1):
    """Poll condition() until it returns something true; fail saying `what` did not happen."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("%s did not happen within %ss" % (what, seconds))
        time.sleep(step)


def one_line(msg: str) -> bool:
    return bool(msg) and "\n" not in msg.strip()
