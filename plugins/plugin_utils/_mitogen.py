# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The seam between ns.mitogen and the Mitogen engine.

This is the only module of the collection that imports ``ansible_mitogen``
internals, and it holds the collection's fixes to the engine's gaps, so that an
engine upgrade touches one file. Private: not a public API.

Every fix is a ``Replace``: installed when an ns.mitogen strategy starts a play
and removed when the play ends, so that plays under stock strategies in the
same run see stock Ansible. Forked workers and the engine's connection
multiplexer inherit what is installed when they start.
"""

from __future__ import annotations

import configparser
import os
import re

from ansible import constants as C
from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import strategy_loader

from ansible_collections.ns.mitogen.plugins.plugin_utils import _support

try:
    import ansible_mitogen.connection as _connection
    import ansible_mitogen.loaders as _loaders
    import ansible_mitogen.planner as _planner
    import ansible_mitogen.strategy as _engine_strategy
    import ansible_mitogen.transport_config as _transport_config
except ImportError as exc:  # reported when a play starts, never at import
    _connection = _loaders = _planner = _engine_strategy = _transport_config = None
    ENGINE_IMPORT_ERROR: Exception | None = exc
else:
    ENGINE_IMPORT_ERROR = None


def controller_problem() -> str | None:
    """One line saying what stops the engine from running here, or None."""
    problem = _support.check_controller()
    if problem is None and ENGINE_IMPORT_ERROR is not None:
        problem = "ns.mitogen could not load the Mitogen engine (%s): reinstall it with pip install 'mitogen%s'" % (
            ENGINE_IMPORT_ERROR, _support.spec(_support.MITOGEN_RANGE))
    return problem


class Replace:
    """Replace attribute `name` of `owner` while installed.

    With factory=True the new value is value(original), for wrappers.
    """

    def __init__(self, owner, name: str, value, factory: bool = False) -> None:
        self.owner, self.name, self.value, self.factory = owner, name, value, factory
        self.saved = self.had_own = None

    def install(self) -> None:
        self.had_own = self.name in vars(self.owner)
        self.saved = getattr(self.owner, self.name)
        setattr(self.owner, self.name, self.value(self.saved) if self.factory else self.value)

    def remove(self) -> None:
        if self.had_own:
            setattr(self.owner, self.name, self.saved)
        else:
            delattr(self.owner, self.name)


# --------------------------------------------------------------------------
# Names: any spelling of a plugin the engine implements maps to the engine's
# short name ("ssh", "sudo", ...). The engine itself compares plain strings.

# Fully qualified names the engine knows by a short name; also used when the
# named collection is not installed.
ENGINE_ALIASES = {
    "ansible.builtin.ssh": "ssh",
    "ansible.builtin.local": "local",
    "ansible.builtin.sudo": "sudo",
    "ansible.builtin.su": "su",
    "community.general.doas": "doas",
    "community.docker.docker": "docker",
    "containers.podman.podman": "podman",
    "containers.podman.buildah": "buildah",
    "kubernetes.core.kubectl": "kubectl",
    "community.general.jail": "jail",
    "community.general.lxc": "lxc",
    "community.general.lxd": "lxd",
    "community.general.machinectl": "machinectl",
    "ns.mitogen.ssh": "ssh",
    "ns.mitogen.local": "local",
    "ns.mitogen.docker": "docker",
    "ns.mitogen.sudo": "sudo",
    "ns.mitogen.su": "su",
    "ns.mitogen.doas": "doas",
}

_resolved: dict[tuple[str, str], str | None] = {}


def _resolve(loader, name: str) -> str | None:
    """The FQCN that `name` resolves to (redirects followed), or None."""
    key = (loader.package, name)
    if key not in _resolved:
        try:
            found = loader.find_plugin_with_context(name)
            _resolved[key] = found.resolved_fqcn if found.resolved else None
        except Exception:  # pylint: disable=broad-except  # unresolvable means "not ours"
            _resolved[key] = None
    return _resolved[key]


def _short(name: str) -> str:
    for prefix in ("ansible.builtin.", "ansible.legacy."):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def name_candidates(name: str, loaders) -> list[str]:
    """Names the engine may know `name` by, most specific first."""
    found = [name, _short(name), ENGINE_ALIASES.get(name)]
    for loader in loaders:
        fqcn = _resolve(loader, name)
        if fqcn:
            found += [fqcn, _short(fqcn), ENGINE_ALIASES.get(fqcn)]
    return [n for n in found if n]


def engine_connection(name) -> str | None:
    """The engine's short name for connection `name` when the engine redirects it, else None."""
    if not isinstance(name, str) or not name or name.startswith("mitogen_"):
        return None
    fqcn = _resolve(_loaders.connection_loader, name)
    short = ENGINE_ALIASES.get(fqcn) if fqcn else ENGINE_ALIASES.get(name, _short(name))
    if short == "smart":
        short = "ssh"
    return short if short in _engine_strategy.REDIRECTED_CONNECTION_PLUGINS else None


# Fix 1: FQCN connection names (ansible.builtin.ssh, ansible.legacy.ssh,
# community.docker.docker, ...) run through Mitogen exactly like short names.
def wrap_connection_loader__get_with_context(name, *args, **kwargs):
    short = engine_connection(name)
    if short and args and isinstance(args[0], PlayContext) and engine_connection(args[0].connection) is None:
        short = None  # as the engine does: only when the play's own connection is redirected
    if short:
        name = "mitogen_" + short
    return _loaders.connection_loader__get_with_context(name, *args, **kwargs)


