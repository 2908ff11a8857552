# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Regions of the guides that tests generate: checked, or rewritten with NS_MITOGEN_WRITE_DOCS=1."""

from __future__ import annotations

import os
from pathlib import Path

WRITE_ENV = "NS_MITOGEN_WRITE_DOCS"


def check_generated(guide: Path, begin: str, end: str, wanted: str, test_file: str) -> None:
    """Assert that the region from `begin` to `end` of `guide` is `wanted` (the markers included).

    With NS_MITOGEN_WRITE_DOCS set, write `wanted` there instead.
    """
    text = guide.read_text()
    start, stop = text.index(begin), text.index(end) + len(end)
    if os.environ.get(WRITE_ENV):
        guide.write_text(text[:start] + wanted + text[stop:])
        return
    assert text[start:stop] == wanted, "%s differs from its source: %s=1 pytest %s" % (guide.name, WRITE_ENV, test_file)
