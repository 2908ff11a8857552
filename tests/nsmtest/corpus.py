# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-core's own integration targets, run under stock Ansible and under ns.mitogen (the parity corpus).

The targets come from the ansible-core sdist on PyPI, of the version the suite
pins, extracted at run time (never copied into the repository). ansible-test
from that tree runs them against a lab host:

    python -m nsmtest.corpus run --mode MODE --host IP --work DIR [TARGET...]

prints one JSON object: the targets that ran, passed and failed, and seconds.

How the mode reaches the playbooks. ansible-test hands its tests a fixed
environment (``common_environment()`` and ``integration_environment()``), so
``ANSIBLE_STRATEGY`` or ``ANSIBLE_CALLBACKS_ENABLED`` set outside never arrive.
This launcher imports ansible-test from the extracted tree and wraps its
``integration_environment`` so each target's environment also carries the
mode's variables, as a user's shell would: the ns.mitogen collection on
``ANSIBLE_COLLECTIONS_PATH`` after ansible-test's own, and for

* ``stock``: nothing more (ansible-test's inventory already turns pipelining on);
* ``ns-linear``: ``ANSIBLE_STRATEGY=ns.mitogen.linear``, and the targets'
  playbooks that name a builtin strategy (``strategy: linear``, ``free``,
  ``host_pinned``) name the ns.mitogen one instead;
* ``callback``: ``ns.mitogen.accelerate`` added to the callbacks ansible-test enables;
* ``control``: ``ANSIBLE_STRATEGY=ns.mitogen.no_such_strategy`` (and the
  playbooks' builtin strategy names made into names that do not exist), the
  negative control: every target the choice reaches must fail under it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from nsmtest.venv import cache_dir

MODES = ("stock", "ns-linear", "callback", "control")
ACCELERATE = "ns.mitogen.accelerate"
NO_SUCH_STRATEGY = "ns.mitogen.no_such_strategy"
_BUILTIN_STRATEGY = re.compile(r"^(\s*-?\s*strategy:\s*)['\"]?(?:ansible\.builtin\.)?(linear|free|host_pinned)['\"]?\s*$", re.M)

# The selection: targets that exercise what a connection and a strategy touch,
# that pass under stock Ansible against a lab host (Debian, Python 3.11, root),
# and that fit in the time of ./run test (all three ways together, about a quarter hour).
TARGETS = (
    "ping", "command_shell", "raw", "script", "environment", "argspec", "run_modules",
    "embedded_module", "ansiballz_python", "module_utils", "old_style_modules_posix", "want_json_modules_posix",
    "module-serialization-profiles", "python_module_rlimit_nofile", "result_pickle_error", "copy", "file",
    "blockinfile", "replace", "assemble", "find", "slurp", "tempfile", "unsafe_writes",
    "remote_tmp", "async", "async_fail", "async_extra_data", "loop_control", "loop-until", "loop-connection",
    "until", "break_when", "changed_when", "failed_when", "register", "assert", "hash", "undefined", "become",
    "become_sudo", "getent", "facts_d", "interpreter_discovery_python",
    "interpreter_discovery_python_delegate_facts", "wait_for", "import_tasks", "task-args", "task_ordering",
    "tasks", "strategy_linear", "strategy_free", "task-timeout", "ignore_errors",
    "ignore_unreachable", "no_log", "gather_facts-errors", "missing-interpreter", "error_from_connection",
    "connection_remote_is_local", "callback_results", "lookup_pipe", "check_mode",
)

# Targets of those categories left out, and why (the differences guide lists them).
EXCLUDED = {
    "fetch": "needs/ssh: ansible-test logs in to the controller itself over SSH, and the lab's controller runs no sshd",
    "delegate_to": "needs/ssh (as fetch)",
    "become_unprivileged": "needs/ssh (as fetch)",
    "module_tracebacks": "needs/ssh (as fetch)",
    "connection_ssh": "needs/ssh (as fetch)",
    "become_su": "installs pexpect with pip on the target; the lab's targets reach no package index",
    "expect": "installs pexpect with pip on the target (as become_su)",
    "connection_delegation": "needs sshpass and password logins to the controller",
    "throttle": "left out of ./run test for its time (44 tasks in 6 playbook runs, about two minutes under each "
                "way); the parity cases local_hosts_concurrency and delegated_concurrency compare with stock the "
                "concurrency of hosts sharing one interpreter, which it depends on",
    "mount_facts": "skip/docker: reads the mounts of a machine; the lab's targets share the controller's",
    "service_facts": "the lab's targets run no init system",
    "package_facts": "destructive on the package database beyond what one lab host is for (apt/rpm)",
    "hostname": "changes the host name: the lab's targets share the controller's kernel",
    "reboot": "reboots the target: the lab's targets share the controller's kernel",
    "systemd": "the lab's targets run no systemd",
    "service": "the lab's targets run no init system",
    "iptables": "changes packet filters: the lab shapes its traffic with them",
    "apt": "downloads packages: the lab's targets reach no package mirror",
    "cron": "installs cron and libfaketime with apt (as apt)",
    "user": "installs libuser with the package manager (as apt)",
    "unarchive": "installs zip and unzip with the package manager (as apt)",
    "group": "installs libuser with the package manager (as apt)",
    "dpkg_selections": "downloads a package from ansible-core's CI file server (as apt)",
    "binary_modules_posix": "downloads its binary modules from ansible-core's CI file server (as apt)",
    "pip": "downloads packages from PyPI on the target (as apt)",
    "get_url": "needs ansible-test's HTTP test server (a container)",
    "uri": "needs ansible-test's HTTP test server (a container)",
    "known_hosts": "edits the controller user's ~/.ssh/known_hosts",
    "args": "runs no playbook (it tests how ansible-test passes arguments): the negative control passes it",
    "strategy_host_pinned": "its script does not check ansible-playbook's exit status, so it passes even when the "
                            "play cannot start: the negative control passes it",
    "template": "runs on the controller as root and changes it (ansible-test would run it in a container)",
    "gathering": "runs on the controller as root and changes it (/etc/ansible/facts.d)",
    "gathering_facts": "runs on the controller as root and changes it",
    "omit": "needs sudo on the controller",
    "stat": "expects the file command (libmagic) on the target, which the lab's targets lack",
    "tags": "needs the en_US.UTF-8 locale on the controller",
    "module_no_log": "reads the target's syslog; the lab's targets run no syslog daemon",
    "include_import": "left out of ./run test for its time (707 tasks in 51 playbook runs)",
    "handlers": "left out of ./run test for its time (182 tasks in 44 playbook runs)",
    "blocks": "left out of ./run test for its time (122 tasks in 21 playbook runs)",
    "module_defaults": "left out of ./run test for its time (128 tasks in 4 playbook runs)",
    "set_fact": "left out of ./run test for its time (117 tasks in 11 playbook runs)",
    "module_precedence": "left out of ./run test for its time (68 tasks in 16 playbook runs)",
    "includes": "left out of ./run test for its time (83 tasks in 8 playbook runs)",
    "conditionals": "left out of ./run test for its time (116 tasks in 4 playbook runs)",
    "any_errors_fatal": "left out of ./run test for its time (21 tasks in 9 playbook runs)",
    "order": "left out of ./run test for its time (42 tasks in 6 playbook runs)",
    "meta_tasks": "left out of ./run test for its time (68 tasks in 3 playbook runs)",
    "special_vars": "left out of ./run test for its time (78 tasks in 1 playbook runs)",
    "lineinfile": "left out of ./run test for its time (290 tasks in 1 playbook runs)",
    "register_projections": "left out of ./run test for its time (67 tasks in 1 playbook runs)",
    "debug": "left out of ./run test for its time (45 tasks in 3 playbook runs)",
    "include_vars": "left out of ./run test for its time (50 tasks in 2 playbook runs)",
    "loops": "left out of ./run test for its time (54 tasks in 1 playbook runs)",
}


# Targets of the selection that still fail under ns.mitogen, and why (the differences guide says the same).
REMAINING = {
    "remote_tmp": "it asserts that find, run with remote_tmp set, sees its own AnsiballZ_find.py there while it "
                  "runs; under Mitogen modules run from the interpreter's memory and no module file is written to "
                  "the target (see Temporary files)",
}


def sdist(version: str) -> Path:
    """The ansible-core sdist of `version`, downloaded once into the cache."""
    dl = cache_dir() / "dl"
    path = dl / ("ansible_core-%s.tar.gz" % version)
    if not path.exists():
        dl.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                        "ansible-core==%s" % version, "-d", str(dl)], check=True)
    return path


