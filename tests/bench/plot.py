#!/usr/bin/env python
# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PNG plots of a bench results.json: `plot.py RESULTS.json OUTDIR`.

Runs with a Python that has matplotlib (bench.py makes one); prints one line
per plot written: file name, a tab, its title.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  pylint: disable=wrong-import-position

ORDER = ["stock", "stock-nopipe", "engine", "ns-linear", "ns-free", "callback"]
COLOURS = {"stock": "#b0413e", "stock-nopipe": "#e39b7b", "engine": "#6b7fb3", "ns-linear": "#2f8f5b",
           "ns-free": "#7cc49a", "callback": "#d9a441"}


def pick(rows, **kw):
    return [r for r in rows if all(r[k] == v for k, v in kw.items())]


def save(fig, out: Path, name: str, title: str) -> None:
    fig.tight_layout()
    fig.savefig(out / name, dpi=90)
    plt.close(fig)
    print("%s\t%s" % (name, title))


def loop_bars(rows, out: Path) -> None:
    """loop-100 on 1 target: wall and machine CPU per mode, with the controller floor."""
    for rtt in sorted({r["rtt_ms"] for r in rows}):
        sel = sorted(pick(rows, workload="loop-100", hosts=1, rtt_ms=rtt), key=lambda r: ORDER.index(r["mode"]))
        if not sel:
            continue
        fig, ax = plt.subplots(figsize=(7, 3.6))
        x = range(len(sel))
        ax.bar([i - 0.2 for i in x], [r["wall_s"] for r in sel], 0.4, label="wall",
               color=[COLOURS[r["mode"]] for r in sel])
        ax.bar([i + 0.2 for i in x], [r["machine_cpu_s"] for r in sel], 0.4, label="machine CPU",
               color=[COLOURS[r["mode"]] for r in sel], alpha=0.45, hatch="//")
        floor = pick(rows, workload="floor", mode="stock", hosts=1, rtt_ms=rtt)
        if floor:
            ax.axhline(floor[0]["wall_s"], color="black", linestyle="--", linewidth=1, label="controller floor")
        ax.set_xticks(list(x), [r["mode"] for r in sel])
        ax.set_ylabel("seconds (median)")
        title = "loop of %d steps, 1 target, %d ms RTT" % (sel[0]["steps"], rtt)
        ax.set_title(title)
        ax.legend(fontsize=8)
        save(fig, out, "loop-1-target-%dms.png" % rtt, title)


def workload_bars(rows, out: Path) -> None:
    """Every workload on 1 target at 0 ms: wall per mode (log scale)."""
    sel = pick(rows, hosts=1, rtt_ms=0)
    workloads = list(dict.fromkeys(r["workload"] for r in sel))
    modes = [m for m in ORDER if any(r["mode"] == m for r in sel)]
    if len(workloads) < 2:
        return
    fig, ax = plt.subplots(figsize=(8, 3.8))
    width = 0.8 / len(modes)
    for j, mode in enumerate(modes):
        xs, ys = [], []
        for i, wl in enumerate(workloads):
            r = pick(sel, workload=wl, mode=mode)
            if r:
                xs.append(i - 0.4 + width * (j + 0.5))
                ys.append(r[0]["wall_s"])
        ax.bar(xs, ys, width, label=mode, color=COLOURS[mode])
    ax.set_xticks(range(len(workloads)), workloads)
    ax.set_yscale("log")
    ax.set_ylabel("wall seconds (median, log)")
    title = "workloads, 1 target, 0 ms RTT"
    ax.set_title(title)
    ax.legend(fontsize=8, ncol=3)
    save(fig, out, "workloads-1-target.png", title)


def bytes_bars(rows, out: Path) -> None:
    sel = sorted(pick(rows, workload="loop-100", hosts=1, rtt_ms=0), key=lambda r: ORDER.index(r["mode"]))
    if not sel:
        return
    fig, ax = plt.subplots(figsize=(7, 3.4))
    x = range(len(sel))
    ax.bar([i - 0.2 for i in x], [r["to_bytes"] / 1e6 for r in sel], 0.4, label="sent to target", color="#555")
    ax.bar([i + 0.2 for i in x], [r["from_bytes"] / 1e6 for r in sel], 0.4, label="received", color="#aaa")
    ax.set_xticks(list(x), [r["mode"] for r in sel])
    ax.set_yscale("log")
    ax.set_ylabel("MB per target (log)")
    title = "bytes on the wire, loop of %d steps, 1 target" % sel[0]["steps"]
    ax.set_title(title)
    ax.legend(fontsize=8)
    save(fig, out, "bytes-1-target.png", title)


def scaling(rows, out: Path) -> None:
    sel = pick(rows, workload="loop-100", rtt_ms=0)
    if len({r["hosts"] for r in sel}) < 2:
        return
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for mode in ORDER:
        pts = sorted((r["hosts"], r["wall_s"]) for r in sel if r["mode"] == mode)
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=mode, color=COLOURS[mode])
    ax.set_xlabel("targets")
    ax.set_ylabel("wall seconds (median)")
    title = "loop of %d steps by number of targets, 0 ms RTT" % sel[0]["steps"]
    ax.set_title(title)
    ax.legend(fontsize=8)
    save(fig, out, "scaling.png", title)


def main() -> int:
    data = json.loads(Path(sys.argv[1]).read_text())
    out = Path(sys.argv[2])
    for old in out.glob("*.png"):
        old.unlink()
    rows = data["summary"]
    loop_bars(rows, out)
    workload_bars(rows, out)
    bytes_bars(rows, out)
    scaling(rows, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
