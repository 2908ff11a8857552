# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ns.mitogen.sudo / su and the stock names take the engine's native path under ns.mitogen strategies,
and the same playbook passes under stock linear."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from nsmtest.ansible_run import run_playbook
from nsmtest.modes import ENGINE, activation_env

PLAYBOOK = Path(__file__).parent / "become_methods.yml"


@pytest.mark.parametrize("strategy, native", [pytest.param("ns.mitogen.linear", True, id="ns.mitogen"),
                                              pytest.param("linear", False, id="stock")])
def test_become_by_every_name(lab, inventory, strategy, native):
    result = run_playbook(PLAYBOOK, inventory, env={"ANSIBLE_STRATEGY": strategy})
    assert result.rc == 0, result.stdout[-3000:]
    runs = result.results("Become by name")["target1"]["results"]
    for run in runs:
        user, process = run["stdout"].split(" ", 1)
        assert user == run["item"]["user"], run["item"]
        # Natively, a Mitogen interpreter of that user runs the module: no shell command line for sudo/su.
        assert ("(mitogen:" in process) is native, (run["item"], process)


def one_task(tmp_path, task_yaml, hosts="target1"):
    playbook = tmp_path / "play.yml"
    playbook.write_text("---\n- name: One task\n  hosts: %s\n  gather_facts: false\n  tasks:\n    - name: The task\n%s"
                        % (hosts, "".join("      %s\n" % line for line in task_yaml.strip().splitlines())))
    return playbook


def test_sudo_to_an_unprivileged_user_without_acl(lab, inventory, tmp_path):
    """Stock Ansible needs setfacl to hand its temporary files to another unprivileged user; Mitogen has none."""
    setfacl = Path(lab["hosts"][0]["root"], "usr/bin/setfacl")
    hidden = setfacl.with_name("setfacl.hidden")
    setfacl.rename(hidden)  # this target now has no acl tools
    try:
        play = one_task(tmp_path, "become: true\nbecome_user: guest\nansible.builtin.command: id -un\n"
                                  "changed_when: false")
        stock = run_playbook(play, inventory, env={"ANSIBLE_STRATEGY": "linear"})
        ours = run_playbook(play, inventory, env={"ANSIBLE_STRATEGY": "ns.mitogen.linear"})
    finally:
        hidden.rename(setfacl)
    assert stock.rc != 0 and "Failed to set permissions" in stock.results("The task")["target1"]["msg"]
    assert ours.rc == 0, ours.stdout[-2000:]
    assert ours.results("The task")["target1"]["stdout"] == "guest"


SUDO_BEYOND_PLAY = """---
- name: Sudo beyond the engine's own options
  hosts: target1
  gather_facts: false
  vars:
    ansible_user: admin  # sudo asks admin for a password
    ansible_become: true
    ansible_become_password: "{{ admin_password }}"
  tasks:
    - name: A become_exe that takes an option of its own, then runs sudo (as ansible-core's become_sudo target)
      become: false
      ansible.builtin.copy:
        dest: /tmp/nsm-sudo-wrapper.sh
        mode: "0755"
        content: |
          #!/bin/bash
          args=()
          while [ $# -gt 0 ]; do
            if [ "$1" = --nsm-label ]; then shift 2; continue; fi
            args+=("$1"); shift
          done
          exec sudo -k "${args[@]}"
    - name: A sudo option the engine does not know
      ansible.builtin.command: id -un
      changed_when: false
      vars:
        ansible_become_flags: -H -S -n --preserve-env=LANG
    - name: The wrapper with its option
      ansible.builtin.command: id -un
      changed_when: false
      vars:
        ansible_become_exe: /tmp/nsm-sudo-wrapper.sh
        ansible_become_flags: -H -S -n --nsm-label x
    - name: The wrapper again, raw
      ansible.builtin.raw: id -un
      changed_when: false
      vars:
        ansible_become_exe: /tmp/nsm-sudo-wrapper.sh
        ansible_become_flags: -H -S -n --nsm-label x
    - name: Long options, no -S (the password goes to sudo's terminal)
      ansible.builtin.command: id -un
      changed_when: false
      vars:
        ansible_become_exe: /tmp/nsm-sudo-wrapper.sh
        ansible_become_flags: --set-home --nsm-label x
    - name: sudo_chdir
      ansible.builtin.command: pwd
      changed_when: false
      vars:
        ansible_sudo_chdir: /tmp
    - name: sudo_chdir, raw
      ansible.builtin.raw: pwd
      changed_when: false
      vars:
        ansible_sudo_chdir: /tmp
    - name: A sudo_chdir that cannot be entered
      ansible.builtin.command: id -un
      changed_when: false
      ignore_errors: true
      vars:
        ansible_sudo_chdir: /nonexistent_dir
    - name: A wrong password
      ansible.builtin.command: id -un
      changed_when: false
      ignore_errors: true
      vars:
        ansible_become_exe: /tmp/nsm-sudo-wrapper.sh
        ansible_become_flags: -H -S -n --nsm-label x
        ansible_become_password: wrong
    - name: Flags sudo itself refuses
      ansible.builtin.command: id -un
      changed_when: false
      ignore_errors: true
      vars:
        ansible_become_flags: -H -K
"""

