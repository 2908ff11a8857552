# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role ns.mitogen.setup on the lab's real targets: what it reports, what it sets, what it fixes.

Tests that break a target (no Python, a pyenv build, noexec mounts) restore it afterwards:
mounts are undone, and a target whose packages changed restarts from the pristine filesystem.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from ansible.release import __version__ as CORE_VERSION

from nsmtest.ansible_run import ansible_env, run_playbook
from nsmtest.modes import STOCK
from nsmtest.venv import cached as cached_venv

HERE = Path(__file__).parent
PLAYBOOK = HERE / "playbooks" / "setup.yml"
INTERPRETER_THEN_MODULE = HERE / "playbooks" / "interpreter_then_module.yml"
ROLE_SPEC = Path(__file__).resolve().parents[3] / "roles" / "setup" / "meta" / "argument_specs.yml"
REPORT_TASK = "Report | Set ns_mitogen_setup_report"
SUMMARY_TASK = "Report | One line per host"
# The Debian packages that make up the targets' Python.
PYTHON_PACKAGES = ("python3", "python3-minimal", "python3.11", "python3.11-minimal", "libpython3.11-minimal",
                   "libpython3.11-stdlib", "libpython3-stdlib")


def write_inventory(lab, path: Path, host_vars: dict[str, str] | None = None) -> Path:
    """The lab's targets without ansible_python_interpreter, so that discovery decides; extra vars per host."""
    lines = ["[targets]"]
    for host in lab["hosts"]:
        lines.append("%s ansible_host=%s %s" % (host["name"], host["ip"], (host_vars or {}).get(host["name"], "")))
    lines += ["", "[targets:vars]", "ansible_user=deploy", "ansible_ssh_private_key_file=" + lab["key"],
              "ansible_ssh_common_args='-o UserKnownHostsFile=%s'" % lab["known_hosts"], ""]
    path.write_text("\n".join(lines))
    return path


def reports(result) -> dict[str, dict]:
    return {host: r["ansible_facts"]["ns_mitogen_setup_report"] for host, r in result.results(REPORT_TASK).items()
            if "ansible_facts" in r}


def changed_total(result) -> int:
    return sum(s["changed"] for s in result.stats.values())


