#!/usr/bin/env python
# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The README's main job: one playbook, stock Ansible and ns.mitogen, timed.

Called by `./run demo` with the environment of `./run env` and, in lab mode,
the lab's targets up.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nsmtest.lab import Lab
from nsmtest.modes import mode_env

HERE = Path(__file__).resolve().parent


def strategy_available(name: str) -> bool:
    """Whether the installed collections provide strategy `name`."""
    proc = subprocess.run(["ansible-doc", "-t", "strategy", "--json", name],
                          capture_output=True, text=True, check=False)
    return proc.returncode == 0 and name in (json.loads(proc.stdout or "{}") or {})


def run_playbook(inventory: str, steps: int, env: dict[str, str]) -> float:
    full_env = dict(os.environ, ANSIBLE_DEPRECATION_WARNINGS="False", **env)
    cmd = ["ansible-playbook", "-i", inventory, str(HERE / "demo.yml"), "-e", "steps=%d" % steps]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, env=full_env, capture_output=True, text=True, check=False)
    took = time.monotonic() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit("demo: the playbook failed (%s); its output is above" % " ".join(
            "%s=%s" % kv for kv in env.items()))
    return took


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=("lab", "local"), default="lab")
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ns-mitogen-demo-") as tmp:
        if args.mode == "lab":
            lab = Lab.from_env()
            inventory = str(lab.inventory)
            hosts = len(json.loads(lab.info_file.read_text())["hosts"])
            where = "%d lab target(s) over ssh" % hosts
        else:
            inventory = os.path.join(tmp, "inventory.ini")
            with open(inventory, "w") as fh:
                fh.write("localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
            where = "localhost (local connection)"

        print("demo: %d steps (command: hostname) on %s" % (args.steps, where), flush=True)
        print("demo: (ansible-core's deprecation warning for third-party strategies is silenced here)", flush=True)
        rows = []
        stock = run_playbook(inventory, args.steps, mode_env("stock"))
        rows.append(("stock linear, ssh pipelining", stock))
        print("  %-32s %7.1f s" % rows[-1], flush=True)
        if strategy_available("ns.mitogen.linear"):
            fast = run_playbook(inventory, args.steps, mode_env("ns-linear"))
            print("  %-32s %7.1f s" % ("ns.mitogen.linear", fast), flush=True)
            print("demo: speedup %.1fx" % (stock / fast))
        else:
            print("  %-32s %7s   (not in this version yet: the strategies come next)" % ("ns.mitogen.linear", "-"))
            print("demo: stock side only; no speedup to show until ns.mitogen.linear exists")
    return 0


if __name__ == "__main__":
    sys.exit(main())
