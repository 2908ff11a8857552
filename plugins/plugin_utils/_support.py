# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ns.mitogen supports, in one place, and the check that enforces it.

Private to the collection: not a public API. The ranges here must agree with
``meta/runtime.yml`` (ansible-core) and ``requirements.txt`` (mitogen); a unit
test keeps them in step.
"""

from __future__ import annotations

import json
import re
from importlib import metadata
from pathlib import Path

# Half-open ranges [lower, upper) of release numbers.
ANSIBLE_CORE_RANGE = ((2, 19), (2, 22))  # each release verified by ./run matrix
MITOGEN_RANGE = ((0, 3, 54), (0, 4))


def parse_version(text: str) -> tuple[int, ...]:
    """The leading numeric release of a version string: '2.21.0rc1' -> (2, 21, 0)."""
    numbers = []
    for part in text.strip().split("."):
        match = re.match(r"\d+", part)
        if not match:
            break
        numbers.append(int(match.group()))
        if match.end() != len(part):
            break
    if not numbers:
        raise ValueError("not a version: %r" % text)
    return tuple(numbers)


def in_range(version: tuple[int, ...], bounds: tuple[tuple[int, ...], tuple[int, ...]]) -> bool:
    lower, upper = bounds
    return lower <= version < upper


def spec(bounds: tuple[tuple[int, ...], tuple[int, ...]]) -> str:
    """A pip requirement specifier for a range: '>=0.3.54,<0.4'."""
    return ">=%s,<%s" % tuple(".".join(map(str, b)) for b in bounds)


def installed_version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def check_mitogen(mitogen: str | None) -> str | None:
    """One line saying what to do when the engine is missing or outside its range, else None."""
    want = spec(MITOGEN_RANGE)
    if mitogen is None:
        return ("ns.mitogen needs the Python package 'mitogen' on the controller: "
                "pip install 'mitogen%s' in the Python environment that runs ansible" % want)
    if not in_range(parse_version(mitogen), MITOGEN_RANGE):
        return ("ns.mitogen supports mitogen %s but found %s: "
                "pip install 'mitogen%s' in the Python environment that runs ansible" % (want, mitogen, want))
    return None


def check_ansible_core(ansible_core: str | None) -> str | None:
    """One line saying what to do when ansible-core is outside its range, else None."""
    if ansible_core is not None and not in_range(parse_version(ansible_core), ANSIBLE_CORE_RANGE):
        return ("ns.mitogen supports ansible-core %s but found %s: install a supported ansible-core "
                "(pip install 'ansible-core%s') or run this play with a stock strategy"
                % (spec(ANSIBLE_CORE_RANGE), ansible_core, spec(ANSIBLE_CORE_RANGE)))
    return None


def check(ansible_core: str | None, mitogen: str | None) -> str | None:
    """One line saying what to do when the controller is outside the supported ranges, else None."""
    return check_mitogen(mitogen) or check_ansible_core(ansible_core)


def check_controller() -> str | None:
    """check() for the running ansible-core and the mitogen installed beside it."""
    from ansible.release import __version__ as ansible_core

    return check(ansible_core, installed_version("mitogen"))


# What the setup role checks beyond the two ranges above.
CONTROLLER_PYTHON_MIN = (3, 12)  # the oldest controller Python the matrix verifies (2.20 and 2.21 need it)
TARGET_PYTHON_MIN = (3, 9)  # the module floor of ansible-core 2.20 and 2.21; the oldest target Python tested
STRATEGY_DEPRECATION_SINCE = (2, 19)  # ansible-core warns about every non-builtin strategy from here


def controller_report(ansible_core: str, python: str, mitogen: str | None, deprecation_warnings: bool,
                      collection_version: str | None) -> dict:
    """What the setup role reports about the controller: versions, one-line problems and warnings."""
    problems = []
    warnings = []
    if parse_version(python) < CONTROLLER_PYTHON_MIN:
        minimum = ".".join(map(str, CONTROLLER_PYTHON_MIN))
        problems.append("the controller runs Python %s but ns.mitogen (with ansible-core %s) supports Python >= %s: "
                        "run ansible from a Python >= %s environment" % (python, ansible_core, minimum, minimum))
    for line in (check_ansible_core(ansible_core), check_mitogen(mitogen)):
        if line:
            problems.append(line)
    if deprecation_warnings and parse_version(ansible_core) >= STRATEGY_DEPRECATION_SINCE:
        warnings.append("ansible-core %s prints a deprecation warning for every strategy outside ansible.builtin, "
                        "ns.mitogen's included; it changes nothing: set deprecation_warnings = False in [defaults] "
                        "of ansible.cfg to silence it (and every other deprecation warning)" % ansible_core)
    return {
        "ready": not problems,
        "ansible_core": ansible_core,
        "ansible_core_supported": spec(ANSIBLE_CORE_RANGE),
        "python": python,
        "python_supported": ">=%s" % ".".join(map(str, CONTROLLER_PYTHON_MIN)),
        "mitogen": mitogen,
        "mitogen_supported": spec(MITOGEN_RANGE),
        "collection": collection_version,
        "deprecation_warnings": bool(deprecation_warnings),
        "target_python_min": ".".join(map(str, TARGET_PYTHON_MIN)),
        "problems": problems,
        "warnings": warnings,
    }


def collection_version(root: Path) -> str | None:
    """The version of the collection installed at root (MANIFEST.json), or of a checkout (galaxy.yml)."""
    manifest = root / "MANIFEST.json"
    if manifest.is_file():
        return json.loads(manifest.read_text())["collection_info"]["version"]
    galaxy = root / "galaxy.yml"
    if galaxy.is_file():
        match = re.search(r"^version:\s*['\"]?([^'\"\s]+)", galaxy.read_text(), flags=re.M)
        if match:
            return match.group(1)
    return None


def controller_report_now() -> dict:
    """controller_report() for the running controller."""
    import sys

    from ansible import constants as C
    from ansible.release import __version__ as ansible_core

    return controller_report(
        ansible_core,
        "%d.%d.%d" % sys.version_info[:3],
        installed_version("mitogen"),
        C.config.get_config_value("DEPRECATION_WARNINGS"),
        collection_version(Path(__file__).resolve().parents[2]),
    )
