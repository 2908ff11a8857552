# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The benchmark harness on a tiny selection, so that `./run bench` cannot rot (no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from nsmtest import python_env

REPO = Path(__file__).resolve().parents[3]
BENCH = REPO / "tests" / "bench" / "bench.py"
PAGE = REPO / "docs" / "docsite" / "rst" / "guide_benchmarks.rst"

METRICS = ("wall_s", "controller_cpu_s", "machine_cpu_s", "to_bytes", "from_bytes", "to_packets", "from_packets",
           "ssh_logins", "peak_rss_mb")


def test_tiny_bench_writes_every_metric(lab, tmp_path):
    page = tmp_path / "page.rst"
    page.write_text(PAGE.read_text())
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--workloads", "loop-100,floor", "--modes", "stock,ns-linear", "--hosts", "1",
         "--reps", "1", "--steps", "3", "--out", str(out), "--page", str(page)],
        env=python_env(), capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "[  4/4" in proc.stdout  # progress, one line per run

    data = json.loads((out / "results.json").read_text())
    assert {(r["workload"], r["mode"]) for r in data["runs"]} == {
        (w, m) for w in ("loop-100", "floor") for m in ("stock", "ns-linear")}
    for run in data["runs"]:
        assert all(run[m] is not None for m in METRICS), run
        assert run["wall_s"] > 0 and run["controller_cpu_s"] > 0 and run["machine_cpu_s"] > 0, run
        assert run["hosts"] == 1 and run["rtt_ms"] == 0 and run["steps"] == 3
        assert list(run["per_target"]) == [lab["hosts"][0]["name"]]
    by = {(r["workload"], r["mode"]): r for r in data["runs"]}
    # The command loop reached the target over one SSH login each; the stock floor never connects.
    for mode in ("stock", "ns-linear"):
        assert by["loop-100", mode]["ssh_logins"] == 1
        assert by["loop-100", mode]["to_bytes"] > 10_000 and by["loop-100", mode]["peak_rss_mb"] > 1
    assert by["floor", "stock"]["ssh_logins"] == 0
    # Item timing of the loop: the first item (connection included) and the time per item after it.
    for run in data["runs"]:
        assert run["first_item_s"] > 0 and run["item_ms"] > 0, run
        assert run["first_item_s"] + run["item_ms"] * 2 / 1000 < run["wall_s"], run
    assert by["floor", "stock"]["to_bytes"] < 5_000

    rows = {(r["workload"], r["mode"]): r for r in data["summary"]}
    assert rows["loop-100", "stock"]["speedup_vs_stock"] == 1.0
    assert rows["loop-100", "ns-linear"]["vs_floor"] is not None
    assert any(t["target"].startswith("stock / ns.mitogen.linear wall") and t["value"] for t in data["targets"])

    # One go writes the docs: the markdown table, the plots and the page's generated section.
    assert "| loop-100 | ns-linear | 1 | 0 ms |" in (out / "results.md").read_text()
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert "loop-1-target-0ms.png" in pngs and "bytes-1-target.png" in pngs
    text = page.read_text()
    assert text.count(".. image:: ") == len(pngs)
    generated = text.split(".. BEGIN GENERATED")[1].split(".. END GENERATED")[0]
    assert "   * - loop-100\n     - ns-linear" in generated
    assert text.split(".. END GENERATED")[1] == PAGE.read_text().split(".. END GENERATED")[1]
