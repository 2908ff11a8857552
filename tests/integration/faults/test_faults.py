# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Faults on real targets under ns.mitogen.linear: the faulty host fails or is unreachable with a clear
message, in time, and the others finish.

Bad inputs that already have tests elsewhere (docs/docsite/rst/guide_faults.rst lists them all):
bad sudo flags and unknown become methods (plugins/become/test_become.py), a mitogen_via cycle
(plugins/connection/test_via.py), a target without Python (roles/test_setup.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from nsmtest.ansible_run import run_playbook
from nsmtest.modes import NS

from faultlib import (finish, host_line, one_line, parent_pid, start_playbook, target_processes,
                      wait_for, write_inventory, write_play)

TIMEOUT = 8  # the connection timeout the tests configure (ansible_timeout)
SLOW_STEP = "sleep 7.25"  # a command no other test runs, to find on the target

TWO_TASKS = """\
    - name: First
      ansible.builtin.command: hostname
      changed_when: false
    - name: Second
      ansible.builtin.command: id -un
      changed_when: false
"""


def three_targets(lab, tmp_path, **target3_vars):
    return write_inventory(tmp_path / "hosts.ini", [host_line(lab, "target%d" % i, i, **(target3_vars if i == 3 else {}))
                                                    for i in (1, 2, 3)])


def assert_others_finished(result, names=("target1", "target2")):
    for name in names:
        assert result.results("Second")[name]["stdout"] == "deploy", result.results("Second")[name]
        assert result.stats[name]["failures"] == 0 and result.stats[name]["unreachable"] == 0, result.stats


# ---------------------------------------------------------------- the interpreter dies

def test_killed_interpreter_fails_its_host_the_others_finish_and_the_next_run_reconnects(lab, tmp_path):
    inventory = three_targets(lab, tmp_path)
    play = write_play(tmp_path / "slow.yml", """\
    - name: Slow step
      ansible.builtin.command: %s
      changed_when: false
%s""" % (SLOW_STEP, TWO_TASKS))
    proc = start_playbook(play, inventory, env=NS)
    try:
        def running_step():
            return next((pid for pid, argv in target_processes(lab, 1).items() if " ".join(argv) == SLOW_STEP), None)

        step = wait_for(running_step, 120, "the slow step starting on target1")
        interpreter = parent_pid(step)
        assert any("mitogen:" in a for a in target_processes(lab, 1)[interpreter]), "not the Mitogen interpreter"
        os.kill(interpreter, signal.SIGKILL)
    finally:
        result = finish(proc)

    assert result.rc != 0
    outcome = result.results("Slow step")["target1"]
    assert outcome.get("unreachable") is True, outcome
    msg = outcome["msg"]
    # The engine's sentence first (after ansible-core's own "Task failed: "), as users and tools know it; ours after.
    assert one_line(msg) and msg.removeprefix("Task failed: ").startswith(
        "Mitogen was disconnected from the remote environment while a call was in-progress. "), msg
    assert "ns.mitogen: the target's Python interpreter exited or was killed" in msg, msg
    assert "file a bug" not in msg, msg
    assert_others_finished(result, ("target2", "target3"))
    assert "target1" not in result.results("Second")

    again = run_playbook(play, inventory, env=NS, timeout=300)
    assert again.rc == 0, again.stdout[-3000:]
    assert again.results("Second")["target1"]["stdout"] == "deploy"


# ---------------------------------------------------------------- unreachable targets

@pytest.fixture
def target3_restored(lab):
    """Target 3 may be broken by the test: firewall rules and processes are restored afterwards."""
    yield 3
    lab["lab"].firewall(3, None)
    if not any("sshd" in " ".join(argv) for argv in target_processes(lab, 3).values()):
        lab["lab"].reset_host(3)


def stop_sshd(lab, i: int) -> None:
    # sshd runs under the target's PID 1 (tini), which ends the target's processes with it; reset_host restarts.
    for pid, argv in target_processes(lab, i).items():
        if argv and argv[0] == "/usr/bin/tini":
            os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not target_processes(lab, i), 10, "target %d stopping" % i)


