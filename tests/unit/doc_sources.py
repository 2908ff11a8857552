# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compare the option sources our plugins document with those of the installed stock plugins."""

from __future__ import annotations

import yaml


def sources(spec: dict) -> dict[str, set[str]]:
    return {kind: {e.get("name") or "%s.%s" % (e.get("section"), e.get("key")) for e in spec.get(kind) or []}
            for kind in ("vars", "env", "ini", "keyword", "cli")}


def missing_sources(ours_doc: str, stock_doc: str) -> list[str]:
    """What the stock plugin lets users set that our documentation does not (empty when in step)."""
    stock = yaml.safe_load(stock_doc)["options"]
    mine = yaml.safe_load(ours_doc)["options"]
    missing = ["option %s" % name for name in sorted(set(stock) - set(mine))]
    for name in sorted(set(stock) & set(mine)):
        for kind, names in sources(stock[name]).items():
            missing += ["%s %s %s" % (name, kind, n) for n in sorted(names - sources(mine[name])[kind])]
    return missing
