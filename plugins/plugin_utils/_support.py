# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ns.mitogen supports, in one place, and the check that enforces it.

Private to the collection: not a public API. The ranges here must agree with
``meta/runtime.yml`` (ansible-core) and ``requirements.txt`` (mitogen); a unit
test keeps them in step.
"""

from __future__ import annotations

import re
from importlib import metadata

# Half-open ranges [lower, upper) of release numbers.
ANSIBLE_CORE_RANGE = ((2, 21), (2, 22))
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


def check(ansible_core: str | None, mitogen: str | None) -> str | None:
    """One line saying what to do when the controller is outside the supported ranges, else None."""
    want = spec(MITOGEN_RANGE)
    if mitogen is None:
        return ("ns.mitogen needs the Python package 'mitogen' on the controller: "
                "pip install 'mitogen%s' in the Python environment that runs ansible" % want)
    if not in_range(parse_version(mitogen), MITOGEN_RANGE):
        return ("ns.mitogen supports mitogen %s but found %s: "
                "pip install 'mitogen%s' in the Python environment that runs ansible" % (want, mitogen, want))
    if ansible_core is not None and not in_range(parse_version(ansible_core), ANSIBLE_CORE_RANGE):
        return ("ns.mitogen supports ansible-core %s but found %s: install a supported ansible-core "
                "(pip install 'ansible-core%s') or run this play with a stock strategy"
                % (spec(ANSIBLE_CORE_RANGE), ansible_core, spec(ANSIBLE_CORE_RANGE)))
    return None


def check_controller() -> str | None:
    """check() for the running ansible-core and the mitogen installed beside it."""
    from ansible.release import __version__ as ansible_core

    return check(ansible_core, installed_version("mitogen"))
