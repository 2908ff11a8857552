# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine boundary: the only module of the collection that imports ``ansible_mitogen``.

Private: not a public API. It gives the other modules

* the engine's modules (``connection``, ``planner``, ...), or None when the
  engine cannot be imported, and ``controller_problem()``, the one line that
  says so;
* the engine classes our plugins derive from (``EngineStrategyMixin``,
  ``SshConnection``, ``LocalConnection``, ``DockerConnection``), or stand-ins
  that refuse to start with that line when the engine is missing;
* ``Patch``: one named runtime replacement of an engine attribute, and
  ``shape_problem()``, which checks before a play that the attribute a patch
  replaces still exists and looks as the patch expects.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
from typing import Any, Callable

from ansible.errors import AnsibleError
from ansible.plugins.connection import ConnectionBase

from ansible_collections.ns.mitogen.plugins.plugin_utils import _support

try:
    # loaders is for the other seam modules
    from ansible_mitogen import (  # pylint: disable=unused-import
        connection, loaders, mixins, planner, process, services, strategy, target, transport_config)
except ImportError as exc:  # reported when a play starts, never at import
    connection = loaders = mixins = planner = process = services = strategy = target = transport_config = None
    ENGINE_IMPORT_ERROR: Exception | None = exc
else:
    ENGINE_IMPORT_ERROR = None

MODULES = {
    "ansible_mitogen.connection": connection,
    "ansible_mitogen.mixins": mixins,
    "ansible_mitogen.planner": planner,
    "ansible_mitogen.process": process,
    "ansible_mitogen.services": services,
    "ansible_mitogen.strategy": strategy,
    "ansible_mitogen.target": target,
    "ansible_mitogen.transport_config": transport_config,
}


def controller_problem() -> str | None:
    """One line saying what stops the engine from running here, or None."""
    problem = _support.check_controller()
    if problem is None and ENGINE_IMPORT_ERROR is not None:
        problem = "ns.mitogen could not load the Mitogen engine (%s): reinstall it with pip install 'mitogen%s'" % (
            ENGINE_IMPORT_ERROR, _support.spec(_support.MITOGEN_RANGE))
    return problem


def check_controller() -> None:
    """Raise controller_problem() as an AnsibleError, if there is one."""
    problem = controller_problem()
    if problem is not None:
        raise AnsibleError(problem)


def engine_running() -> bool:
    """Whether a play over Mitogen runs in this process (the engine's worker model is up)."""
    return process is not None and process._worker_model is not None  # pylint: disable=protected-access


# --------------------------------------------------------------------------
# The engine's classes that ns.mitogen's plugins derive from, or stand-ins.

class _StandInStrategy:
    """Stands in for the engine's strategy mix-in when the engine cannot be imported."""

    def __init__(self, *args, **kwargs):  # pylint: disable=unused-argument
        check_controller()
        raise AnsibleError("ns.mitogen: the Mitogen engine is unavailable")


class _StandInConnection(ConnectionBase):  # pylint: disable=abstract-method
    """Stands in for the engine's connection classes when the engine cannot be imported."""

    transport = "ns.mitogen"
    _connect = exec_command = put_file = fetch_file = close = None

    def __init__(self, *args, **kwargs):  # pylint: disable=super-init-not-called,unused-argument
        check_controller()
        raise AnsibleError("ns.mitogen: the Mitogen engine is unavailable")


def _engine_connection(kind: str) -> type:
    if ENGINE_IMPORT_ERROR is not None:
        return _StandInConnection
    return importlib.import_module("ansible_mitogen.plugins.connection.mitogen_" + kind).Connection


EngineStrategyMixin: type = _StandInStrategy if strategy is None else strategy.StrategyMixin
SshConnection = _engine_connection("ssh")
LocalConnection = _engine_connection("local")
DockerConnection = _engine_connection("docker")


# --------------------------------------------------------------------------
# Patches: named runtime replacements of engine attributes.

_TARGET = re.compile(r"^(?P<path>[A-Za-z_][\w.]*)(?:\['(?P<key>[^']+)'\])?$")


@dataclasses.dataclass(frozen=True)
class Patch:
    """One fix to the engine: a replacement of one engine attribute for the length of a play.

    ``target`` names the engine symbol (``ansible_mitogen.planner.invoke``), or one
    entry of an engine dict (``ansible_mitogen.connection.CONNECTION_METHOD['ssh']``).
    ``make(original)`` returns the replacement. ``shape`` is what the original must
    look like: the names of its parameters, or the type of its value.
    """

    name: str
    target: str
    why: str
    test: str
    make: Callable[[Any], Any]
    shape: tuple[str, ...] | type

    def __post_init__(self) -> None:
        if not _TARGET.match(self.target) or not self.target.startswith(tuple(MODULES)):
            raise ValueError("patch %s: not an engine symbol: %r" % (self.name, self.target))


def _locate(target: str) -> tuple[Any, str, str | None]:
    """(owner, attribute, dict key or None) of a patch target, as the engine is now."""
    match = _TARGET.match(target)
    path, key = match.group("path"), match.group("key")
    module_name = max((m for m in MODULES if path.startswith(m + ".")), key=len)
    owner = MODULES[module_name]
    names = path[len(module_name) + 1:].split(".")
    for name in names[:-1]:
        owner = getattr(owner, name)
    return owner, names[-1], key


def _current(target: str) -> Any:
    owner, attribute, key = _locate(target)
    value = getattr(owner, attribute)
    return value if key is None else value[key]


def _parameters(value) -> tuple[str, ...] | None:
    try:
        return tuple(inspect.signature(value).parameters)
    except (TypeError, ValueError):
        return None


def shape_problem(patch: Patch) -> str | None:
    """Why the engine does not have what `patch` replaces (one line), or None."""
    try:
        value = _current(patch.target)
    except (AttributeError, KeyError, TypeError):
        found = "has no %s" % patch.target
    else:
        if isinstance(patch.shape, type):
            if isinstance(value, patch.shape):
                return None
            found = "has a %s as %s, where ns.mitogen expects a %s" % (
                type(value).__name__, patch.target, patch.shape.__name__)
        else:
            parameters = _parameters(value) if callable(value) else None
            if parameters == patch.shape:
                return None
            found = "has %s(%s), where ns.mitogen expects (%s)" % (
                patch.target, ", ".join(parameters or ()), ", ".join(patch.shape))
    return ("ns.mitogen: the Mitogen engine (mitogen %s) %s, which ns.mitogen's patch %s replaces: "
            "install mitogen%s, the range ns.mitogen is tested with, or run this play with a stock strategy"
            % (_support.installed_version("mitogen"), found, patch.name, _support.spec(_support.MITOGEN_RANGE)))


class Installed:
    """Patches installed in order, removed in the reverse order."""

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []

    def install(self, patch: Patch) -> None:
        owner, attribute, key = _locate(patch.target)
        if key is not None:
            table = getattr(owner, attribute)
            had, saved = key in table, table.get(key)
            table[key] = patch.make(table[key])
            self._undo.append(lambda: table.__setitem__(key, saved) if had else table.pop(key, None))
            return
        had_own = attribute in vars(owner)
        saved = getattr(owner, attribute)
        setattr(owner, attribute, patch.make(saved))
        self._undo.append(lambda: setattr(owner, attribute, saved) if had_own else delattr(owner, attribute))

    def remove_all(self) -> None:
        while self._undo:
            self._undo.pop()()
