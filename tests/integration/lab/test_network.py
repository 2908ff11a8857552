# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Latency injection and per-target byte counters, which the benchmarks rely on."""

from __future__ import annotations

import re
import subprocess

from nsmtest.ansible_run import ansible_env


def mean_rtt_ms(ip: str) -> float:
    # -U: user-to-user time; kernel timestamps would hide the inbound delay.
    out = subprocess.run(["ping", "-U", "-c", "5", "-i", "0.2", "-q", ip], capture_output=True, text=True,
                         check=True).stdout
    return float(re.search(r"= [\d.]+/([\d.]+)/", out).group(1))


def test_latency_injection_sets_the_round_trip_time(lab):
    ip = lab["hosts"][0]["ip"]
    instance = lab["lab"]
    assert mean_rtt_ms(ip) < 5
    instance.delay_on(10, 10)
    try:
        assert 19 <= mean_rtt_ms(ip) <= 35
    finally:
        instance.delay_off()
    assert mean_rtt_ms(ip) < 5


def test_byte_counters_see_one_targets_traffic(lab, inventory):
    instance = lab["lab"]
    t1, t2 = lab["hosts"][0]["name"], lab["hosts"][1]["name"]
    before = instance.counters()
    subprocess.run(["ansible", t1, "-i", inventory, "-m", "ansible.builtin.ping"], env=ansible_env(),
                   capture_output=True, check=True)
    after = instance.counters()
    sent = after[t1]["to_bytes"] - before[t1]["to_bytes"]
    received = after[t1]["from_bytes"] - before[t1]["from_bytes"]
    # An ssh login plus a module upload is tens of kilobytes each way.
    assert sent > 10_000 and received > 2_000, (sent, received)
    assert after[t1]["to_packets"] > before[t1]["to_packets"]
    # Nothing was sent to the other target (neighbour discovery at most).
    assert after[t2]["to_bytes"] - before[t2]["to_bytes"] < 1_000
