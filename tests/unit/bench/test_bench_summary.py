# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bench's arithmetic: medians, ratios, round trips per step, goals and the scaling slope."""

from __future__ import annotations

import pytest
from bench import bench


def run(workload, mode, wall, hosts=1, rtt=0, sent=1000):
    return {"workload": workload, "mode": mode, "hosts": hosts, "rtt_ms": rtt, "steps": 100, "wall_s": wall,
            "controller_cpu_s": wall / 2, "machine_cpu_s": wall, "to_bytes": sent, "from_bytes": 10,
            "to_packets": 1, "from_packets": 1, "ssh_logins": 1, "peak_rss_mb": 50.0}


def test_summary_medians_ratios_and_round_trips():
    runs = [run("loop-100", "stock", w, sent=12_000_000) for w in (18.0, 17.0, 30.0)]
    runs += [run("loop-100", "ns-linear", w, sent=200_000) for w in (3.0, 2.5, 2.9)]
    runs += [run("floor", "stock", 2.4), run("loop-100", "ns-linear", 5.4, rtt=20), run("floor", "stock", 2.4, rtt=20)]
    rows = {(r["workload"], r["mode"], r["rtt_ms"]): r for r in bench.summarise(runs, 100)}
    stock, fast = rows["loop-100", "stock", 0], rows["loop-100", "ns-linear", 0]
    assert (stock["wall_s"], stock["reps"], stock["wall_max_s"]) == (18.0, 3, 30.0)  # the median, not the mean
    assert fast["speedup_vs_stock"] == 6.21 and fast["vs_floor"] == 1.21
    # 20 ms: 2.5 s more than at 0 ms over 100 steps of 20 ms = 1.25 round trips per step.
    assert rows["loop-100", "ns-linear", 20]["round_trips_per_step"] == 1.25
    assert rows["floor", "stock", 20]["round_trips_per_step"] is None

    goals = {g["target"]: g for g in bench.targets(list(rows.values()))}
    assert goals["stock / ns.mitogen.linear wall, loop-100, 1 target, 0 ms"]["met"] is True
    assert goals["stock / ns.mitogen.linear bytes sent to the target, loop-100, 1 target, 0 ms"]["value"] == 60.0
    assert goals["ns.mitogen.linear / controller floor wall, loop-100, 1 target, 0 ms"]["met"] is True
    limit = [g for name, g in goals.items() if name.startswith("ns.mitogen.linear wall, loop-100, 1 target, 20 ms")]
    assert limit[0]["goal"] == "<= 4.6" and limit[0]["met"] is False  # 2.4 + 1.1 x 100 x 0.02
    assert goals["stock / ns.mitogen.linear wall, loop-100, 1 target, 20 ms"]["met"] is None  # not run


def test_slope_is_seconds_per_added_target():
    rows = [{"workload": "loop-100", "mode": "ns-linear", "rtt_ms": 0, "hosts": h, "wall_s": 3.0 + 0.5 * h}
            for h in (1, 10, 50)]
    info = bench.slope(rows)
    assert info["seconds_per_target"] == 0.5 and info["intercept_s"] == 3.0
    assert bench.slope(rows[:1]) is None


def test_selections_are_checked():
    args = bench.argparse.Namespace(profile="custom", workloads="loop-100,nope", modes=None, hosts=None, rtt=None,
                                    scale=False)
    with pytest.raises(SystemExit, match="unknown workload 'nope'"):
        bench.make_plan(args)
    args.workloads, args.hosts, args.rtt, args.scale = None, "1,10", "0,20", True
    plan = bench.make_plan(args)
    assert [(c["hosts"], c["rtt"]) for c in plan] == [(1, 0), (10, 0), (1, 20), (10, 20), (100, 0), (200, 0)]