# Fix 2: FQCN connection and become names in connection stacks (mitogen_via
# hops, targets), and a clear error instead of a bare KeyError otherwise.
class UnsupportedMethod(KeyError):
    def __init__(self, name):
        super().__init__(name)
        self.name = name


class MethodTable(dict):
    """The engine's CONNECTION_METHOD table, looked up by any spelling of a name."""

    def __missing__(self, name):
        candidates = name_candidates(name, (_loaders.become_loader, _loaders.connection_loader)) if name else []
        candidates += [c[len("ns.mitogen."):] for c in candidates if c.startswith("ns.mitogen.")]
        for candidate in candidates:
            if dict.__contains__(self, candidate):
                return dict.__getitem__(self, candidate)
        raise UnsupportedMethod(name)


_BECOME_METHODS = ("sudo", "su", "doas")


def _unsupported_message(spec, name) -> str:
    def ask(method):
        try:
            return method()
        except Exception:  # pylint: disable=broad-except  # only decorates a message
            return None

    table = _connection.CONNECTION_METHOD
    kind = "connection" if name == ask(spec.transport) else "become method"
    via = " (a mitogen_via hop)" if isinstance(spec, _transport_config.MitogenViaSpec) else ""
    connections = sorted(k for k in table if k not in _BECOME_METHODS and "." not in k and not k.startswith("mitogen_"))
    return ("ns.mitogen: the Mitogen engine cannot use the %s %r of host %r%s; it supports the connections %s "
            "and the become methods %s: use one of those, or run this play with a stock strategy"
            % (kind, name, ask(spec.inventory_name), via, ", ".join(connections), ", ".join(_BECOME_METHODS)))


def _stack_from_spec_factory(original):
    def _stack_from_spec(self, spec, stack=(), seen_names=()):
        try:
            return original(self, spec, stack=stack, seen_names=seen_names)
        except UnsupportedMethod as exc:  # the innermost call names the failing spec
            raise AnsibleConnectionFailure(_unsupported_message(spec, exc.name)) from None
    return _stack_from_spec


# Fix 5: a user-configurable list of modules that always run in a forked
# process, beside the engine's internal list.
FORK_MODULES_VAR = "mitogen_fork_modules"
FORK_MODULES_ENV = "NS_MITOGEN_FORK_MODULES"
FORK_MODULES_INI = ("ns_mitogen", "fork_modules")


def _names(value, source: str) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [n for n in re.split(r"[\s,]+", value) if n]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [str(n).strip() for n in value if str(n).strip()]
    raise AnsibleError("%s must be a list of module names or a comma-separated string, not %r" % (source, value))


def configured_fork_modules() -> list[str]:
    """fork_modules from the environment, else from ansible.cfg ([ns_mitogen] fork_modules)."""
    if FORK_MODULES_ENV in os.environ:
        return _names(os.environ[FORK_MODULES_ENV], FORK_MODULES_ENV)
    if C.CONFIG_FILE:
        parser = configparser.ConfigParser()
        parser.read(C.CONFIG_FILE)
        if parser.has_option(*FORK_MODULES_INI):
            return _names(parser.get(*FORK_MODULES_INI), "[ns_mitogen] fork_modules")
    return []


def _module_keys(name: str) -> set[str]:
    return set(name_candidates(name, (_loaders.module_loader,)))


def user_wants_fork(invocation) -> bool:
    value = invocation.task_vars.get(FORK_MODULES_VAR)
    if value is not None and invocation.templar is not None:
        value = invocation.templar.template(value)
    listed = _names(value, FORK_MODULES_VAR) if value is not None else configured_fork_modules()
    wanted = set().union(*map(_module_keys, listed)) if listed else set()
    return bool(wanted & _module_keys(invocation.module_name))


def _should_fork_factory(original):
    def should_fork(self):
        return original(self) or user_wants_fork(self._inv)
    return should_fork


def engine_patches() -> list[Replace]:
    """The collection's fixes to the engine, in the order they are installed."""
    return [
        # Read by the engine's AnsibleWrappers when its own run() starts, after ours.
        Replace(_engine_strategy, "wrap_connection_loader__get_with_context",
                wrap_connection_loader__get_with_context),
        Replace(_connection, "CONNECTION_METHOD", MethodTable, factory=True),
        Replace(_connection.Connection, "_stack_from_spec", _stack_from_spec_factory, factory=True),
        Replace(_planner.NewStylePlanner, "should_fork", _should_fork_factory, factory=True),
    ]


class StrategyMixin:
    """What every ns.mitogen strategy adds around the engine's own strategy mix-in."""

    def run(self, iterator, play_context, result=0):
        _resolved.clear()
        installed = []
        try:
            for patch in engine_patches():
                patch.install()
                installed.append(patch)
            return super().run(iterator, play_context, result)
        finally:
            for patch in reversed(installed):
                patch.remove()
            _resolved.clear()


def strategy_class(builtin: str) -> type:
    """The class behind strategy ns.mitogen.<builtin>: the engine over ansible.builtin.<builtin>."""
    base = strategy_loader.get("ansible.builtin." + builtin, class_only=True)
    if controller_problem() is not None:
        return _unavailable(base)
    return type("StrategyModule", (StrategyMixin, _engine_strategy.StrategyMixin, base), {})


def _unavailable(base: type) -> type:
    """A strategy that refuses to start, with one line saying why."""

    def __init__(self, *args, **kwargs):
        raise AnsibleError(controller_problem() or "ns.mitogen: the Mitogen engine is unavailable")

    return type("StrategyModule", (base,), {"__init__": __init__})