def extract(version: str, work: Path, mode: str, key: Path) -> Path:
    """A fresh tree of ansible-core `version` under `work`, ready for ansible-test against a lab host."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    with tarfile.open(sdist(version)) as tar:
        tar.extractall(work, filter="data")
    tree = work / ("ansible_core-%s" % version)
    (tree / "bin").mkdir(exist_ok=True)
    (tree / "bin" / "ansible-test").symlink_to("../test/lib/ansible_test/_util/target/cli/ansible_test_cli_stub.py")
    # ansible-test takes the key it logs in with from the tree, before making one of its own in ~/.ansible.
    keys = tree / "test" / "results" / ".tmp"
    keys.mkdir(parents=True)
    shutil.copyfile(key, keys / "id_rsa")
    shutil.copyfile(str(key) + ".pub", keys / "id_rsa.pub")
    (keys / "id_rsa").chmod(0o600)
    if mode == "ns-linear":
        rename_builtin_strategies(tree / "test" / "integration" / "targets", "ns.mitogen.")
    elif mode == "control":
        rename_builtin_strategies(tree / "test" / "integration" / "targets", NO_SUCH_STRATEGY + "_")
    return tree


def rename_builtin_strategies(targets: Path, prefix: str) -> list[Path]:
    """Playbooks that name a builtin strategy name `prefix` + its name instead; the files changed."""
    changed = []
    for path in sorted(targets.rglob("*.y*ml")):
        text = path.read_text(errors="surrogateescape")
        new = _BUILTIN_STRATEGY.sub(lambda m: m.group(1) + prefix + m.group(2), text)
        if new != text:
            path.write_text(new, errors="surrogateescape")
            changed.append(path)
    return changed


# What targets of the selection leave on the controller, under stock Ansible as well: ansible-core's copy target
# makes these with delegate_to: localhost and never removes them. The corpus test removes them after its runs.
CONTROLLER_LEFTOVERS = ("/tmp/ansible-test-abs-link", "/tmp/ansible-test-abs-link-dir")


TMPDIR_VAR = "NSM_CORPUS_TMPDIR"  # how a run hands its controller TMPDIR to the ansible-test it launches


def sweep(existed: set[str]) -> list[str]:
    """Remove the CONTROLLER_LEFTOVERS that did not exist before the runs (`existed`); the paths removed."""
    removed = []
    for name in CONTROLLER_LEFTOVERS:
        path = Path(name)
        if name in existed or not (path.exists() or path.is_symlink()):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
        removed.append(name)
    return removed


def mode_env(mode: str, env: dict[str, str], collections: str, tmpdir: str | None = None) -> dict[str, str]:
    """ansible-test's environment for one target, with the mode's variables added.

    `tmpdir` becomes TMPDIR: temporary files the targets make on the controller (``mktemp`` in a lookup,
    for one) land in the run's own directory instead of /tmp.
    """
    env = dict(env)
    if tmpdir:
        env["TMPDIR"] = tmpdir
    paths = [p for p in env.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep) if p]
    env["ANSIBLE_COLLECTIONS_PATH"] = os.pathsep.join(paths + [p for p in collections.split(os.pathsep) if p])
    if mode == "ns-linear":
        env["ANSIBLE_STRATEGY"] = "ns.mitogen.linear"
    elif mode == "control":
        env["ANSIBLE_STRATEGY"] = NO_SUCH_STRATEGY
    elif mode == "callback":
        enabled = [c for c in env.get("ANSIBLE_CALLBACKS_ENABLED", "").split(",") if c]
        env["ANSIBLE_CALLBACKS_ENABLED"] = ",".join(enabled + [ACCELERATE])
    elif mode != "stock":
        raise KeyError(mode)
    return env


def _launch(tree: Path, mode: str, collections: str, argv: list[str]) -> int:
    """Run ansible-test from `tree` in this process, with integration_environment wrapped for `mode`."""
    sys.path.insert(0, str(tree / "test" / "lib"))
    os.chdir(tree)
    # pylint: disable=import-outside-toplevel,import-error
    import ansible_test._internal as internal
    from ansible_test._internal.commands import integration

    original = integration.integration_environment

    tmpdir = os.environ.get(TMPDIR_VAR)

    def integration_environment(*args, **kwargs):
        return mode_env(mode, original(*args, **kwargs), collections, tmpdir)

    integration.integration_environment = integration_environment
    sys.argv = [str(tree / "bin" / "ansible-test")] + argv
    try:
        internal.main(sys.argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0


def results(tree: Path, log: str) -> dict:
    """What ran, passed and failed, from ansible-test's output and its data file."""
    ran = re.findall(r"^Running (\S+) integration test (?:role|script)$", log, re.M)
    seconds = {}
    for data in (tree / "test" / "results" / "data").glob("integration-*.json"):
        for name, target in json.loads(data.read_text())["targets"].items():
            seconds[name] = target["run_time_seconds"]
    # Setup targets (setup_*) run before the targets that need them and are not counted.
    tested = [t for t in dict.fromkeys(ran) if not t.startswith(("setup_", "prepare_"))]
    return {
        "ran": tested,
        "passed": [t for t in tested if t in seconds],
        "failed": [t for t in tested if t not in seconds],
        "seconds": seconds,
    }


