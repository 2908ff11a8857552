#!/usr/bin/env python
# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The benchmark suite: stock Ansible, the engine's own strategy and ns.mitogen, on lab targets.

Called by `./run bench` with the environment of `./run env`. It brings up the
lab targets it needs, runs every selected (workload, mode) pair in interleaved
order (A B A B ...) for each condition (targets, RTT), measures each run, and
writes JSON, a markdown table, PNG plots and the generated part of the docs page.

Measured per run: wall time; for the longest loop, the first item's time from the
task's start and the median time per item after it (callback_plugins/bench_items.py);
controller CPU (user+system of the ansible-playbook
process tree, from wait4); whole-machine CPU (/proc/stat busy time, targets
included); bytes and packets each way per target (the lab's veth counters); SSH
logins per target (sshd's "Accepted" log lines); peak memory per target (sum of
RSS of the target's processes, sampled every 0.2 s).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from nsmtest.lab import Lab, LabError
from nsmtest.modes import MODES, mode_env
from nsmtest.venv import cached

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

# ------------------------------------------------------------------ workloads
# name -> (description, number of steps for a given --steps)
WORKLOADS = {
    "loop-100": ("`command: hostname` in one loop", lambda s: s),
    "tasks-100": ("separate `command: hostname` tasks", lambda s: s),
    "copy-100": ("small files, `copy` in one loop", lambda s: s + 1),
    "template-20": ("`template` in one loop", lambda s: max(1, s // 5) + 1),
    "transfer-32m": ("one 32 MiB file, `copy`", lambda s: 2),
    "facts": ("fact gathering (`setup`)", lambda s: 1),
    "floor": ("controller floor: the loop with `debug`, no remote work", lambda s: s),
}

PLAY_HEAD = """---
- name: Benchmark workload {name}
  hosts: targets
  gather_facts: {facts}
  tasks:
"""


def write_workloads(workdir: Path, steps: int, transfer_mib: int) -> dict[str, Path]:
    """Write one playbook per workload (and their files) into workdir."""
    files = workdir / "files"
    files.mkdir(parents=True, exist_ok=True)
    for i in range(steps):
        (files / ("f%d.txt" % i)).write_text("file %d\n" % i * 20)
    with open(files / "big.bin", "wb") as fh:
        for _mib in range(transfer_mib):
            fh.write(os.urandom(1 << 20))
    (workdir / "bench.conf.j2").write_text(
        "# {{ inventory_hostname }} item {{ item }}\n{% for i in range(20) %}key{{ i }} = {{ item * i }}\n{% endfor %}\n")
    remote = "/tmp/nsbench-{{ run_id }}"
    cleanup = ("    - name: Start from an empty directory\n"
               "      ansible.builtin.file:\n        path: %s\n        state: absent\n" % remote)
    bodies = {
        "loop-100": ("    - name: Command in a loop\n      ansible.builtin.command: hostname\n"
                     "      loop: \"{{ range(%d) | list }}\"\n      changed_when: false\n" % steps),
        "tasks-100": "".join("    - name: Command %d\n      ansible.builtin.command: hostname\n"
                             "      changed_when: false\n" % i for i in range(steps)),
        "copy-100": cleanup + (
            "    - name: Copy files\n      ansible.builtin.copy:\n        src: files/f{{ item }}.txt\n"
            "        dest: %s/\n        mode: \"0644\"\n      loop: \"{{ range(%d) | list }}\"\n" % (remote, steps)),
        "template-20": cleanup + (
            "    - name: Render templates\n      ansible.builtin.template:\n        src: bench.conf.j2\n"
            "        dest: %s-{{ item }}.conf\n        mode: \"0644\"\n      loop: \"{{ range(%d) | list }}\"\n"
            % (remote, max(1, steps // 5))),
        "transfer-32m": cleanup + (
            "    - name: Transfer one big file\n      ansible.builtin.copy:\n        src: files/big.bin\n"
            "        dest: %s.bin\n        mode: \"0644\"\n" % remote),
        "facts": "    - name: Nothing else\n      ansible.builtin.meta: noop\n",
        "warmup": "    - name: Once\n      ansible.builtin.command: hostname\n      changed_when: false\n",
        "floor": ("    - name: Debug in a loop\n      ansible.builtin.debug:\n        msg: \"{{ item }}\"\n"
                  "      loop: \"{{ range(%d) | list }}\"\n" % steps),
    }
    # copy-100 makes the directory its files go to; template-20 and transfer write beside it.
    bodies["copy-100"] = bodies["copy-100"].replace(
        "    - name: Copy files\n",
        "    - name: Make the directory\n      ansible.builtin.file:\n        path: %s\n"
        "        state: directory\n        mode: \"0755\"\n    - name: Copy files\n" % remote)
    paths = {}
    for name, body in bodies.items():
        path = workdir / ("%s.yml" % name)
        path.write_text(PLAY_HEAD.format(name=name, facts="true" if name == "facts" else "false") + body)
        paths[name] = path
    return paths


# ------------------------------------------------------------------ measuring
def machine_busy_seconds() -> float:
    with open("/proc/stat") as fh:
        fields = [int(v) for v in fh.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class MemorySampler(threading.Thread):
    """Peak of the summed RSS of each target's processes (by network namespace)."""

    def __init__(self, netns_inodes: dict[int, str], interval: float = 0.2):
        super().__init__(daemon=True)
        self.inodes = netns_inodes
        self.interval = interval
        self.peak = {name: 0 for name in netns_inodes.values()}
        self.stop_event = threading.Event()
        self.page = os.sysconf("SC_PAGE_SIZE")

    def sample(self) -> None:
        totals = dict.fromkeys(self.peak, 0)
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                ino = os.stat("/proc/%s/ns/net" % entry.name).st_ino
                host = self.inodes.get(ino)
                if host is None:
                    continue
                with open("/proc/%s/statm" % entry.name) as fh:
                    totals[host] += int(fh.read().split()[1]) * self.page
            except (OSError, ValueError, IndexError):
                continue
        for host, total in totals.items():
            self.peak[host] = max(self.peak[host], total)

    def run(self) -> None:
        while not self.stop_event.is_set():
            self.sample()
            self.stop_event.wait(self.interval)

    def finish(self) -> dict[str, int]:
        self.stop_event.set()
        self.join()
        self.sample()
        return self.peak


def ssh_logins(hosts: list[dict]) -> dict[str, int]:
    counts = {}
    for host in hosts:
        try:
            text = Path(host["sshd_log"]).read_text(errors="replace")
        except OSError:
            text = ""
        counts[host["name"]] = len(re.findall(r"^Accepted \S+ for ", text, flags=re.M))
    return counts


def close_control_masters(control_dir: Path) -> None:
    """End the ControlPersist masters of one stock run, so the next run starts cold like a user's."""
    for sock in control_dir.glob("*"):
        subprocess.run(["ssh", "-o", "ControlPath=%s" % sock, "-O", "exit", "bench"],
                       capture_output=True, check=False, timeout=10)


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


class Runner:
    """Runs one playbook under one mode on the first `hosts` lab targets and measures it."""

    def __init__(self, lab: Lab, workdir: Path, playbooks: dict[str, Path], timeout: float):
        self.lab = lab
        self.workdir = workdir
        self.playbooks = playbooks
        self.timeout = timeout
        self.count = 0
        self.failures: list[dict] = []

    def run(self, workload: str, mode: str, hosts: int, must_pass: bool = True) -> dict | None:
        """The run's measurements, or None if ansible-playbook failed (its output is printed)."""
        info = json.loads(self.lab.info_file.read_text())
        targets = info["hosts"][:hosts]
        names = [t["name"] for t in targets]
        self.count += 1
        run_id = "%d-%d" % (os.getpid(), self.count)
        control_dir = self.workdir / ("cp-" + run_id)
        control_dir.mkdir()
        env = dict(os.environ)
        for key in [k for k in env if k.startswith("ANSIBLE_STRATEGY") or k in (
                "ANSIBLE_PIPELINING", "ANSIBLE_CALLBACKS_ENABLED")]:
            del env[key]
        env.update(
            ANSIBLE_DEPRECATION_WARNINGS="False", ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="False",
            ANSIBLE_HOST_KEY_CHECKING="True", ANSIBLE_TIMEOUT="60", ANSIBLE_FORKS=str(min(max(hosts, 5), 50)),
            ANSIBLE_SSH_CONTROL_PATH_DIR=str(control_dir), ANSIBLE_LOCAL_TEMP=str(self.workdir / "tmp"),
        )
        env.update(mode_env(mode))
        # Loop item timing (callback_plugins/bench_items.py), beside the mode's own callbacks.
        items_file = self.workdir / ("items-%s.json" % run_id)
        env["ANSIBLE_CALLBACK_PLUGINS"] = str(HERE / "callback_plugins")
        env["ANSIBLE_CALLBACKS_ENABLED"] = ",".join(filter(None, [env.get("ANSIBLE_CALLBACKS_ENABLED"), "bench_items"]))
        env["NSM_BENCH_ITEMS_FILE"] = str(items_file)
        inodes = {os.stat("/run/netns/%s" % t["netns"]).st_ino: t["name"] for t in targets}
        cmd = ["ansible-playbook", "-i", info["inventory"], "--limit", ",".join(names),
               str(self.playbooks[workload]), "-e", "run_id=" + run_id]
        before_bytes = self.lab.counters()
        before_logins = ssh_logins(targets)
        sampler = MemorySampler(inodes)
        sampler.start()
        busy0 = machine_busy_seconds()
        t0 = time.monotonic()
        with open(self.workdir / "last.log", "w") as log:
            proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(self.workdir))
            deadline = t0 + self.timeout
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.monotonic() > deadline:
                    proc.kill()
                    pid, status, usage = os.wait4(proc.pid, 0)
                    break
                time.sleep(0.02)
        wall = time.monotonic() - t0
        busy = machine_busy_seconds() - busy0
        proc.returncode = os.waitstatus_to_exitcode(status)
        peak = sampler.finish()
        after_bytes = self.lab.counters()
        after_logins = ssh_logins(targets)
        close_control_masters(control_dir)
        shutil.rmtree(control_dir, ignore_errors=True)
        if proc.returncode != 0:
            tail = (self.workdir / "last.log").read_text(errors="replace")
            errors = [line for line in tail.splitlines() if "UNREACHABLE" in line or "FAILED" in line]
            print("bench: %s under %s on %d target(s) failed (exit %d); left out of the results:\n%s"
                  % (workload, mode, hosts, proc.returncode, "\n".join(errors[:5]) or tail[-2000:]), flush=True)
            if must_pass:
                self.failures.append({"workload": workload, "mode": mode, "hosts": hosts, "rc": proc.returncode,
                                      "errors": errors[:5]})
            return None
        per_target = {}
        for name in names:
            b0, b1 = before_bytes.get(name, {}), after_bytes.get(name, {})
            per_target[name] = {k: b1.get(k, 0) - b0.get(k, 0) for k in b1}
            per_target[name]["ssh_logins"] = after_logins[name] - before_logins[name]
            per_target[name]["peak_rss_bytes"] = peak[name]

        def mean(key):
            return statistics.fmean(p[key] for p in per_target.values())

        try:
            items = json.loads(items_file.read_text())
            items_file.unlink()
        except (OSError, ValueError):
            items = {}

        return {
            "workload": workload, "mode": mode, "hosts": hosts, "steps": None,
            "wall_s": round(wall, 3),
            "controller_cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
            "first_item_s": items.get("first_item_s"), "item_ms": items.get("item_ms"),
            "machine_cpu_s": round(busy, 3),
            "to_bytes": round(mean("to_bytes")), "from_bytes": round(mean("from_bytes")),
            "to_packets": round(mean("to_packets")), "from_packets": round(mean("from_packets")),
            "ssh_logins": round(mean("ssh_logins"), 2),
            "peak_rss_mb": round(max(p["peak_rss_bytes"] for p in per_target.values()) / 1e6, 1),
            "per_target": per_target,
        }


# ------------------------------------------------------------------ plans
# A condition: (hosts, rtt_ms) with the workloads and modes that run in it.
# In this order, most telling first (a run cut short by --max-minutes keeps whole repetitions).
DOCS_PROFILE = [
    {"hosts": 1, "rtt": 0, "workloads": ["loop-100", "floor"], "modes": list(MODES)},
    {"hosts": 1, "rtt": 20, "workloads": ["loop-100", "floor"], "modes": ["stock", "engine", "ns-linear", "callback"]},
    {"hosts": 3, "rtt": 0, "workloads": ["loop-100"], "modes": ["engine", "ns-linear", "callback"]},
    {"hosts": 10, "rtt": 0, "workloads": ["loop-100"], "modes": ["stock", "ns-linear"]},
    {"hosts": 50, "rtt": 0, "workloads": ["loop-100"], "modes": ["ns-linear"]},
    {"hosts": 1, "rtt": 0, "workloads": ["tasks-100", "copy-100", "template-20", "transfer-32m", "facts"],
     "modes": ["stock", "ns-linear"]},
]
SCALE_CONDITIONS = [
    {"hosts": 100, "rtt": 0, "workloads": ["loop-100"], "modes": ["ns-linear"]},
    {"hosts": 200, "rtt": 0, "workloads": ["loop-100"], "modes": ["ns-linear"]},
]


def csv(text: str, kind=str) -> list:
    return [kind(v.strip()) for v in text.split(",") if v.strip()]


def make_plan(args) -> list[dict]:
    if args.profile == "docs" and not (args.workloads or args.modes or args.hosts or args.rtt):
        plan = [dict(c) for c in DOCS_PROFILE]
    else:
        workloads = csv(args.workloads) if args.workloads else ["loop-100", "floor"]
        modes = csv(args.modes) if args.modes else ["stock", "engine", "ns-linear", "callback"]
        for name in workloads:
            if name not in WORKLOADS:
                raise SystemExit("bench: unknown workload %r: choose from %s" % (name, ", ".join(WORKLOADS)))
        for name in modes:
            if name not in MODES:
                raise SystemExit("bench: unknown mode %r: choose from %s" % (name, ", ".join(MODES)))
        plan = [{"hosts": h, "rtt": r, "workloads": workloads, "modes": modes}
                for r in (csv(args.rtt, int) if args.rtt else [0])
                for h in (csv(args.hosts, int) if args.hosts else [1])]
    if args.scale:
        plan += [dict(c) for c in SCALE_CONDITIONS]
    for cond in plan:
        if not 1 <= cond["hosts"] <= 240:
            raise SystemExit("bench: --hosts values must be 1..240")
        if cond["rtt"] < 0:
            raise SystemExit("bench: --rtt values must be >= 0 (milliseconds)")
    return plan


# ------------------------------------------------------------------ summary
def summarise(runs: list[dict], steps: int) -> list[dict]:
    keys = []
    for r in runs:
        key = (r["workload"], r["mode"], r["hosts"], r["rtt_ms"])
        if key not in keys:
            keys.append(key)
    rows = []
    metrics = ("wall_s", "controller_cpu_s", "machine_cpu_s", "to_bytes", "from_bytes", "to_packets",
               "from_packets", "ssh_logins", "peak_rss_mb", "first_item_s", "item_ms")
    for key in keys:
        these = [r for r in runs if (r["workload"], r["mode"], r["hosts"], r["rtt_ms"]) == key]
        row = dict(zip(("workload", "mode", "hosts", "rtt_ms"), key))
        row["reps"] = len(these)
        row["steps"] = these[0]["steps"]
        for m in metrics:
            row[m] = median([r.get(m) for r in these])
        row["wall_min_s"] = min(r["wall_s"] for r in these)
        row["wall_max_s"] = max(r["wall_s"] for r in these)
        rows.append(row)
    index = {(r["workload"], r["mode"], r["hosts"], r["rtt_ms"]): r for r in rows}
    for row in rows:
        stock = index.get((row["workload"], "stock", row["hosts"], row["rtt_ms"]))
        row["speedup_vs_stock"] = round(stock["wall_s"] / row["wall_s"], 2) if stock and row["wall_s"] else None
        floor = index.get(("floor", "stock", row["hosts"], row["rtt_ms"]))
        row["vs_floor"] = round(row["wall_s"] / floor["wall_s"], 2) if floor and row["workload"] != "floor" else None
        base = index.get((row["workload"], row["mode"], row["hosts"], 0))
        if row["rtt_ms"] > 0 and base and row["steps"] and row["workload"] != "floor":
            row["round_trips_per_step"] = round(
                (row["wall_s"] - base["wall_s"]) / (row["steps"] * row["rtt_ms"] / 1000.0), 2)
        else:
            row["round_trips_per_step"] = None
    return rows


def slope(rows: list[dict], mode: str = "ns-linear", workload: str = "loop-100") -> dict | None:
    """Least-squares wall time per added target, at 0 ms."""
    pts = sorted((r["hosts"], r["wall_s"]) for r in rows
                 if r["mode"] == mode and r["workload"] == workload and r["rtt_ms"] == 0)
    if len(pts) < 2:
        return None
    mx = statistics.fmean(p[0] for p in pts)
    my = statistics.fmean(p[1] for p in pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    b = sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx
    a = my - b * mx
    resid = max(abs(p[1] - (a + b * p[0])) / p[1] for p in pts)
    return {"mode": mode, "workload": workload, "seconds_per_target": round(b, 3), "intercept_s": round(a, 2),
            "points": pts, "max_relative_residual": round(resid, 2)}


def targets(rows: list[dict]) -> list[dict]:
    """The issue's goals, each with the measured value, or None where the run did not include it."""
    idx = {(r["workload"], r["mode"], r["hosts"], r["rtt_ms"]): r for r in rows}
    out = []

    def get(wl, mode, hosts, rtt, metric="wall_s"):
        r = idx.get((wl, mode, hosts, rtt))
        return r[metric] if r else None

    def ratio(a, b):
        return round(a / b, 2) if a is not None and b else None

    def add(name, value, goal, met):
        out.append({"target": name, "value": value, "goal": goal, "met": None if value is None else met})

    for hosts in sorted({r["hosts"] for r in rows}):
        for rtt in sorted({r["rtt_ms"] for r in rows}):
            v = ratio(get("loop-100", "ns-linear", hosts, rtt), get("loop-100", "engine", hosts, rtt))
            if v is not None:
                add("ns.mitogen.linear / engine wall, loop-100, %d target(s), %d ms" % (hosts, rtt), v, "<= 1.05",
                    v <= 1.05)
            v = ratio(get("loop-100", "callback", hosts, rtt), get("loop-100", "ns-linear", hosts, rtt))
            if v is not None:
                add("callback / ns.mitogen.linear wall, loop-100, %d target(s), %d ms" % (hosts, rtt), v,
                    "0.95 .. 1.05", 0.95 <= v <= 1.05)
    v = ratio(get("loop-100", "stock", 1, 0), get("loop-100", "ns-linear", 1, 0))
    add("stock / ns.mitogen.linear wall, loop-100, 1 target, 0 ms", v, ">= 6", v is not None and v >= 6)
    v = ratio(get("loop-100", "stock", 1, 0, "machine_cpu_s"), get("loop-100", "ns-linear", 1, 0, "machine_cpu_s"))
    add("stock / ns.mitogen.linear machine CPU, loop-100, 1 target, 0 ms", v, ">= 6", v is not None and v >= 6)
    v = ratio(get("loop-100", "stock", 1, 0, "to_bytes"), get("loop-100", "ns-linear", 1, 0, "to_bytes"))
    add("stock / ns.mitogen.linear bytes sent to the target, loop-100, 1 target, 0 ms", v, ">= 45",
        v is not None and v >= 45)
    rtts = sorted({r["rtt_ms"] for r in rows if r["rtt_ms"] > 0})
    for rtt in rtts:
        v = ratio(get("loop-100", "stock", 1, rtt), get("loop-100", "ns-linear", 1, rtt))
        add("stock / ns.mitogen.linear wall, loop-100, 1 target, %d ms" % rtt, v, ">= 3", v is not None and v >= 3)
    v = ratio(get("loop-100", "ns-linear", 1, 0), get("floor", "stock", 1, 0))
    add("ns.mitogen.linear / controller floor wall, loop-100, 1 target, 0 ms", v, "<= 1.25",
        v is not None and v <= 1.25)
    for rtt in rtts:
        w = get("loop-100", "ns-linear", 1, rtt)
        f = get("floor", "stock", 1, rtt)
        r = idx.get(("loop-100", "ns-linear", 1, rtt))
        if w is not None and f is not None:
            limit = f + 1.1 * r["steps"] * rtt / 1000.0
            add("ns.mitogen.linear wall, loop-100, 1 target, %d ms (s) vs floor + 1.1 x steps x RTT = %.1f s"
                % (rtt, limit), w, "<= %.1f" % limit, w <= limit)
    return out


# ------------------------------------------------------------------ output
def fmt_bytes(n):
    if n is None:
        return "-"
    return "%.2f MB" % (n / 1e6) if n >= 1e5 else "%.1f kB" % (n / 1e3)


def fmt(v, spec="%.1f"):
    return "-" if v is None else spec % v


COLUMNS = ("workload", "mode", "targets", "RTT", "wall s", "ctl CPU s", "machine CPU s", "sent/target",
           "received/target", "pkts out/in", "ssh logins", "peak MB", "1st item s", "ms/item", "vs stock", "vs floor", "RT/step")


def table_rows(rows: list[dict]) -> list[list[str]]:
    out = []
    for r in rows:
        out.append([r["workload"], r["mode"], str(r["hosts"]), "%d ms" % r["rtt_ms"], fmt(r["wall_s"], "%.2f"),
                    fmt(r["controller_cpu_s"], "%.2f"), fmt(r["machine_cpu_s"], "%.2f"), fmt_bytes(r["to_bytes"]),
                    fmt_bytes(r["from_bytes"]), "%s/%s" % (fmt(r["to_packets"], "%d"), fmt(r["from_packets"], "%d")),
                    fmt(r["ssh_logins"], "%g"), fmt(r["peak_rss_mb"]),
                    fmt(r.get("first_item_s"), "%.2f"), fmt(r.get("item_ms"), "%.1f"),
                    fmt(r["speedup_vs_stock"], "%.2fx"), fmt(r["vs_floor"], "%.2fx"),
                    fmt(r["round_trips_per_step"], "%.2f")])
    return out


def markdown(rows, goals, slope_info, meta) -> str:
    lines = ["# ns.mitogen benchmark results", "",
             "Generated by `%s` on %s (%s, %d CPUs, load average %s at the start). Medians of up to %s "
             "repetitions; steps per loop: %d." % (meta["command"], meta["finished"], meta["cpu_model"], meta["cpus"],
                                                   meta["loadavg_start"], max(r["reps"] for r in rows),
                                                   meta["steps"]),
             "", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(c) + " |" for c in table_rows(rows)]
    lines += ["", "## Targets", "", "| target | measured | goal | met |", "|---|---|---|---|"]
    for g in goals:
        met = {True: "yes", False: "**no**", None: "not run"}[g["met"]]
        lines.append("| %s | %s | %s | %s |" % (g["target"], fmt(g["value"], "%.2f"), g["goal"], met))
    if slope_info:
        lines += ["", "Scaling (%s, %s, 0 ms): %.3f s per added target (least squares over %s; largest relative "
                  "residual %.2f)." % (slope_info["mode"], slope_info["workload"], slope_info["seconds_per_target"],
                                       ", ".join("%d" % p[0] for p in slope_info["points"]),
                                       slope_info["max_relative_residual"])]
    return "\n".join(lines) + "\n"


def rst_table(header, body) -> list[str]:
    out = [".. list-table::", "   :header-rows: 1", ""]
    for row in [list(header)] + body:
        out.append("   * - " + (row[0] or "\\ "))
        out += ["     - " + (c or "\\ ") for c in row[1:]]
    return out


def rst_section(rows, goals, slope_info, meta, images) -> str:
    def esc(s):
        return s.replace("*", "\\*").replace("`", "")

    lines = [
        "Generated by ``%s`` on %s: %s, %d CPUs, load average %s at the start; ansible-core %s, mitogen %s, "
        "Python %s. Medians of up to %d repetitions, run interleaved; loops of %d steps; %.0f minutes." % (
            meta["command"], meta["finished"], meta["cpu_model"], meta["cpus"], meta["loadavg_start"],
            meta["ansible_core"], meta["mitogen"], meta["python"], max(r["reps"] for r in rows), meta["steps"],
            meta["duration_s"] / 60.0),
        "",
    ]
    if meta.get("interrupted") or meta.get("cut_short"):
        lines[0] += " %s during repetition %d: the rows show the runs measured, in the profile's order." % (
            "Interrupted" if meta.get("interrupted") else "Stopped by ``--max-minutes``", meta["reps_done"] + 1)
    elif meta["reps_done"] < meta["reps"]:
        lines[0] += " Stopped after %d of %d repetitions by ``--max-minutes``." % (meta["reps_done"], meta["reps"])
    for failure in meta.get("failures", []):
        lines[0] += " A run of %s under %s on %d targets failed (exit %d) and is left out." % (
            failure["workload"], failure["mode"], failure["hosts"], failure["rc"])
    for title, path in images:
        lines += [".. image:: %s" % path, "   :alt: %s" % title, ""]
    lines += ["Results", "^^^^^^^", ""]
    lines += rst_table(COLUMNS, [[esc(c) for c in row] for row in table_rows(rows)])
    lines += ["", "Targets", "^^^^^^^", ""]
    lines += rst_table(("target", "measured", "goal", "met"),
                       [[esc(g["target"]), fmt(g["value"], "%.2f"), g["goal"],
                         {True: "yes", False: "**no**", None: "not run"}[g["met"]]] for g in goals])
    if slope_info:
        lines += ["", "Scaling (%s, %s, 0 ms): %.3f s per added target, least squares over %s targets; largest "
                  "relative residual %.2f." % (slope_info["mode"], slope_info["workload"],
                                               slope_info["seconds_per_target"],
                                               ", ".join("%d" % p[0] for p in slope_info["points"]),
                                               slope_info["max_relative_residual"])]
    return "\n".join(lines) + "\n"


BEGIN = ".. BEGIN GENERATED BY ./run bench (do not edit by hand)"
END = ".. END GENERATED BY ./run bench"


def update_page(page: Path, section: str) -> None:
    text = page.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit("bench: %s lacks the markers %r and %r: put them back around the results" % (
            page, BEGIN, END))
    head, rest = text.split(BEGIN, 1)
    _old, tail = rest.split(END, 1)
    page.write_text(head + BEGIN + "\n\n" + section + "\n" + END + tail)


def plot(out: Path, data_file: Path) -> list[tuple[str, str]]:
    """PNG plots, drawn by plot.py with a Python that has matplotlib (installed for the bench only)."""
    python = os.environ.get("NSM_BENCH_PLOT_PYTHON") or plot_python()
    proc = subprocess.run([python, str(HERE / "plot.py"), str(data_file), str(out)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit("bench: plotting failed:\n" + proc.stderr[-2000:])
    return [tuple(line.split("\t", 1)) for line in proc.stdout.splitlines() if "\t" in line]


def plot_python() -> str:
    """A cached virtualenv with matplotlib, made once; the test virtualenv stays as it is."""
    return str(cached("bench-plot", "matplotlib") / "bin" / "python")


def versions() -> dict:
    import ansible  # pylint: disable=import-outside-toplevel
    from importlib.metadata import version  # pylint: disable=import-outside-toplevel

    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"ansible_core": ansible.__version__ if hasattr(ansible, "__version__") else version("ansible-core"),
            "mitogen": version("mitogen"), "python": platform.python_version(), "cpu_model": cpu,
            "cpus": os.cpu_count() or 0, "kernel": platform.release()}


# ------------------------------------------------------------------ main
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="./run bench", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--profile", choices=("docs", "custom"), default="custom",
                        help="docs: the conditions of the committed results (about 30 minutes on 2 cores, 50 with --scale); custom: the selections")
    parser.add_argument("--workloads", help="comma list of %s (default loop-100,floor)" % ", ".join(WORKLOADS))
    parser.add_argument("--modes", help="comma list of %s (default stock,engine,ns-linear,callback)"
                        % ", ".join(MODES))
    parser.add_argument("--hosts", help="comma list of target counts (default 1)")
    parser.add_argument("--rtt", help="comma list of round-trip times in ms (default 0)")
    parser.add_argument("--scale", action="store_true", help="also 100 and 200 targets (ns.mitogen.linear)")
    parser.add_argument("--reps", type=int, default=3, help="repetitions (default 3)")
    parser.add_argument("--steps", type=int, default=100, help="steps of the loops (default 100)")
    parser.add_argument("--transfer-mib", type=int, default=32, help="size of the big file (default 32)")
    parser.add_argument("--out", default=str(REPO / "docs" / "docsite" / "benchmarks"),
                        help="directory for results.json, results.md and the plots (default docs/docsite/benchmarks)")
    parser.add_argument("--page", default=str(REPO / "docs" / "docsite" / "rst" / "guide_benchmarks.rst"),
                        help="docs page whose generated section is rewritten ('' for none)")
    parser.add_argument("--max-minutes", type=float, default=0,
                        help="start no repetition that would end, and no run, after this many minutes; "
                        "what was measured is written (default: no limit)")
    parser.add_argument("--from-json", help="run nothing: rewrite every output from this results.json")
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds one run may take")
    args = parser.parse_args(argv)
    if args.reps < 1 or args.steps < 1 or args.transfer_mib < 1:
        raise SystemExit("bench: --reps, --steps and --transfer-mib must be >= 1")
    if args.from_json:
        old = json.loads(Path(args.from_json).read_text())
        return write_outputs(old["runs"], old["meta"], args)
    plan = make_plan(args)
    lab = Lab.from_env()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    total = sum(len(c["workloads"]) * len(c["modes"]) for c in plan) * args.reps
    meta = {"command": "./run bench " + shlex.join(argv if argv is not None else sys.argv[1:]),
            "started": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "loadavg_start": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
            "reps": args.reps, "steps": args.steps, "transfer_mib": args.transfer_mib, "plan": plan,
            "forks": "min(max(targets, 5), 50)", **versions()}
    meta["command"] = meta["command"].strip()
    print("bench: %d runs in %d condition(s); results go to %s" % (total, len(plan), out), flush=True)
    runs: list[dict] = []
    done = 0
    t_start = time.monotonic()
    deadline = t_start + args.max_minutes * 60 if args.max_minutes else None
    meta["reps_done"] = 0
    with tempfile.TemporaryDirectory(prefix="ns-mitogen-bench-") as tmp:
        workdir = Path(tmp)
        (workdir / "tmp").mkdir()
        playbooks = write_workloads(workdir, args.steps, args.transfer_mib)
        runner = Runner(lab, workdir, playbooks, args.timeout)
        current_rtt = None
        warmed: set[int] = set()
        most = max(c["hosts"] for c in plan)
        if lab.host_count() < most or not lab.info_file.exists():
            print("bench: bringing up %d lab target(s)" % most, flush=True)
            lab.up(max(most, lab.host_count()))
        rep_times: list[float] = []
        try:
            # Repetitions outermost: every (condition, workload, mode) runs once before any runs again.
            for rep in range(args.reps):
                if rep_times and deadline and time.monotonic() + max(rep_times) > deadline:
                    print("bench: --max-minutes %g reached: stopping after %d repetition(s)"
                          % (args.max_minutes, rep), flush=True)
                    break
                rep_t0 = time.monotonic()
                for cond in plan:
                    if cond["rtt"] != current_rtt:
                        lab.delay_off()
                        if cond["rtt"] > 0:
                            lab.delay_on(cond["rtt"] / 2.0, cond["rtt"] / 2.0)
                        current_rtt = cond["rtt"]
                    if cond["hosts"] not in warmed:
                        # One untimed run on new targets: their page cache and the controller's warm up.
                        runner.run("warmup", "ns-linear", cond["hosts"], must_pass=False)
                        warmed.add(cond["hosts"])
                    for workload in cond["workloads"]:
                        for mode in cond["modes"]:
                            if deadline and time.monotonic() > deadline:
                                raise TimeoutError
                            rec = runner.run(workload, mode, cond["hosts"])
                            done += 1
                            if rec is None:
                                continue
                            rec.update(rtt_ms=cond["rtt"], rep=rep + 1, steps=WORKLOADS[workload][1](args.steps))
                            runs.append(rec)
                            elapsed = time.monotonic() - t_start
                            print("[%3d/%d %4.0fs] %2d target(s) %3d ms  %-12s %-12s rep %d: %6.2f s wall, "
                                  "%5.2f s ctl CPU, %6.2f s machine CPU, %s sent/target, %g ssh login(s)" % (
                                      done, total, elapsed, cond["hosts"], cond["rtt"], workload, mode, rep + 1,
                                      rec["wall_s"], rec["controller_cpu_s"], rec["machine_cpu_s"],
                                      fmt_bytes(rec["to_bytes"]), rec["ssh_logins"])
                                  + ("" if rec["item_ms"] is None else ", first item %.2f s, %.1f ms/item" % (
                                      rec["first_item_s"], rec["item_ms"])), flush=True)
                rep_times.append(time.monotonic() - rep_t0)
                meta["reps_done"] = rep + 1
        except TimeoutError:
            meta["cut_short"] = True
            print("bench: --max-minutes %g reached during repetition %d: writing the %d run(s) measured"
                  % (args.max_minutes, meta["reps_done"] + 1, len(runs)), flush=True)
        except KeyboardInterrupt:
            if not runs:
                raise
            meta["interrupted"] = True
            print("\nbench: interrupted: writing the %d run(s) measured so far" % len(runs), flush=True)
        finally:
            lab.delay_off()
            meta["failures"] = runner.failures
    meta["finished"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    meta["duration_s"] = round(time.monotonic() - t_start)
    return write_outputs(runs, meta, args)


def write_outputs(runs: list[dict], meta: dict, args) -> int:
    """Summary, goals, JSON, markdown, plots and the page section, from the runs."""
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = summarise(runs, meta["steps"])
    goals = targets(rows)
    slope_info = slope(rows)
    data = {"meta": meta, "summary": rows, "targets": goals, "scaling": slope_info, "runs": runs}
    data_file = out / "results.json"
    data_file.write_text(json.dumps(data, indent=1) + "\n")
    (out / "results.md").write_text(markdown(rows, goals, slope_info, meta))
    images = [] if args.no_plots else plot(out, data_file)
    if args.page:
        page = Path(args.page)
        rel = [(title, os.path.relpath(out / name, page.parent)) for name, title in images]
        update_page(page, rst_section(rows, goals, slope_info, meta, rel))
    print("\nbench: medians (%d reps) in %.0f s\n" % (meta["reps_done"], meta["duration_s"]))
    body = table_rows(rows)
    widths = [max(len(c[i]) for c in [list(COLUMNS)] + body) for i in range(len(COLUMNS))]
    for row in [list(COLUMNS)] + body:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)))
    print()
    for g in goals:
        print("%-4s %s: %s (goal %s)" % ({True: "ok", False: "MISS", None: "-"}[g["met"]], g["target"],
                                         fmt(g["value"], "%.2f"), g["goal"]))
    if slope_info:
        print("scaling: %.3f s per added target (%s)" % (slope_info["seconds_per_target"], slope_info["points"]))
    print("\nbench: wrote %s, %s%s" % (data_file, out / "results.md",
                                       "" if args.no_plots else " and %d plot(s)" % len(images)))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except LabError as exc:
        print("bench: lab error: %s" % exc, file=sys.stderr)
        sys.exit(1)
