# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The differential harness: one playbook under stock Ansible and under ns.mitogen, and what a user sees of each.

``observe(case, mode, lab)`` runs a case's playbook once and returns an
``Observation``: the exit code, the callback event stream (each event's name,
host, task and normalised result, item results included), the PLAY RECAP, and
the files the run left in the case's directories and in the places Ansible and
the engine keep temporary files, on every lab host. ``differences(a, b)`` is a
readable unified diff of two observations, empty when they agree.

A case is a playbook under tests/parity/cases whose first lines say, after
``# parity:``, what it needs (all optional):

    # parity: strategy=free files=/srv/parity order=host overlap=yes stdout=yes env=K=V,K=V

* ``strategy``: linear (default), free or host_pinned: the builtin one under
  stock, ``ns.mitogen.<name>``, or the builtin one with the callback;
* ``files``: absolute directories on the targets that the harness empties
  before each run and lists after it (paths, types, modes, sizes, contents);
* ``order``: ``run`` (default) compares the event stream in the order it came;
  ``host`` compares each host's events in order (strategies that do not run
  hosts in lockstep);
* ``overlap``: for each task, how many hosts' runs of it overlapped in time
  (from the ``start``/``end`` of command results): concurrency is compared too;
* ``stdout``: the default callback's output is compared too (normalised);
  ``stdout=banners``: which task's banner each printed result stands under,
  whatever the order (strategies that do not run hosts in lockstep);
* ``env``: environment variables for the runs (``ANSIBLE_DISPLAY_OK_HOSTS=false``).