SUDO_BEYOND_OK = ("A sudo option the engine does not know", "The wrapper with its option", "The wrapper again, raw",
                  "Long options, no -S (the password goes to sudo's terminal)", "sudo_chdir", "sudo_chdir, raw")


def test_sudo_beyond_the_engine_s_options_runs_as_stock(lab, inventory, tmp_path):
    """sudo configurations the engine's own command line cannot say run the sudo plugin's command, as stock."""
    play = tmp_path / "sudo.yml"
    play.write_text(SUDO_BEYOND_PLAY)
    runs = {name: run_playbook(play, inventory, "-e", "admin_password=%s" % lab["users"]["admin"],
                               env={"ANSIBLE_STRATEGY": strategy}, timeout=300)
            for name, strategy in (("stock", "linear"), ("ns.mitogen", "ns.mitogen.linear"))}
    for name, run in runs.items():
        assert run.rc == 0, (name, run.stdout[-3000:])
        for task in SUDO_BEYOND_OK:
            result = run.results(task)["target1"]
            assert not result.get("failed") and result["stdout"].strip().splitlines()[-1] in ("root", "/tmp"), \
                (name, task, result)
        assert run.results("A sudo_chdir that cannot be entered")["target1"]["failed"]
        assert re.search("cd.*/nonexistent_dir", json.dumps(run.results("A sudo_chdir that cannot be entered")))
        assert "Incorrect sudo password" in run.results("A wrong password")["target1"]["msg"], name
        assert run.results("Flags sudo itself refuses")["target1"]["failed"], name
    for task in SUDO_BEYOND_OK:  # raw's output carries the terminal's noise: its last line is the answer
        answers = {name: run.results(task)["target1"]["stdout"].strip().splitlines()[-1] for name, run in runs.items()}
        assert len(set(answers.values())) == 1, (task, answers)


def test_other_become_plugins_fail_at_once_naming_the_plugin(lab, inventory, tmp_path):
    play = one_task(tmp_path, "become: true\nbecome_method: community.general.sudosu\n"
                              "ansible.builtin.command: id -un\nchanged_when: false")
    result = run_playbook(play, inventory, env={"ANSIBLE_STRATEGY": "ns.mitogen.linear"}, timeout=60)
    assert result.rc != 0
    msg = result.results("The task")["target1"]["msg"]
    assert "community.general.sudosu" in msg and "stock strategy" in msg and "\n" not in msg, msg


def test_wrong_su_password_fails_fast(lab, inventory, tmp_path):
    play = one_task(tmp_path, "become: true\nbecome_method: ns.mitogen.su\nbecome_user: app\n"
                              "vars:\n  ansible_become_password: wrong\nansible.builtin.command: id -un\n"
                              "changed_when: false")
    result = run_playbook(play, inventory, env={"ANSIBLE_STRATEGY": "ns.mitogen.linear"}, timeout=60)
    assert result.rc != 0
    msg = result.results("The task")["target1"]["msg"].lower()
    assert "password" in msg, msg


