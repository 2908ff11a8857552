# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ``./run`` computes (standard library only): stage results and counts, test collections, the lab's status.

    python -m nsmtest.gates record FILE NAME RC SECONDS [JUNIT]   # one stage's result
    python -m nsmtest.gates summary FILE SECONDS                  # the summary; exit 1 if a stage failed
    python -m nsmtest.gates collections WHEEL DEST                # the test collections from the ansible wheel
    python -m nsmtest.gates molecule-env < lab.json               # the lab's inventory, image and name for molecule
"""

from __future__ import annotations

import json
import shlex
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

# The collections the tests use, taken from the `ansible` wheel (no Galaxy server is reachable).
TEST_COLLECTIONS = ("community/docker/", "community/general/", "ansible/posix/",
                    "community/library_inventory_filtering_v1/")


def junit_counts(path: Path) -> tuple[int, int, int]:
    """(passed, failed, skipped) of a pytest JUnit XML file; errors count as failures."""
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    total = failed = skipped = 0
    for suite in suites:
        total += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    return total - failed - skipped, failed, skipped


def stage_counts(stage: dict) -> tuple[int, int, int]:
    """What one stage adds to the total: its tests, or one check for a gate without a finer count."""
    ok = stage["rc"] == 0
    if not stage.get("junit"):
        return (1, 0, 0) if ok else (0, 1, 0)
    if not Path(stage["junit"]).is_file():
        return 0, 1, 0
    passed, failed, skipped = junit_counts(Path(stage["junit"]))
    if not ok and failed == 0:  # a pytest run that failed without counting a failure (a collection error)
        failed = 1
    return passed, failed, skipped


def summary(stages: list[dict], seconds: int) -> tuple[str, bool]:
    """The summary ./run test prints, and whether every stage passed."""
    lines = ["", "======== summary (%ds) ========" % seconds]
    totals = [0, 0, 0]
    for stage in stages:
        if stage["rc"] == 0:
            lines.append("PASS  %s (%ds)" % (stage["name"], stage["seconds"]))
        else:
            lines.append("FAIL  %s (%ds, exit %d; log: .work/logs/%s.log)" % (
                stage["name"], stage["seconds"], stage["rc"], stage["name"]))
        totals = [a + b for a, b in zip(totals, stage_counts(stage))]
    lines.append("total: %d passed, %d failed, %d skipped" % tuple(totals))
    return "\n".join(lines), totals[1] == 0 and all(s["rc"] == 0 for s in stages)


def extract_collections(wheel: Path, dest: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        wanted = tuple("ansible_collections/" + c for c in TEST_COLLECTIONS)
        archive.extractall(dest, [n for n in archive.namelist() if n.startswith(wanted)])


def molecule_env(status: dict) -> str:
    """The shell line that gives molecule the lab's inventory, image and name."""
    if not status.get("inventory"):
        raise SystemExit("the lab is not up: ./run lab up --hosts 3 --docker first")
    return "export NSM_LAB_INVENTORY=%s NSM_LAB_IMAGE=%s NSM_LAB_NAME=%s" % tuple(
        shlex.quote(status[k]) for k in ("inventory", "docker_image", "name"))


def main(argv: list[str]) -> int:
    command, args = (argv[0], argv[1:]) if argv else ("", [])
    if command == "record" and len(args) in (4, 5):
        record = {"name": args[1], "rc": int(args[2]), "seconds": int(args[3]), "junit": (args[4:] or [""])[0]}
        with open(args[0], "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
        return 0
    if command == "summary" and len(args) == 2:
        path = Path(args[0])
        stages = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
        text, ok = summary(stages, int(args[1]))
        print(text)
        return 0 if ok else 1
    if command == "collections" and len(args) == 2:
        extract_collections(Path(args[0]), Path(args[1]))
        return 0
    if command == "molecule-env" and not args:
        print(molecule_env(json.load(sys.stdin)))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