Normalising takes out what differs between any two runs of the same playbook
(times, durations, temporary paths, job ids, PIDs, facts' values), never the
form of a value: an async job id is replaced by ``JOB`` only when it has stock's
form ``j<digits>.<digits>``, so another form still shows.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import os
import re
import signal
import stat
import subprocess
import time
from pathlib import Path

from nsmtest.ansible_run import ansible_env
from nsmtest.modes import ACCELERATE

TESTS = Path(__file__).resolve().parents[1]
CASES = TESTS / "parity" / "cases"
RECORDER_DIR = TESTS / "parity" / "callback_plugins"
RECORDER = "parity_recorder"
MODES = ("stock", "ns-linear", "callback")

# Where Ansible and the engine put temporary files on a target: nothing may be left there after a run.
TEMP_PLACES = ("tmp", "var/tmp", "root/.ansible/tmp", "home/deploy/.ansible/tmp", "home/admin/.ansible/tmp",
               "home/app/.ansible/tmp", "home/guest/.ansible/tmp")

_DROP_KEYS = {"start", "end", "delta", "elapsed", "duration", "_ansible_delegated_vars", "pid", "ansible_job_pid",
              "child_pid", "atime", "mtime", "ctime", "inode"}
# What stock's module wrapper unpacks a module into; left behind when ansible-core kills an async job at its time
# limit ("Timeout exceeded"). ns.mitogen never makes one: it is not compared in a run where a job was killed.
STOCK_PAYLOAD = re.compile(r"^/tmp/ansible_\S+_payload_\w+$")
_VOLATILE = [
    # A task's remote temporary directory: its name and whose home holds it (the login or the become user's).
    (re.compile(r"(?:/root|/home/[^/\s\"']+)/\.ansible/tmp/[^/\s\"']+"), "REMOTE_TMP"),
    (re.compile(r"ansible-tmp-\d+(?:\.\d+)?-\d+-\d+"), "ansible-tmp-TMP"),
    (re.compile(r"ansible-local-\w+"), "ansible-local-TMP"),
    (re.compile(r"ansible-moduletmp-\d+-\w+"), "ansible-moduletmp-TMP"),
    (re.compile(r"ansible_\w+_payload_\w+"), "ansible_payload_TMP"),
    (re.compile(r"\bj\d+\.\d+\b"), "JOB"),  # stock's async job id: j<random>.<pid>
    (re.compile(r"\b\d+:\d\d:\d\d\.\d{6}\b"), "DURATION"),  # a command's delta, in printed results
    (re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?"), "DATETIME"),
    (re.compile(r"/tmp/tmp\w{8}"), "/tmp/TMP"),
]


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    path: Path
    strategy: str = "linear"
    files: tuple[str, ...] = ()
    order: str = "run"
    overlap: bool = False
    stdout: str = ""
    env: tuple[tuple[str, str], ...] = ()

    @classmethod
    def load(cls, path: Path) -> Case:
        options: dict[str, str] = {}
        for line in path.read_text().splitlines()[:10]:
            if line.startswith("# parity:"):
                options.update(item.split("=", 1) for item in line[len("# parity:"):].split())
        known = {"strategy", "files", "order", "overlap", "stdout", "env"}
        if set(options) - known:
            raise ValueError("%s: unknown parity options %s" % (path, sorted(set(options) - known)))
        return cls(name=path.stem, path=path, strategy=options.get("strategy", "linear"),
                   files=tuple(f for f in options.get("files", "").split(",") if f),
                   order=options.get("order", "run"), overlap=options.get("overlap") == "yes",
                   stdout=options.get("stdout", ""),
                   env=tuple(tuple(kv.split("=", 1)) for kv in options.get("env", "").split(",") if kv))


def cases() -> list[Case]:
    return [Case.load(p) for p in sorted(CASES.glob("*.yml"))]


def mode_env(mode: str, strategy: str) -> dict[str, str]:
    """The environment that selects `mode` for a play of `strategy` (linear, free, host_pinned)."""
    if mode == "stock":
        return {"ANSIBLE_STRATEGY": "ansible.builtin." + strategy}
    if mode == "ns-linear":
        return {"ANSIBLE_STRATEGY": "ns.mitogen." + strategy}
    if mode == "callback":
        return {"ANSIBLE_STRATEGY": "ansible.builtin." + strategy, "ANSIBLE_CALLBACKS_ENABLED": ACCELERATE}
    raise KeyError(mode)


# ------------------------------------------------------------------ normalising

MISSING_INTERPRETER = re.compile(r"The module interpreter '.*' was not found")


def normalise(value, key: str = ""):
    """`value` with what differs between any two runs taken out (see the module's docstring)."""
    if isinstance(value, dict):
        if value.get("rc") == 127 and MISSING_INTERPRETER.search(str(value.get("msg", ""))):
            # What the login shell said of the missing interpreter: dash through ssh's terminal under stock
            # ("/bin/sh: 1: ...: not found" and ssh's notice), bash under the engine (the differences guide).
            value = dict(value, module_stdout="SHELL", module_stderr="SHELL")
        out = {}
        for k, v in value.items():
            if k in _DROP_KEYS:
                continue
            if k == "ansible_facts" and isinstance(v, dict):
                # Facts' values change from run to run (uptime, memory, ports): which facts came back is compared.
                out[k] = sorted(v)
                continue
            out[k] = normalise(v, k)
        return out
    if isinstance(value, list):
        return [normalise(v, key) for v in value]
    if isinstance(value, str):
        for pattern, replacement in _VOLATILE:
            value = pattern.sub(replacement, value)
        return value
    return value


def _event_line(event: dict) -> dict:
    line = {k: event[k] for k in ("event", "host", "task", "connection", "play", "handler", "path", "hosts",
                                  "ignore_errors") if k in event}
    if "result" in event:
        line["result"] = normalise(event["result"])
    if "recap" in event:
        line["recap"] = event["recap"]
    return line


# ------------------------------------------------------------------ the targets' files

def _entry(path: Path, root: Path) -> dict:
    st = path.lstat()
    entry = {"path": "/" + path.relative_to(root).as_posix(), "mode": oct(stat.S_IMODE(st.st_mode))}
    if stat.S_ISLNK(st.st_mode):
        entry.update(type="link", to=os.readlink(path))
    elif stat.S_ISDIR(st.st_mode):
        entry.update(type="dir")
    else:
        entry.update(type="file", size=st.st_size)
        if st.st_size <= 1 << 20:
            entry["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return entry


def files_under(root: Path, directory: str) -> list[dict]:
    """Every file, directory and link under `directory` (absolute, on the target whose / is `root`)."""
    base = root / directory.lstrip("/")
    if not base.exists():
        return []
    return [_entry(p, root) for p in sorted(base.rglob("*"))]


def temp_entries(root: Path) -> set[str]:
    """The entries of the targets' temporary places (TEMP_PLACES), by path."""
    found = set()
    for place in TEMP_PLACES:
        base = root / place
        if base.is_dir():
            found.update("/%s/%s" % (place, p.name) for p in base.iterdir())
    return found


def clear(root: Path, directory: str) -> None:
    base = root / directory.lstrip("/")
    if base.exists():
        subprocess.run(["rm", "-rf", "--one-file-system", str(base)], check=True)


# ------------------------------------------------------------------ one run

@dataclasses.dataclass
class Observation:
    """What a user can see of one run of a case."""

    rc: int
    events: list[dict]
    files: dict[str, list[dict]]
    left_behind: dict[str, list[str]]
    stdout: str
    stderr: str

    @property
    def recap(self) -> dict:
        stats = [e for e in self.events if e["event"] == "stats"]
        return stats[-1]["recap"] if stats else {}


def _overlaps(events: list[dict]) -> dict[str, int]:
    """task -> how many hosts' command runs overlapped in time at most (from start/end of the raw results)."""
    spans: dict[str, list[tuple[float, float]]] = {}
    for event in events:
        result = event.get("result") or {}
        if event["event"] in ("ok", "failed") and "start" in result and "end" in result:
            start, end = (time.mktime(time.strptime(result[k].split(".")[0], "%Y-%m-%d %H:%M:%S")) +
                          float("0." + (result[k].split(".") + ["0"])[1]) for k in ("start", "end"))
            spans.setdefault(event["task"], []).append((start, end))
    return {task: max(sum(1 for s, e in runs if s < end and e > start) for start, end in runs)
            for task, runs in spans.items()}


def observe(case: Case, mode: str, lab: dict, workdir: Path, extra_args: tuple[str, ...] = ()) -> Observation:
    """Run `case` once under `mode` against the lab; what a user sees of it."""
    hosts = lab["hosts"]
    for host in hosts:
        for directory in case.files:
            clear(Path(host["root"]), directory)
    before = {h["name"]: temp_entries(Path(h["root"])) for h in hosts}
    events_file = workdir / ("%s-%s.jsonl" % (case.name, mode))
    events_file.unlink(missing_ok=True)
    env = ansible_env(**{**dict(case.env), **mode_env(mode, case.strategy)})
    env["ANSIBLE_CALLBACKS_ENABLED"] = ",".join(filter(None, [env.get("ANSIBLE_CALLBACKS_ENABLED"), RECORDER]))
    env["ANSIBLE_CALLBACK_PLUGINS"] = str(RECORDER_DIR)
    env["NSM_PARITY_EVENTS"] = str(events_file)
    env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.builtin.default"
    proc = subprocess.Popen(["ansible-playbook", "-i", lab["inventory"], str(case.path), *extra_args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=workdir,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)  # ansible-playbook and its workers and multiplexers
        stdout, stderr = proc.communicate(timeout=60)
        stderr += "\n(the run took longer than 300 s and was stopped)"
    raw = [json.loads(line) for line in events_file.read_text().splitlines()] if events_file.exists() else []
    # Async polls come as often as the clock allows: their number is not compared.
    events = [_event_line(e) for e in raw if e["event"] != "async_poll"]
    if case.overlap:
        events.append({"event": "overlap", "tasks": _overlaps(raw)})
    files = {h["name"]: [f for d in case.files for f in files_under(Path(h["root"]), d)] for h in hosts}
    # The engine's interpreters end when the run ends; give their clean-up a moment before looking.
    killed = any((e.get("result") or {}).get("msg") == "Timeout exceeded" for e in raw)
    deadline = time.monotonic() + 5
    while True:
        left = {h["name"]: sorted(p for p in temp_entries(Path(h["root"])) - before[h["name"]]
                                  if not (killed and STOCK_PAYLOAD.match(p))) for h in hosts}
        if not any(left.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    return Observation(proc.returncode, events, files, left, stdout, stderr)


# ------------------------------------------------------------------ comparing

def _stdout_lines(text: str) -> list[str]:
    lines = []
    for line in text.splitlines():
        if "[WARNING]: Using a non-builtin strategy" in line or "ns.mitogen.accelerate" in line:
            continue
        lines.append(normalise(line))
    return lines


def in_host_order(events: list[dict], by_host: bool) -> list[dict]:
    """The events with each task's host events in host order: forks finish in any order, under stock too.

    by_host: every host's events together (strategies that do not keep hosts in lockstep)."""
    if by_host:  # each host's events in their order; the others (task starts) as a sorted list
        hostless = sorted((e for e in events if not e.get("host")), key=lambda e: json.dumps(e, sort_keys=True))
        return hostless + sorted((e for e in events if e.get("host")), key=lambda e: e["host"])
    out: list[dict] = []
    run: list[dict] = []
    for event in events + [{}]:
        if event.get("host") is not None and "handler" not in event:
            run.append(event)
            continue
        out.extend(sorted(run, key=lambda e: e["host"]))
        run = []
        if event:
            out.append(event)
    return out


RESULT_LINE = re.compile(r"^(ok|changed|skipping|fatal|failed|ignoring|included):? ")
BANNER = re.compile(r"^(?:TASK|RUNNING HANDLER) \[(.*)\] \**$")


def under_banners(text: str) -> list[str]:
    """Each printed result line with the banner of the task it stands under, sorted."""
    banner, pairs = "", []
    for line in _stdout_lines(text):
        match = BANNER.match(line)
        if match:
            banner = match.group(1)
        elif RESULT_LINE.match(line):
            pairs.append("%s :: %s" % (banner, line))
    return sorted(pairs)


def _view(obs: Observation, case: Case) -> list[str]:
    events = in_host_order(obs.events, case.order == "host")
    view = ["rc: %d" % obs.rc]
    view += ["event: " + json.dumps(e, sort_keys=True) for e in events]
    view += ["file %s: %s" % (host, json.dumps(f, sort_keys=True)) for host, fs in sorted(obs.files.items()) for f in fs]
    view += ["left behind on %s: %s" % (host, p) for host, ps in sorted(obs.left_behind.items()) for p in ps]
    if case.stdout == "banners":
        view += ["printed: " + line for line in under_banners(obs.stdout)]
    elif case.stdout:
        view += ["stdout: " + line for line in _stdout_lines(obs.stdout)]
    return view


def differences(stock: Observation, ours: Observation, case: Case, label: str = "ns.mitogen") -> str:
    """A unified diff of what a user sees under stock and under ns.mitogen; empty when they agree."""
    diff = difflib.unified_diff(_view(stock, case), _view(ours, case), "stock", label, lineterm="", n=2)
    return "\n".join(diff)