def test_ask_become_pass_from_stdin(lab, inventory, tmp_path):
    play = one_task(tmp_path, "become: true\nvars:\n  ansible_user: admin\nansible.builtin.command: id -un\n"
                              "changed_when: false")
    proc = subprocess.run(["ansible-playbook", "-i", inventory, str(play), "--ask-become-pass"],
                          input=lab["users"]["admin"] + "\n", capture_output=True, text=True, timeout=120, check=False,
                          env=activation_env(dict(os.environ, ANSIBLE_STRATEGY="ns.mitogen.linear", ANSIBLE_NOCOLOR="1",
                                                  ANSIBLE_DEPRECATION_WARNINGS="False",
                                                  ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert '"stdout": "root"' in proc.stdout


def test_sudo_flags_have_the_stock_effects(lab, inventory):
    """-H, -E and -i change HOME, the environment and the user exactly as under stock Ansible."""
    flag_sets = ["-H -S -n", "-S -n", "-E -S -n", "-H -E -S -n", "-i -S -n"]
    outputs = {}
    for strategy in ("linear", "ns.mitogen.linear"):
        result = run_playbook(Path(__file__).parent / "flags.yml", inventory, "--limit", "target1",
                              "-e", '{"sudo_flag_sets": %s}' % json.dumps(flag_sets),
                              env={"ANSIBLE_STRATEGY": strategy, "ANSIBLE_PIPELINING": "True"})
        assert result.rc == 0, (strategy, result.stdout[-3000:])
        outputs[strategy] = {r["item"]: r["stdout"] for r in result.results("Sudo with flags")["target1"]["results"]}
    assert outputs["ns.mitogen.linear"] == outputs["linear"]
    assert outputs["linear"]["-H -S -n"] == "user=root home=/root"
    assert outputs["linear"]["-E -S -n"] == "user=root home=/home/deploy"  # -E keeps the caller's HOME


@pytest.mark.parametrize("strategy", ["ns.mitogen.linear", "linear"])
def test_doas_with_a_password(lab, inventory, tmp_path, strategy):
    play = one_task(tmp_path, "become: true\nbecome_method: ns.mitogen.doas\nvars:\n  ansible_user: admin\n"
                              "  ansible_become_password: %s\nansible.builtin.command: id -un\nchanged_when: false"
                              % lab["users"]["admin"])
    result = run_playbook(play, inventory, env={"ANSIBLE_STRATEGY": strategy}, timeout=120)
    assert result.rc == 0, result.stdout[-2000:]
    assert result.results("The task")["target1"]["stdout"] == "root"


@pytest.mark.parametrize("method, flags", [("doas", "-s"), ("su", "-l")])
def test_become_flags_the_engine_cannot_pass_fail_before_connecting(lab, inventory, tmp_path, method, flags):
    log = Path(lab["hosts"][0]["sshd_log"])
    logins = log.read_text(errors="replace").count("Accepted publickey")
    play = one_task(tmp_path, "become: true\nbecome_method: ns.mitogen.%s\nbecome_flags: '%s'\n"
                              "ansible.builtin.command: id -un\nchanged_when: false" % (method, flags))
    result = run_playbook(play, inventory, env={"ANSIBLE_STRATEGY": "ns.mitogen.linear"})
    assert result.rc != 0
    msg = result.results("The task")["target1"]["msg"]
    assert "become_flags %r" % flags in msg and "%s runs without options" % method in msg and "\n" not in msg, msg
    assert log.read_text(errors="replace").count("Accepted publickey") == logins


@pytest.fixture
def german_target(lab):
    """target1 with German as its system language (pam_env reads /etc/default/locale at SSH login)."""
    path = Path(lab["hosts"][0]["root"], "etc/default/locale")
    before = path.read_text()
    path.write_text("LANG=de_DE.UTF-8\n")
    try:
        yield
    finally:
        path.write_text(before)


SU_PLAY = """---
- name: Su in German
  hosts: target1
  gather_facts: false
  tasks:
    - name: The login language
      ansible.builtin.command: printenv LANG
      changed_when: false
    - name: Su to app
      become: true
      become_method: su
      become_user: app
      vars:
        ansible_become_password: "{{ su_password }}"
      ansible.builtin.command: id -un
      changed_when: false
"""


def stop_ssh_masters(path):
    """Stop the ssh masters (ControlPersist) whose sockets are in `path`, and remove it."""
    for socket in Path(path).iterdir():
        subprocess.run(["ssh", "-o", "ControlPath=%s" % socket, "-O", "exit", "x"], capture_output=True, check=False)
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def control_path_dir():
    """A directory of its own for ssh's master sockets (short: a socket path), removed afterwards."""
    path = tempfile.mkdtemp(prefix="nscp")
    yield path
    stop_ssh_masters(path)


def no_locale_env(control_dir, **extra):
    """The target's own language: no LANG or LC_* from the controller, and no ssh master of an earlier login."""
    env = {k: None for k in os.environ if k == "LANG" or k.startswith("LC_")}
    env["ANSIBLE_SSH_CONTROL_PATH_DIR"] = control_dir
    env.update(extra)
    return env


ENGINE_BY_PATH = ENGINE


@pytest.mark.parametrize("strategy, answered", [
    pytest.param({"ANSIBLE_STRATEGY": "ns.mitogen.linear"}, True, id="ns.mitogen"),
    pytest.param({"ANSIBLE_STRATEGY": "linear"}, True, id="stock"),
    pytest.param(ENGINE_BY_PATH, False, id="engine"),  # waits for an English prompt until the timeout
])
def test_su_answers_a_localised_prompt(lab, inventory, tmp_path, german_target, control_path_dir, strategy, answered):
    play = tmp_path / "su.yml"
    play.write_text(SU_PLAY)
    result = run_playbook(play, inventory, "-e", "su_password=%s" % lab["users"]["app"],
                          env=no_locale_env(control_path_dir, ANSIBLE_TIMEOUT="8", **strategy), timeout=120)
    assert result.results("The login language")["target1"]["stdout"] == "de_DE.UTF-8"
    if answered:
        assert result.rc == 0, result.stdout[-2000:]
        assert result.results("Su to app")["target1"]["stdout"] == "app"
    else:
        assert result.rc != 0
        assert "timed out" in result.results("Su to app")["target1"]["msg"].lower()


def test_wrong_su_password_in_german_fails_fast_and_says_so(lab, inventory, tmp_path, german_target,
                                                            control_path_dir):
    play = tmp_path / "su.yml"
    play.write_text(SU_PLAY)
    result = run_playbook(play, inventory, "-e", "su_password=wrong",
                          env=no_locale_env(control_path_dir, ANSIBLE_STRATEGY="ns.mitogen.linear", ANSIBLE_TIMEOUT="30"),
                          timeout=120)
    assert result.rc != 0
    assert "password is incorrect" in result.results("Su to app")["target1"]["msg"]
    assert result.seconds("Su to app") < 15  # su's own failure delay, not the 30 s timeout


HANG_PLAY = """---
- name: A become that never answers
  hosts: target1
  gather_facts: false
  tasks:
    - name: Log in first
      ansible.builtin.command: "true"
      changed_when: false
      when: log_in_first | bool
    - name: Hanging become
      become: true
      become_exe: /usr/local/bin/ns-hang
      ansible.builtin.command: id -un
      changed_when: false
"""

STOCK_SENTENCE = re.compile(r"Timeout \((\d+)s\) waiting for privilege escalation prompt:")


def hanging_sleeps(host) -> list[str]:
    """Process IDs of the hanging become's stand-in on the target."""
    return subprocess.run(["ip", "netns", "exec", host["netns"], "pgrep", "-f", "sleep 900"],
                          capture_output=True, text=True, check=False).stdout.split()


@pytest.mark.parametrize("timeout, ssh_delay, log_in_first", [
    # stock's default (no pipelining): the become runs over a login made before it and has timeout + 2 s alone
    pytest.param(5, 0, True, id="after-login"),
    # pipelining: stock's escalating command logs in itself, and the login counts against the same timeout + 2 s
    pytest.param(10, 8, False, id="slow-login-pipelined"),
])
def test_a_hanging_become_times_out_as_stock(lab, inventory, tmp_path, timeout, ssh_delay, log_in_first):
    host = lab["hosts"][0]
    hang = Path(host["root"], "usr/local/bin/ns-hang")
    hang.write_text("#!/bin/sh\nexec sleep 900\n")
    hang.chmod(0o755)
    ssh = tmp_path / "ssh-after"  # a slow login: ssh starts after ssh_delay seconds
    ssh.write_text('#!/bin/sh\nsleep %d\nexec ssh "$@"\n' % ssh_delay)
    ssh.chmod(0o755)
    play = tmp_path / "hang.yml"
    play.write_text(HANG_PLAY)
    runs, left = {}, {}
    try:
        for strategy in ("linear", "ns.mitogen.linear"):
            control = tempfile.mkdtemp(prefix="nscp")  # no ssh master of an earlier run
            try:
                runs[strategy] = run_playbook(
                    play, inventory, "-e", "log_in_first=%s ansible_ssh_executable=%s" % (log_in_first, ssh),
                    env={"ANSIBLE_STRATEGY": strategy, "ANSIBLE_TIMEOUT": str(timeout),
                         "ANSIBLE_PIPELINING": str(not log_in_first), "ANSIBLE_SSH_CONTROL_PATH_DIR": control},
                    timeout=120)
            finally:
                stop_ssh_masters(control)
            left[strategy] = hanging_sleeps(host)
            subprocess.run(["ip", "netns", "exec", host["netns"], "kill", *left[strategy]], check=False)
    finally:
        hang.unlink()
    stock, ours = (runs[s].results("Hanging become")["target1"] for s in ("linear", "ns.mitogen.linear"))
    for outcome in (stock, ours):
        assert outcome.get("unreachable") is True, outcome
        assert STOCK_SENTENCE.search(outcome["msg"]).group(1) == str(timeout + 2), outcome["msg"]
    assert ours["msg"].index("Connection timed out.") < ours["msg"].index("Timeout ("), ours["msg"]  # engine's first
    assert left["ns.mitogen.linear"] == [], "the hanging become process was left running"
    stock_seconds, our_seconds = (runs[s].seconds("Hanging become") for s in ("linear", "ns.mitogen.linear"))
    # ns.mitogen's shared window also covers starting Python (_timeouts.INTERPRETER_START): 2 s, and margin.
    assert timeout + 2 - 0.5 <= our_seconds <= stock_seconds + 6, (stock_seconds, our_seconds)