def run(mode: str, host: str, python: str, work: Path, key: Path, targets: list[str], version: str,
        collections: str, log_path: Path) -> dict:
    """Every target in `targets` under `mode` against root@`host`; the results."""
    tree = extract(version, work, mode, key)
    argv = ["integration", "--color", "no", "--allow-destructive", "--continue-on-error",
            "--target", "ssh:root@%s,python=%s" % (host, python)] + targets
    t0 = time.monotonic()
    # Short, in /tmp: the engine's socket goes there too, and a socket's path has a length limit.
    tmpdir = tempfile.mkdtemp(prefix="nsm-corpus-")
    try:
        with open(log_path, "wb") as log:
            proc = subprocess.run(
                [sys.executable, "-m", "nsmtest.corpus", "_launch", str(tree), mode, collections, "--"] + argv,
                stdout=log, stderr=subprocess.STDOUT, check=False, cwd=tree,
                env=dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]), **{TMPDIR_VAR: tmpdir}))
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    out = results(tree, log_path.read_text(errors="replace"))
    out.update(mode=mode, rc=proc.returncode, wall=round(time.monotonic() - t0, 1), log=str(log_path))
    missing = [t for t in targets if t not in out["ran"]]
    if missing:
        out["not_run"] = missing
    return out


def main(argv: list[str]) -> int:
    if argv and argv[0] == "_launch":
        tree, mode, collections = Path(argv[1]), argv[2], argv[3]
        return _launch(tree, mode, collections, argv[5:])
    parser = argparse.ArgumentParser(prog="python -m nsmtest.corpus")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("run", help="run targets under one mode against one lab host")
    p.add_argument("--mode", choices=MODES, required=True)
    p.add_argument("--host", required=True, help="the lab host's address (root logs in with --key)")
    p.add_argument("--key", type=Path, required=True)
    p.add_argument("--python", default="3.11", help="the target's Python version")
    p.add_argument("--version", required=True, help="the ansible-core version whose sdist gives the targets")
    p.add_argument("--work", type=Path, required=True, help="a directory this run owns (emptied first)")
    p.add_argument("--collections", required=True, help="where ns.mitogen is installed (a collections path)")
    p.add_argument("targets", nargs="*", default=list(TARGETS))
    sub.add_parser("list", help="print the selection and the exclusions")
    args = parser.parse_args(argv)
    if args.cmd == "list":
        print(json.dumps({"targets": TARGETS, "excluded": EXCLUDED}, indent=1))
        return 0
    work = args.work.resolve()
    log = work.parent / ("%s.log" % work.name)
    out = run(args.mode, args.host, args.python, work, args.key, args.targets, args.version,
              args.collections, log)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
