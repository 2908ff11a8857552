# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's command line: python -m nsmtest.lab up|down|status|delay|bytes|leftovers (as root)."""

from __future__ import annotations

import argparse
import json
import os
import sys

from nsmtest.lab import Lab
from nsmtest.lab.common import LabError, say


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="nsmtest.lab", description="The ns.mitogen test lab: real targets on one machine.")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_up = sub.add_parser("up", help="bring up targets (idempotent)")
    p_up.add_argument("--hosts", type=int, default=3)
    p_up.add_argument("--docker", action="store_true", help="also start the lab's Docker engine")
    p_down = sub.add_parser("down", help="remove everything the lab made")
    p_down.add_argument("--keep-data", action="store_true")
    sub.add_parser("status", help="print the lab's description (JSON)")
    p_delay = sub.add_parser("delay", help="delay traffic: OUT_MS [IN_MS], or off")
    p_delay.add_argument("out_ms")
    p_delay.add_argument("in_ms", nargs="?", type=float, default=0.0)
    sub.add_parser("bytes", help="print byte/packet counters per target (JSON)")
    sub.add_parser("leftovers", help="list what of the lab still exists; exit 1 if anything")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        raise LabError("the lab needs root (network namespaces, mounts): run it as root or with sudo")
    lab = Lab.from_env()
    if args.cmd == "up":
        took = lab.up(args.hosts, docker=args.docker)
        say("%d target(s) ready in %.1fs; inventory: %s" % (args.hosts, took, lab.inventory))
    elif args.cmd == "down":
        lab.down(keep_data=args.keep_data)
        say("down")
    elif args.cmd == "status":
        print(lab.info_file.read_text() if lab.info_file.exists() else "{}")
    elif args.cmd == "delay":
        if args.out_ms == "off":
            lab.delay_off()
        else:
            lab.delay_on(float(args.out_ms), args.in_ms)
    elif args.cmd == "bytes":
        print(json.dumps(lab.counters(), indent=2))
    elif args.cmd == "leftovers":
        found = lab.leftovers()
        print("\n".join(found))
        return 1 if found else 0
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except LabError as exc:
        print("lab: error: %s" % exc, file=sys.stderr)
        sys.exit(1)
