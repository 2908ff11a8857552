# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The table of ``./run matrix``: one cell per run, the table written into the docs.

    matrix_table.py cell JUNIT_XML EXIT_CODE
    matrix_table.py table DOC MITOGEN_VERSION [PYTHON CORE CELL]...
"""

from __future__ import annotations

import datetime
import re
import sys
import xml.etree.ElementTree as ET

BEGIN, END = ".. matrix-begin", ".. matrix-end"


def cell(junit: str, rc: int) -> str:
    """'pass (N tests)' or 'FAIL (F of N)' for one pytest run."""
    try:
        root = ET.parse(junit).getroot()
    except (OSError, ET.ParseError):
        return "FAIL (no result)"
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    total = sum(int(s.get("tests", 0)) for s in suites)
    failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    skipped = sum(int(s.get("skipped", 0)) for s in suites)
    if rc == 0 and failed == 0 and total > 0:
        return "pass (%d tests%s)" % (total - skipped, ", %d skipped" % skipped if skipped else "")
    return "FAIL (%d of %d)" % (failed, total)


def table(mitogen: str, cells: list[tuple[str, str, str]]) -> list[str]:
    """An RST simple table: ansible-core rows, controller Python columns."""
    pythons = list(dict.fromkeys(c[0] for c in cells))
    cores = list(dict.fromkeys(c[1] for c in cells))
    found = {(py, core): text for py, core, text in cells}
    header = ["ansible-core"] + ["Python %s" % py for py in pythons]
    rows = [[core] + [found.get((py, core), "not run") for py in pythons] for core in cores]
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    rule = " ".join("=" * w for w in widths)

    def line(row):
        return " ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip()

    day = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    return (["Latest results of ``./run matrix`` (%s, mitogen %s, the smoke of ``tests/integration/compat``):"
             % (day, mitogen), "", rule, line(header), rule] + [line(r) for r in rows] + [rule])


def write(doc: str, lines: list[str]) -> None:
    with open(doc, encoding="utf-8") as fh:
        text = fh.read()
    pattern = re.compile(r"(%s\n).*?(\n%s)" % (re.escape(BEGIN), re.escape(END)), re.S)
    if not pattern.search(text):
        raise SystemExit("%s has no '%s' ... '%s' block for the table" % (doc, BEGIN, END))
    text = pattern.sub(lambda m: m.group(1) + "\n" + "\n".join(lines) + "\n" + m.group(2), text)
    with open(doc, "w", encoding="utf-8") as fh:
        fh.write(text)


def main(argv: list[str]) -> int:
    if argv[:1] == ["cell"] and len(argv) == 3:
        print(cell(argv[1], int(argv[2])))
        return 0
    if argv[:1] == ["table"] and len(argv) >= 3 and (len(argv) - 3) % 3 == 0:
        cells = [tuple(argv[i:i + 3]) for i in range(3, len(argv), 3)]
        lines = table(argv[2], cells)
        write(argv[1], lines)
        print("\n".join(lines))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