@pytest.mark.parametrize("fault", ["sshd stopped", "partitioned before the run", "partitioned during the run"])
def test_unreachable_target_within_the_timeout_the_others_finish(lab, tmp_path, target3_restored, fault):
    inventory = three_targets(lab, tmp_path, ansible_timeout=str(TIMEOUT))
    tasks = TWO_TASKS
    if fault == "partitioned during the run":
        # target3 gets connected by the first task; its network then drops every packet of the session.
        tasks = TWO_TASKS.replace("    - name: Second", """\
    - name: Pause
      ansible.builtin.pause:
        seconds: 4
    - name: Second""")
    play = write_play(tmp_path / "play.yml", tasks)
    if fault == "sshd stopped":
        stop_sshd(lab, 3)
    elif fault == "partitioned before the run":
        lab["lab"].firewall(3, [])
    if fault == "partitioned during the run":
        proc = start_playbook(play, inventory, env=NS)
        try:
            wait_for(lambda: any("mitogen:" in " ".join(a) for a in target_processes(lab, 3).values()), 120,
                     "target3 connecting")
            lab["lab"].firewall(3, [])
        finally:
            result = finish(proc)
        # Cut while the first task ran, or before the second one: whichever task met the partition.
        faulty_task = "First" if "target3" not in result.results("Second") else "Second"
    else:
        result = run_playbook(play, inventory, env=NS, timeout=300)
        faulty_task = "First"

    outcome = result.results(faulty_task)["target3"]
    assert outcome.get("unreachable") is True, outcome
    assert one_line(outcome["msg"]), outcome["msg"]
    assert result.rc == 4  # unreachable hosts, and no failed one
    assert result.seconds(faulty_task) <= TIMEOUT * 1.2, result.seconds(faulty_task)
    assert_others_finished(result)


# ---------------------------------------------------------------- wrong credentials

def fresh_key(tmp_path):
    key = tmp_path / "not-the-lab-key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return str(key)


@pytest.mark.parametrize("case", ["wrong ssh key", "wrong ssh password", "wrong sudo password"])
def test_wrong_credentials_fail_fast_and_clearly(lab, tmp_path, case):
    if case == "wrong ssh key":
        line = host_line(lab, "target1", 1, ansible_ssh_private_key_file=fresh_key(tmp_path))
        want_unreachable = True
        words = ("ssh password was requested, but none specified; ns.mitogen:", "ansible_ssh_private_key_file")
    elif case == "wrong ssh password":
        line = host_line(lab, "target1", 1, ansible_ssh_private_key_file=None, ansible_password="wrong-pw",
                         ansible_ssh_extra_args="-o PubkeyAuthentication=no")
        want_unreachable, words = True, ("password",)
    else:
        line = host_line(lab, "target1", 1, ansible_user="admin", ansible_become_password="wrong-pw")
        want_unreachable, words = False, ("password", "incorrect")
    inventory = write_inventory(tmp_path / "hosts.ini", [line])
    play = write_play(tmp_path / "play.yml", """\
    - name: The task
      become: true
      ansible.builtin.command: id -un
      changed_when: false
""", extra="  vars:\n    ansible_timeout: 30\n")
    started = time.monotonic()
    result = run_playbook(play, inventory, env=NS, timeout=120)
    took = time.monotonic() - started
    outcome = result.results("The task")["target1"]
    assert result.rc != 0
    assert bool(outcome.get("unreachable")) is want_unreachable and (want_unreachable or outcome.get("failed")), outcome
    msg = outcome["msg"]
    assert one_line(msg) and all(w in msg.lower() for w in words), msg
    assert "wrong-pw" not in result.stdout + result.stderr
    # Well before the 30 s timeout: a refusal is reported as such, not waited out.
    assert result.seconds("The task") < 20 and took < 60, (result.seconds("The task"), took)