def on_target(lab, i: int, command: str) -> subprocess.CompletedProcess:
    """Run a shell command on target i as root over ssh."""
    host = lab["hosts"][i - 1]
    return subprocess.run(["ssh", "-i", lab["key"], "-o", "UserKnownHostsFile=" + lab["known_hosts"],
                           "-o", "BatchMode=yes", "root@" + host["ip"], command],
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def broken_target(lab):
    """Target 3, which the test may change at will: it restarts from the pristine filesystem afterwards."""
    yield 3
    lab["lab"].reset_host(3)


def purge_python(lab, i: int) -> None:
    proc = on_target(lab, i, "dpkg --purge %s && ! command -v python3 && ! ls /usr/bin/python3*" % " ".join(PYTHON_PACKAGES))
    assert proc.returncode == 0, proc.stdout + proc.stderr


# ---------------------------------------------------------------- interface

def test_ansible_doc_renders_every_option():
    spec = yaml.safe_load(ROLE_SPEC.read_text())["argument_specs"]["main"]["options"]
    proc = subprocess.run(["ansible-doc", "-t", "role", "ns.mitogen.setup"], capture_output=True, text=True,
                          env=ansible_env(), timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "ENTRY POINT: *main*" in proc.stdout
    for option, definition in spec.items():
        assert option in proc.stdout
        assert definition.get("description") and "default" in definition and definition.get("type"), option
    assert {"setup_strict", "setup_check_controller", "setup_check_targets", "setup_python_min",
            "setup_set_interpreter", "setup_bootstrap_python", "setup_write_config"} <= set(spec)
    lookup = subprocess.run(["ansible-doc", "-t", "lookup", "ns.mitogen.support"], capture_output=True, text=True,
                            env=ansible_env(), timeout=120, check=False)
    assert lookup.returncode == 0 and "mitogen_supported" in lookup.stdout, lookup.stderr


@pytest.mark.parametrize("extra, needle", [
    ("setup_strict=maybe", "argument 'setup_strict' is of type str and we were unable to convert to bool"),
    ("setup_config_strategy=ns.mitogen.fast", "value of setup_config_strategy must be one of: ns.mitogen.linear, "),
    ("setup_config_forks=many", "argument 'setup_config_forks' is of type str and we were unable to convert to int"),
])
def test_invalid_option_fails_with_the_argument_spec_error(lab, tmp_path, extra, needle):
    inventory = write_inventory(lab, tmp_path / "hosts.ini")
    result = run_playbook(PLAYBOOK, inventory, "-e", "setup_hosts=target1", "-e", extra, env=STOCK)
    assert result.rc != 0
    failed = result.results("Validating arguments against arg spec 'main' - "
                            "Check the controller and the targets before running over Mitogen")["target1"]
    assert failed["failed"] and failed["msg"].startswith("Validation of arguments failed:"), failed["msg"]
    assert needle in failed["msg"], failed["msg"]


def test_bad_python_min_fails_in_one_line(lab, tmp_path):
    inventory = write_inventory(lab, tmp_path / "hosts.ini")
    result = run_playbook(PLAYBOOK, inventory, "-e", "setup_hosts=target1", "-e", "setup_python_min=three", env=STOCK)
    assert result.rc != 0
    msg = result.results("Check that setup_python_min is a MAJOR.MINOR version")["target1"]["msg"]
    assert msg == "setup_python_min=three is not a MAJOR.MINOR version: give one such as '3.9'"


# ---------------------------------------------------------------- healthy targets

def test_healthy_targets_report_ready_idempotent_and_in_check_mode(lab, tmp_path):
    inventory = write_inventory(lab, tmp_path / "hosts.ini")
    snippet = tmp_path / "ansible.cfg"
    args = ("-e", "setup_write_config=%s" % snippet, "-e", "setup_config_forks=40")

    first = run_playbook(PLAYBOOK, inventory, *args, env=STOCK)
    assert first.rc == 0, first.stdout[-3000:]
    found = reports(first)
    assert set(found) == {h["name"] for h in lab["hosts"]}
    for host, report in found.items():
        assert report["ready"] is True and report["problems"] == [], (host, report)
        # No ansible_python_interpreter in this inventory: discovery's pick, which is supported.
        assert report["python"] == "/usr/bin/python3.11" and report["python_version"].startswith("3.11.")
        assert report["interpreter_set"] is False
        assert report["target"]["sudo"]["flavour"] == "sudo" and report["target"]["sudo"]["requiretty"] is False
        assert not any(d["noexec"] for d in report["target"]["temp_dirs"])
        assert report["controller"]["mitogen"] and report["controller"]["ready"] is True
    summaries = {host: r["msg"] for host, r in first.results(SUMMARY_TASK).items()}
    assert summaries == {host: "%s: ready | Python %s at /usr/bin/python3.11" % (host, found[host]["python_version"])
                         for host in found}
    written = snippet.read_text()
    assert "strategy = ns.mitogen.linear\n" in written and "forks = 40\n" in written
    assert "export MITOGEN_POOL_SIZE=32" in written
    assert changed_total(first) == 1  # the snippet, written once

    second = run_playbook(PLAYBOOK, inventory, *args, env=STOCK)
    assert second.rc == 0 and changed_total(second) == 0, second.stats
    assert snippet.read_text() == written

    other = tmp_path / "other.cfg"
    check = run_playbook(PLAYBOOK, inventory, "--check", "-e", "setup_write_config=%s" % other, env=STOCK)
    assert check.rc == 0, check.stdout[-3000:]
    assert all(r["ready"] for r in reports(check).values())
    assert not other.exists()  # check mode writes nothing


@pytest.fixture(scope="module")
def venv_without_mitogen():
    """A virtualenv with this ansible-core and no mitogen (cached): a controller ns.mitogen cannot run on."""
    return cached_venv("venv-setup-role-no-engine-" + CORE_VERSION, "ansible-core==" + CORE_VERSION)


def test_controller_without_mitogen_fails_every_host_in_one_line(lab, tmp_path, venv_without_mitogen):
    inventory = write_inventory(lab, tmp_path / "hosts.ini")
    env = dict(STOCK, PATH="%s:%s" % (venv_without_mitogen / "bin", os.environ["PATH"]))
    want = ("controller: ns.mitogen needs the Python package 'mitogen' on the controller: "
            "pip install 'mitogen>=0.3.54,<0.4' in the Python environment that runs ansible")

    strict = run_playbook(PLAYBOOK, inventory, "-e", "setup_hosts=target1:target2", env=env)
    assert strict.rc != 0
    failed = strict.results("Report | Fail the hosts that are not ready (setup_strict)")
    assert {host: r["msg"] for host, r in failed.items()} == {"target1": want, "target2": want}
    assert all(r["controller"]["mitogen"] is None for r in reports(strict).values())

    lenient = run_playbook(PLAYBOOK, inventory, "-e", "setup_hosts=target1", "-e", "setup_strict=false", env=env)
    assert lenient.rc == 0
    line = lenient.results("Report | One line for the controller")["target1"]["msg"]
    assert line.startswith("controller: NOT READY | ansible-core %s" % CORE_VERSION) and "mitogen missing" in line
    assert lenient.results(SUMMARY_TASK)["target1"]["msg"] == "target1: NOT READY | Python %s at /usr/bin/python3.11 | " \
        "problems: %s" % (reports(lenient)["target1"]["python_version"], want)


# ---------------------------------------------------------------- broken targets

def test_noexec_temp_directories_are_reported(lab, tmp_path):
    inventory = write_inventory(lab, tmp_path / "hosts.ini")
    instance = lab["lab"]
    instance.mount_tmpfs(2, "/tmp", "noexec,nosuid,nodev,mode=1777")
    try:
        one = run_playbook(PLAYBOOK, inventory, "-e", "setup_hosts=target2", env=STOCK)
        instance.mount_tmpfs(2, "/var/tmp", "noexec,nosuid,nodev,mode=1777")
        try:
            # remote_tmp on /var/tmp too: no executable temporary directory is left.
            every = run_playbook(PLAYBOOK, inventory, "-e", "setup_hosts=target2", "-e", "ansible_remote_tmp=/var/tmp",
                                 env=STOCK)
        finally:
            instance.unmount(2, "/var/tmp")
    finally:
        instance.unmount(2, "/tmp")

    assert one.rc == 0, one.stdout[-3000:]
    report = reports(one)["target2"]
    assert report["ready"] is True  # the other temporary directories still allow exec
    assert {d["path"]: d["noexec"] for d in report["target"]["temp_dirs"]} == {
        "/home/deploy/.ansible/tmp": False, "/var/tmp": False, "/tmp": True}
    assert report["warnings"][-1] == ("/tmp on a noexec mount: modules cannot run from there; "
                                      "/home/deploy/.ansible/tmp, /var/tmp still can")

    assert every.rc != 0
    failed = every.results("Report | Fail the hosts that are not ready (setup_strict)")["target2"]
    assert failed["msg"] == ("every temporary directory on target2 is on a noexec mount (/var/tmp, /var/tmp, /tmp): "
                             "set remote_tmp (ansible_remote_tmp) to a directory on a mount that allows exec")


def test_target_without_python_is_reported_then_bootstrapped(lab, tmp_path, broken_target):
    i = broken_target
    name = lab["hosts"][i - 1]["name"]
    inventory = write_inventory(lab, tmp_path / "hosts.ini")
    # The targets have no route to a mirror: apt-get installs from the lists and the package cache
    # the lab's filesystem keeps from debootstrap. Make sure that cache holds what it needs.
    cached = on_target(lab, i, "ls /var/cache/apt/archives").stdout.split()
    assert all(any(deb.startswith(p + "_") for deb in cached) for p in PYTHON_PACKAGES), cached
    purge_python(lab, i)

    reported = run_playbook(PLAYBOOK, inventory, "-e", "setup_hosts=" + name, env=STOCK)
    assert reported.rc != 0
    report = reports(reported)[name]
    assert report["ready"] is False and report["python"] is None and report["target"]["interpreters"] == []
    assert report["problems"] == ["%s has no Python: install python3 >= 3.9 with apt-get "
                                  "(or set setup_bootstrap_python: true to let this role do it)" % name]
    failed = reported.results("Report | Fail the hosts that are not ready (setup_strict)")[name]
    assert failed["msg"] == report["problems"][0]

    lenient = run_playbook(PLAYBOOK, inventory, "-e", "setup_hosts=" + name, "-e", "setup_strict=false", env=STOCK)
    assert lenient.rc == 0 and reports(lenient)[name]["ready"] is False
    assert "NOT READY | problems: %s has no Python" % name in lenient.results(SUMMARY_TASK)[name]["msg"]

    check = run_playbook(PLAYBOOK, inventory, "--check", "-e", "setup_hosts=" + name, "-e", "setup_strict=false",
                         "-e", "setup_bootstrap_python=true", env=STOCK)
    assert check.rc == 0
    assert "check mode: would install python3 with apt-get" in reports(check)[name]["warnings"]
    assert on_target(lab, i, "command -v python3").returncode != 0  # check mode installed nothing

    fixed = run_playbook(PLAYBOOK, inventory, "-e", "setup_hosts=" + name, "-e", "setup_bootstrap_python=true",
                         env=STOCK)
    assert fixed.rc == 0, fixed.stdout[-3000:]
    install = fixed.results("Target | Install the package over raw")[name]
    assert install["changed"] is True and "NSM-BOOTSTRAP-CHANGED" in install["stdout"]
    report = reports(fixed)[name]
    assert report["ready"] is True and report["bootstrap"] == "installed"
    assert report["python"] == "/usr/bin/python3.11"
    assert on_target(lab, i, "dpkg-query -W -f '${Status}' python3 && python3 -c 'print(6 * 7)'").stdout.endswith(
        "install ok installed42\n")

    again = run_playbook(PLAYBOOK, inventory, "-e", "setup_hosts=" + name, "-e", "setup_bootstrap_python=true",
                         env=STOCK)
    assert again.rc == 0 and changed_total(again) == 0, again.stats


def test_pyenv_python_36_only_is_unsupported_and_a_supported_one_is_chosen(lab, tmp_path, broken_target):
    i = broken_target
    name = lab["hosts"][i - 1]["name"]
    pyenv_root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False).stdout.strip()
    builds = sorted(Path(pyenv_root, "versions").glob("3.6.*")) if pyenv_root else []
    if not builds:
        pytest.skip("no pyenv build of Python 3.6 on this machine (pyenv install 3.6)")
    build = builds[-1]
    version = build.name
    instance = lab["lab"]
    # pyenv itself and the 3.6 build, read-only, where they are here: the build's shared library is
    # found through its absolute RUNPATH, so it must sit at the same path inside the target.
    for part in ("bin", "libexec"):
        instance.bind_ro(i, Path(pyenv_root, part), "%s/%s" % (pyenv_root, part))
    instance.bind_ro(i, build, str(build))
    python36 = "%s/bin/python3.6" % build
    assert on_target(lab, i, "%s -c 'import sys; print(sys.version.split()[0])'" % python36).stdout.strip() == version
    assert "not found" not in on_target(lab, i, "ldd %s" % python36).stdout

    # 1. Python 3.6 configured while a supported Python exists: the role points the host at the latter,
    #    and the next task runs its module with it.
    inventory = write_inventory(lab, tmp_path / "hosts.ini",
                                {name: "ansible_user=root ansible_python_interpreter=" + python36})
    chosen = run_playbook(INTERPRETER_THEN_MODULE, inventory, "-e", "setup_hosts=" + name, env=STOCK)
    assert chosen.rc == 0, chosen.stdout[-3000:]
    report = reports(chosen)[name]
    assert report["ready"] is True and report["interpreter_set"] is True
    assert report["python"] == "/usr/bin/python3.11"
    assert "ansible_python_interpreter set to /usr/bin/python3.11" in report["warnings"][-1]
    assert chosen.results("Run a module")[name]["ansible_facts"]["ansible_python"]["executable"] == "/usr/bin/python3.11"

    # 2. The system Python gone: Python 3.6 from pyenv is all there is, and it is unsupported.
    purge_python(lab, i)
    inventory = write_inventory(lab, tmp_path / "hosts.ini", {name: "ansible_user=root"})
    result = run_playbook(PLAYBOOK, inventory, "-e", "setup_hosts=" + name, env=STOCK)
    assert result.rc != 0
    report = reports(result)[name]
    assert report["target"]["pyenv_root"] == pyenv_root  # `pyenv root` on the target found it
    assert {(p["path"], p["version"], p["supported"]) for p in report["target"]["interpreters"]} == {
        ("%s/bin/python3" % build, version, False), (python36, version, False)}
    assert report["ready"] is False and report["python"] is None
    assert report["problems"] == [
        "%s has no supported Python (%s/bin/python3 is Python %s, %s is Python %s; ansible-core modules need >= 3.9): "
        "install python3 >= 3.9 with apt-get and point ansible_python_interpreter at it"
        % (name, build, version, python36, version)]


def test_role_runs_under_stock_free_strategy_too(lab, tmp_path):
    inventory = write_inventory(lab, tmp_path / "hosts.ini")
    result = run_playbook(PLAYBOOK, inventory, env={"ANSIBLE_STRATEGY": "free"})
    assert result.rc == 0, result.stdout[-3000:]
    assert all(r["ready"] for r in reports(result).values())


def test_sudo_requiretty_and_command_rules_are_reported(lab, tmp_path, broken_target):
    i = broken_target
    name = lab["hosts"][i - 1]["name"]
    proc = on_target(lab, i, "sed -i 's|^deploy .*|deploy ALL=(ALL:ALL) NOPASSWD: /usr/bin/apt-get|' "
                             "/etc/sudoers.d/ns-mitogen-lab && echo 'Defaults:deploy requiretty' >/etc/sudoers.d/tty "
                             "&& chmod 440 /etc/sudoers.d/tty && visudo -c")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = run_playbook(PLAYBOOK, write_inventory(lab, tmp_path / "hosts.ini"), "-e", "setup_hosts=" + name,
                          env=STOCK)
    assert result.rc == 0, result.stdout[-3000:]
    report = reports(result)[name]
    assert report["ready"] is True  # sudo still works: these are warnings
    sudo = report["target"]["sudo"]
    assert sudo["requiretty"] is True and sudo["allows_all_commands"] is False and sudo["lists_without_password"]
    assert report["warnings"][-2:] == [
        "sudoers sets requiretty for deploy: stock Ansible with pipelining fails under sudo; "
        "ns.mitogen gives sudo a terminal and is unaffected",
        "sudo allows deploy listed commands only: under ns.mitogen sudo runs the Python interpreter "
        "(/usr/bin/python3.11 -c ...), not /bin/sh, so allow that interpreter in sudoers"]


def test_su_prompt_locale_is_reported(lab, tmp_path):
    """The lab's targets have a German locale; a session with LANG=de_DE.UTF-8 gets German PAM prompts."""
    host = lab["hosts"][1]
    name = host["name"]
    german = "-o SetEnv=LANG=de_DE.UTF-8"
    prompt = subprocess.run(["ssh", "-tt", "-i", lab["key"], "-o", "UserKnownHostsFile=" + lab["known_hosts"],
                             *german.split(), "deploy@" + host["ip"], "timeout 5 su app -c true"],
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, check=False)
    assert "Passwort:" in prompt.stdout  # su really prompts in German in such a session
    # Without that LANG first (ssh keeps its connection, and the environment it was opened with, for a while).
    english = run_playbook(PLAYBOOK, write_inventory(lab, tmp_path / "en.ini"), "-e", "setup_hosts=" + name, env=STOCK)
    assert english.rc == 0, english.stdout[-3000:]
    assert reports(english)[name]["target"]["locale"]["su_translated"] is False

    inventory = write_inventory(lab, tmp_path / "de.ini", {name: "ansible_ssh_extra_args='%s'" % german})
    result = run_playbook(PLAYBOOK, inventory, "-e", "setup_hosts=" + name, env=STOCK)
    assert result.rc == 0, result.stdout[-3000:]
    report = reports(result)[name]
    assert report["target"]["locale"] == {"LANG": "de_DE.UTF-8", "LC_ALL": "", "LC_MESSAGES": "",
                                          "messages": "de_DE.UTF-8", "installed": True, "su_translated": True}
    assert report["ready"] is True and report["warnings"] == []  # ns.mitogen.su finds German prompts itself
