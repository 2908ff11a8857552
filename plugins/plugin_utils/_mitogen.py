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
import importlib
import json
import os
import re

from ansible import constants as C
from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import strategy_loader
from ansible.utils.display import Display
from ansible.utils.collection_loader import AnsibleCollectionConfig

from ansible_collections.ns.mitogen.plugins.plugin_utils import _support

try:
    import ansible_mitogen.connection as _connection
    import ansible_mitogen.loaders as _loaders
    import ansible_mitogen.mixins as _mixins
    import ansible_mitogen.planner as _planner
    import ansible_mitogen.process as _process
    import ansible_mitogen.services as _services
    import ansible_mitogen.strategy as _engine_strategy
    import ansible_mitogen.transport_config as _transport_config
except ImportError as exc:  # reported when a play starts, never at import
    _connection = _loaders = _mixins = _planner = _process = _services = _engine_strategy = _transport_config = None
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
    if (fqcn or name).startswith("ns.mitogen."):
        return None  # our own plugins run as they are
    short = ENGINE_ALIASES.get(fqcn) if fqcn else ENGINE_ALIASES.get(name, _short(name))
    if short == "smart":
        short = "ssh"
    return short if short in _engine_strategy.REDIRECTED_CONNECTION_PLUGINS else None


# Fix 1: FQCN connection names (ansible.builtin.ssh, ansible.legacy.ssh,
# community.docker.docker, ...) run through Mitogen exactly like short names.
def wrap_connection_loader__get_with_context(name, *args, **kwargs):
    short = engine_connection(name)
    if short and args and isinstance(args[0], PlayContext) and engine_connection(args[0].connection) is None \
            and not is_ours(args[0].connection):
        short = None  # as the engine does: only when the play's own connection is redirected
    if short:
        name = "mitogen_" + short
    return _loaders.connection_loader__get_with_context(name, *args, **kwargs)


def is_ours(name) -> bool:
    """Whether connection `name` is one of ns.mitogen's own plugins."""
    return isinstance(name, str) and (_resolve(_loaders.connection_loader, name) or name).startswith("ns.mitogen.")


# Fix 4: FQCN connection and become names in connection stacks (mitogen_via
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


_STRICT_HOST_KEY_MODES = {"no": "ignore", "off": "ignore", "yes": "enforce", "ask": "accept", "accept-new": "accept"}


def strict_host_key_checking(ssh_args) -> str | None:
    """The user's own StrictHostKeyChecking value in ssh arguments, if any (first one wins, as in ssh)."""
    args = list(ssh_args or ())
    for index, arg in enumerate(args):
        option = arg[2:] if arg.startswith("-o") and len(arg) > 2 else (
            args[index + 1] if arg == "-o" and index + 1 < len(args) else None)
        if option:
            key, _sep, value = option.replace("=", " ", 1).partition(" ")
            if key.lower() == "stricthostkeychecking":
                return value.strip().lower()
    return None


def keepalive_for(timeout) -> tuple[int, int]:
    """ssh keepalive (interval, count) that notice a silent network within `timeout` seconds."""
    count = 3
    return max(1, int(timeout) // (count + 1)), count


def _ssh_fixes(original):
    """The engine's ssh arguments, made to behave as the stock ssh connection does.

    * mitogen_ssh_debug_level is honoured (the engine ignores it);
    * a StrictHostKeyChecking option in the user's ssh arguments decides host key
      checking, as it does for stock Ansible (the engine put its own option first,
      and ssh takes the first one);
    * Fix 11: a network that goes silent under an open connection makes the host
      unreachable within the connection timeout: unless mitogen_ssh_keepalive_*
      are set, ssh keepalives fit in it (the engine's defaults wait 300 s).
    """
    def connect(spec):
        result = original(spec)
        kwargs = result["kwargs"]
        if spec.mitogen_ssh_keepalive_interval() in (None, "") and \
                spec.mitogen_ssh_keepalive_count() in (None, "") and kwargs.get("connect_timeout"):
            kwargs["keepalive_interval"], kwargs["keepalive_count"] = keepalive_for(kwargs["connect_timeout"])
        level = spec.mitogen_ssh_debug_level()
        if level not in (None, ""):
            kwargs["ssh_debug_level"] = int(level)
        mode = _STRICT_HOST_KEY_MODES.get(strict_host_key_checking(kwargs.get("ssh_args")) or "")
        if mode and kwargs.get("check_host_keys") == "enforce":
            kwargs["check_host_keys"] = mode
        return result
    return connect


def _docker_with_path(original):
    """The engine's docker arguments, honouring mitogen_docker_path (the engine ignores it)."""
    def connect(spec):
        result = original(spec)
        path = spec.mitogen_docker_path()
        if path:
            result["kwargs"]["docker_path"] = path
        return result
    return connect


SUPPORTED_SUDO_FLAGS = "-H, -E, -i, -u USER, -r ROLE, -t TYPE (-S and -n are implied)"


def check_sudo_flags(flags: list[str], become_user, host) -> None:
    """Read become_flags as sudo(1) would; refuse what the engine cannot do, before connecting."""
    import mitogen.core  # pylint: disable=import-outside-toplevel
    import mitogen.sudo  # pylint: disable=import-outside-toplevel

    try:
        parsed = mitogen.sudo.parse_sudo_flags(list(flags))
    except mitogen.core.StreamError as exc:
        raise AnsibleError("ns.mitogen: become_flags %r of host %r: %s; under Mitogen sudo takes %s: "
                           "change become_flags, or run this play with a stock strategy"
                           % (" ".join(flags), host, exc, SUPPORTED_SUDO_FLAGS)) from None
    if parsed.user and become_user and parsed.user != become_user:
        raise AnsibleError("ns.mitogen: become_flags of host %r say -u %s but become_user is %s: "
                           "set the user with become_user only" % (host, parsed.user, become_user))


def _sudo_with_checked_flags(original):
    def connect(spec):
        check_sudo_flags(spec.sudo_args(), spec.become_user(), spec.inventory_name())
        return original(spec)
    return connect


def become_option(spec, option: str, var: str):
    """A become plugin option of a target's spec, or a host variable of a mitogen_via hop's."""
    if isinstance(spec, _transport_config.MitogenViaSpec):
        return spec._host_vars.get(var)  # pylint: disable=protected-access
    try:
        return spec.become().get_option(option)
    except (AttributeError, KeyError):
        return None


# Fix 8: doas. The engine runs doas without options and waits for one fixed
# prompt: refuse become_flags before connecting, and honour prompt_l10n.
def _doas_checked(original):
    def connect(spec):
        flags = (spec.become_flags() or "").strip()
        if flags:
            raise AnsibleError("ns.mitogen: become_flags %r of host %r: under Mitogen doas runs without options: "
                               "remove become_flags (doas.conf decides, e.g. nopass), or run this play with a stock "
                               "strategy" % (flags, spec.inventory_name()))
        result = original(spec)
        prompts = become_option(spec, "prompt_l10n", "ansible_doas_prompt_l10n")
        if prompts:
            result["kwargs"]["password_prompt"] = prompts[0]
        return result
    return connect


# Fix 9: su in the target's language. The engine waits for the English
# "password:" prompt, so a localised su hangs until the timeout. The worker
# marks su connections; the multiplexer, which holds the login context su is
# started from, asks that context which PAM prompt su will print there.
SU_PROMPTS_KEY = "ns_mitogen_su_prompts"


def _su_marked(original):
    def connect(spec):
        result = original(spec)
        result["kwargs"][SU_PROMPTS_KEY] = list(become_option(spec, "prompt_l10n", "ansible_su_prompt_l10n") or [])
        return result
    return connect


def pam_messages(context) -> tuple[str, str] | None:
    """PAM's password prompt and failure message in the language su will use in `context`; None for English."""
    import gettext  # pylint: disable=import-outside-toplevel
    import locale  # pylint: disable=import-outside-toplevel

    import mitogen.core  # pylint: disable=import-outside-toplevel

    current = context.call(locale.setlocale, locale.LC_MESSAGES)
    try:
        # su calls setlocale(LC_ALL, ""): an uninstalled language leaves it in English.
        context.call(locale.setlocale, locale.LC_MESSAGES, "")
    except mitogen.core.CallError:
        return None
    try:
        return (context.call(gettext.dgettext, "Linux-PAM", "Password: "),
                context.call(gettext.dgettext, "Linux-PAM", "Authentication failure"))
    finally:
        context.call(locale.setlocale, locale.LC_MESSAGES, current)


def su_prompt_options(context, wanted: list[str]) -> dict:
    """The engine's su options for the prompts of `context`'s machine (empty: the engine's English ones)."""
    import mitogen.su  # pylint: disable=import-outside-toplevel

    if len(wanted) == 1:  # the user named the one prompt to expect
        return {"password_prompt": wanted[0]}
    messages = pam_messages(context)
    if not messages:
        return {}
    prompt, failure = messages
    word = prompt.strip().rstrip(":\uff1a").strip()
    options = {}
    if word and word.lower() != "password":
        options["password_prompt"] = word
    if failure and failure != "Authentication failure":
        options["incorrect_prompts"] = list(mitogen.su.Options.incorrect_prompts) + [failure]
    return options


def _context_connect_factory(original):
    def _connect(self, key, spec, via=None):
        kwargs = spec.get("kwargs") or {}
        if SU_PROMPTS_KEY in kwargs:
            kwargs = dict(kwargs)
            wanted = kwargs.pop(SU_PROMPTS_KEY)
            if via is not None:
                kwargs.update(su_prompt_options(via, wanted))
            elif len(wanted) == 1:
                kwargs["password_prompt"] = wanted[0]
            spec = dict(spec, kwargs=kwargs)
        return original(self, key, spec, via=via)
    return _connect


def method_table(original: dict) -> MethodTable:
    table = MethodTable(original)
    table["ssh"] = _ssh_fixes(original["ssh"])
    table["smart"] = table["ssh"]
    table["docker"] = _docker_with_path(original["docker"])
    table["sudo"] = _sudo_with_checked_flags(original["sudo"])
    table["su"] = _su_marked(original["su"])
    table["doas"] = table["community.general.doas"] = _doas_checked(original["doas"])
    return table


def via_chain(connection) -> list[str]:
    """The mitogen_via hops of the connection's host, nearest first (cycles cut short)."""
    chain: list[str] = []
    via = connection.get_task_var("mitogen_via")
    hostvars = connection._get_task_vars().get("hostvars") or {}  # pylint: disable=protected-access
    while via and len(chain) < 16:
        hop = str(via).rpartition("@")[2]
        if hop in chain:
            break
        chain.append(hop)
        try:
            via = hostvars[hop].get("mitogen_via")
        except (KeyError, TypeError, AttributeError):
            via = None
    return chain


BECOME_TIMEOUT = "Connection timed out."  # the engine's message when a connection step runs out of time


def become_timeout_message(step: dict, host) -> str:
    kwargs = step.get("kwargs") or {}
    return ("Timeout (%ss) waiting for privilege escalation (%s to %s) on host %s: check become_exe and the "
            "password prompt on the target, or raise the timeout setting"
            % (kwargs.get("connect_timeout"), step.get("method"), kwargs.get("username"), host))


# Fix 12: connection failures in one line that says what to check. The engine
# passes on ssh's output after a line of its own, or names no cause.
SSH_PASSWORD_MISSING = "SSH password was requested, but none specified"
EARLY_EOF = "EOF on stream; last 100 lines received:"


def connection_failure_message(text: str) -> str:
    """The engine's connection failure `text` as one line a user can act on."""
    if text.strip() == SSH_PASSWORD_MISSING:
        return ("ns.mitogen: the target asked for an SSH password and none is set (a key login was refused or no "
                "key was offered): check ansible_user and ansible_ssh_private_key_file, or set ansible_password")
    head, newline, rest = text.partition("\n")
    if not newline:
        return text
    said = [line.strip() for line in rest.splitlines() if line.strip()]
    if head.strip() == EARLY_EOF:
        return ("ns.mitogen: the connection closed before the target's Python started; last output: %s"
                % (" | ".join(said[-3:]) or "none"))
    return " | ".join([head.strip()] + said)


def _connect_stack_factory(original):
    def _connect_stack(self, stack):
        try:
            result = original(self, stack)
        except AnsibleConnectionFailure as exc:
            chain = via_chain(self) if len(stack) > 1 else []
            if not chain:
                text = str(exc.message)
                if connection_failure_message(text) == text:
                    raise
                raise AnsibleConnectionFailure(connection_failure_message(text)) from None
            # The engine's message does not say which machine it could not reach.
            raise AnsibleConnectionFailure("%s (%s is reached through mitogen_via: %s; check that each hop is up "
                                           "and can reach the next)" % (connection_failure_message(str(
                                               exc.message)), self.get_task_var(
                                               "inventory_hostname"), " -> ".join(reversed(chain)))) from None
        except AnsibleError as exc:
            if not str(exc.message).endswith(BECOME_TIMEOUT) or not stack:
                raise
            # A become step that never answered: unreachable, as under stock Ansible, and saying what waited.
            raise AnsibleConnectionFailure(become_timeout_message(stack[-1], self.get_task_var(
                "inventory_hostname"))) from None
        hold(self, stack)
        return result
    return _connect_stack


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


# fork_modules from the environment / ansible.cfg, read once per play by StrategyMixin.run().
_configured_fork_modules: list[str] = []


def _module_keys(name: str) -> set[str]:
    return set(name_candidates(name, (_loaders.module_loader,)))


def user_wants_fork(invocation) -> bool:
    value = invocation.task_vars.get(FORK_MODULES_VAR)
    if value is not None and invocation.templar is not None:
        value = invocation.templar.template(value)
    listed = _names(value, FORK_MODULES_VAR) if value is not None else _configured_fork_modules
    if not listed:
        return False
    return bool(set().union(*map(_module_keys, listed)) & _module_keys(invocation.module_name))


def _should_fork_factory(original):
    def should_fork(self):
        return original(self) or user_wants_fork(self._inv)
    return should_fork


# Fix 2: the `collections:` keyword and a collection role's short module names
# resolve as in stock Ansible: the engine looks modules up without the task's
# collection list, so it misses them, or runs a builtin of the same short name.
def _invoke_factory(original):
    def invoke(invocation):
        task = getattr(invocation.action, "_task", None)
        collection_list = getattr(task, "collections", None)
        if collection_list:
            loader = _loaders.module_loader
            name = invocation.module_name
            try:
                found = loader.find_plugin_with_context(name, "", collection_list=collection_list)
                if found.resolved and found.plugin_resolved_path and \
                        loader.find_plugin(name, "") != found.plugin_resolved_path:
                    # The engine resolves a written-out FQCN correctly: hand it that.
                    invocation.module_name = found.resolved_fqcn
            except Exception:  # pylint: disable=broad-except  # the engine then reports as it would
                pass
        check_not_module_replacer(invocation.module_name)
        return original(invocation)
    return invoke


# Fix 10: "Module Replacer" modules (#<<INCLUDE_ANSIBLE_MODULE_COMMON>> and no import
# of their own). The engine has no planner for them and runs them as scripts, which
# die with a NameError traceback in module_stdout. Fail with one line saying what to
# change instead. A module that also imports ansible.module_utils runs as new-style.
_REPLACER = b"#<<INCLUDE_ANSIBLE_MODULE_COMMON>>"
_NEW_STYLE_IMPORT = re.compile(rb"from ansible(?:_collections|\.module_utils)\.")
_replacer_by_path: dict[str, bool] = {}


def replacer_message(name: str) -> str:
    return ("module %s uses the Module Replacer (#<<INCLUDE_ANSIBLE_MODULE_COMMON>>), which ns.mitogen cannot run: "
            "replace that line with 'from ansible.module_utils.basic import *', or run this task in a play "
            "under a stock strategy" % name)


def check_not_module_replacer(name: str) -> None:
    path = _loaders.module_loader.find_plugin(name, "")
    if not path:
        return  # the engine reports a missing module itself
    if path not in _replacer_by_path:
        try:
            with open(path, "rb") as module_file:
                source = module_file.read()
            _replacer_by_path[path] = _REPLACER in source and not _NEW_STYLE_IMPORT.search(source)
        except OSError:
            _replacer_by_path[path] = False
    if _replacer_by_path[path]:
        raise AnsibleError(replacer_message(name))


# Fix 3: async tasks of collection modules that import their collection's
# module_utils finish. An async job runs detached from the controller; the
# engine only preloads ansible.module_utils, so the job's first import of a
# collection module_utils waits forever for a parent that is gone. Preload what
# the module needs (what AnsiballZ would ship) before the job detaches.
_module_utils_cache: dict[str, list[str]] = {}


def collection_module_utils(module_fqn: str, source: bytes) -> list[str]:
    """The ansible_collections.* module_utils a module imports, transitively (no code runs)."""
    from ansible.executor import module_common  # pylint: disable=import-outside-toplevel

    found: set[tuple[str, ...]] = set()
    seen = set()
    finder = module_common.ModuleDepFinder(module_fqn, source)
    todo = [(p, p in finder.optional_imports) for p in finder.submodules if p[0] == "ansible_collections"]
    while todo:
        parts, optional = todo.pop()
        if parts in seen:
            continue
        seen.add(parts)
        try:
            located = module_common.CollectionModuleUtilLocator(parts, is_ambiguous=True, is_optional=optional)
        except Exception:  # pylint: disable=broad-except  # not importable: stock Ansible fails the same way
            continue
        fq_parts = tuple(located.fq_name_parts)
        # fewer than 6 parts: the synthetic ansible_collections.ns.coll.plugins packages
        if not located.found or len(fq_parts) < 6 or fq_parts in found:
            continue
        found.add(fq_parts)
        try:
            sub = module_common.ModuleDepFinder(".".join(fq_parts), located.source_code, is_pkg_init=located.is_package)
        except Exception:  # pylint: disable=broad-except
            continue
        todo.extend((p, p in sub.optional_imports) for p in sub.submodules if p[0] == "ansible_collections")
    return sorted(".".join(parts) for parts in found)


def _get_module_map_factory(original):
    def get_module_map(self):
        module_map = _cached_module_map(self, original)
        invocation = self._inv
        if not invocation.wrap_async or getattr(self, "_ns_mitogen_preloaded", False):
            return module_map
        self._ns_mitogen_preloaded = True
        path = invocation.module_path
        if path not in _module_utils_cache:
            try:
                fqn = _planner.py_modname_from_path(invocation.module_name, path)
                _module_utils_cache[path] = collection_module_utils(fqn, invocation.get_module_source())
            except Exception:  # pylint: disable=broad-except  # leave the engine's map as it was
                _module_utils_cache[path] = []
        extra = [n for n in _module_utils_cache[path] if n not in module_map["builtin"]]
        if extra:
            # The runner imports every "builtin" name before the job detaches.
            module_map = dict(module_map, builtin=list(module_map["builtin"]) + extra)
            self._module_map = module_map
        return module_map
    return get_module_map


# Fix 6: no spurious warnings on ansible-core 2.21. The engine reports async
# flags as 0/1 where ansible-core wants booleans, and scans every collection
# (with MANIFEST warnings) on each collection-module task.
_ASYNC_FLAGS = ("started", "finished", "failed")


def _postprocess_response_factory(original):
    def _postprocess_response(self, result):
        stdout = result.get("stdout") if isinstance(result, dict) else None
        if isinstance(stdout, str) and '"ansible_job_id"' in stdout:
            try:
                data = json.loads(stdout)
            except ValueError:
                data = None
            if isinstance(data, dict) and "ansible_job_id" in data:
                flags = [k for k in _ASYNC_FLAGS
                         if isinstance(data.get(k), int) and not isinstance(data[k], bool) and data[k] in (0, 1)]
                if flags:
                    data.update((k, bool(data[k])) for k in flags)
                    result = dict(result, stdout=json.dumps(data))
        return original(self, result)
    return _postprocess_response


_collection_dirs: list[str] | None = None


def _load_collections(invocation):
    """The engine's _load_collections, without an ansible-galaxy scan per task."""
    global _collection_dirs  # pylint: disable=global-statement
    if _collection_dirs is None:
        dirs, seen = [], set()
        for root in AnsibleCollectionConfig.collection_paths:
            base = os.path.join(root, "ansible_collections")
            for namespace in sorted(os.listdir(base)) if os.path.isdir(base) else ():
                ns_dir = os.path.join(base, namespace)
                for name in sorted(os.listdir(ns_dir)) if os.path.isdir(ns_dir) else ():
                    if os.path.isdir(os.path.join(ns_dir, name)) and (namespace, name) not in seen:
                        seen.add((namespace, name))
                        dirs.append(os.path.join(ns_dir, name))
        _collection_dirs = dirs
    invocation._extra_sys_paths.update(_collection_dirs)  # pylint: disable=protected-access


# Fix 13: a connection lost while a task runs (the target's interpreter killed, the
# network gone) is reported in words a user can act on; the engine asks for a bug report.
CALL_ABORTED = ("ns.mitogen: the connection to the target was lost while the task ran (%s): its Python "
                "interpreter exited or was killed, or the network failed; the task may have run in part, "
                "and the next task or run connects again")


# Fix 14: the items of a loop share their connection. Before every action the engine
# hands the worker's connection back to the multiplexer and asks for it again when the
# action runs a module: two calls to the multiplexer per loop item, about a third of
# the controller's time for a small command. The connection is kept for the next item
# when that item would get the very same one (same host, same connection and become
# steps, same credentials) and the target has not gone away; each item still starts a
# new call chain, so an error of one item never surfaces in the next. While the
# connection is kept, the items also share what the multiplexer answered once for
# the module: its module_utils map, and that its files were pushed to the target
# (two more calls to the multiplexer per item).
class HeldConnection:
    """What a worker's connection was made for, whether its target is still there, and
    what the multiplexer already answered for it."""

    def __init__(self, key) -> None:
        self.key = key
        self.alive = True
        self.module_maps: dict = {}
        self.propagated: set = set()

    def lost(self) -> None:
        self.alive = False


def hold(connection, stack) -> None:
    """Remember what the connection just made was made for: the key _build_stack() gives."""
    import mitogen.core  # pylint: disable=import-outside-toplevel

    held = HeldConnection((connection.get_task_var("inventory_hostname"), stack))
    mitogen.core.listen(connection.context, "disconnect", held.lost)
    connection.ns_mitogen_held = held


def _on_action_run_factory(original):
    def on_action_run(self, task_vars, delegate_to_hostname, loader_basedir):
        held, self.ns_mitogen_held = getattr(self, "ns_mitogen_held", None), None
        if self.context is None or held is None or not held.alive:
            return original(self, task_vars, delegate_to_hostname, loader_basedir)
        self._task_vars, self.delegate_to_hostname, self.loader_basedir = task_vars, delegate_to_hostname, loader_basedir
        try:
            same = self._build_stack() == held.key  # pylint: disable=protected-access
        except Exception:  # pylint: disable=broad-except  # the engine's own path reports it
            same = False
        if not same:
            return original(self, task_vars, delegate_to_hostname, loader_basedir)
        self.chain.reset()
        self.chain = _connection.CallChain(self, self.context, pipelined=True)
        self.ns_mitogen_held = held
        return None
    return on_action_run


def held_connection(connection, context=None) -> HeldConnection | None:
    """The kept connection of `connection`, when `context` (default: its own) is the kept one."""
    held = getattr(connection, "ns_mitogen_held", None)
    if held is None or connection.context is None or (context is not None and context is not connection.context):
        return None
    return held


def _cached_module_map(planner, original):
    held = held_connection(planner._inv.connection)  # pylint: disable=protected-access
    if held is None or planner._module_map is not None:  # pylint: disable=protected-access
        return original(planner)
    invocation = planner._inv  # pylint: disable=protected-access
    key = (invocation.module_name, invocation.module_path, planner.get_search_path())
    if key not in held.module_maps:
        held.module_maps[key] = original(planner)
    planner._module_map = held.module_maps[key]  # pylint: disable=protected-access
    return planner._module_map  # pylint: disable=protected-access


def _propagate_deps_factory(original):
    def _propagate_deps(invocation, planner, context):
        held = held_connection(invocation.connection, context)
        if held is None:
            return original(invocation, planner, context)
        key = (tuple(planner.get_push_files()),
               tuple(sorted(invocation._overridden_sources.items())),  # pylint: disable=protected-access
               tuple(sorted(invocation._extra_sys_paths)))  # pylint: disable=protected-access
        if key in held.propagated:
            return None
        result = original(invocation, planner, context)
        held.propagated.add(key)
        return result
    return _propagate_deps


def engine_patches() -> list[Replace]:
    """The collection's fixes to the engine, in the order they are installed."""
    return [
        # Read by the engine's AnsibleWrappers when its own run() starts, after ours.
        Replace(_engine_strategy, "wrap_connection_loader__get_with_context",
                wrap_connection_loader__get_with_context),
        Replace(_connection, "CONNECTION_METHOD", method_table, factory=True),
        Replace(_services.ContextService, "_connect", _context_connect_factory, factory=True),
        Replace(_connection.Connection, "_stack_from_spec", _stack_from_spec_factory, factory=True),
        Replace(_connection.Connection, "_connect_stack", _connect_stack_factory, factory=True),
        Replace(_planner.NewStylePlanner, "should_fork", _should_fork_factory, factory=True),
        Replace(_planner, "invoke", _invoke_factory, factory=True),
        Replace(_planner.NewStylePlanner, "get_module_map", _get_module_map_factory, factory=True),
        Replace(_mixins.ActionModuleMixin, "_postprocess_response", _postprocess_response_factory, factory=True),
        Replace(_planner, "_load_collections", _load_collections),
        Replace(_connection.CallChain, "call_aborted_msg", CALL_ABORTED),
        Replace(_connection.Connection, "on_action_run", _on_action_run_factory, factory=True),
        Replace(_planner, "_propagate_deps", _propagate_deps_factory, factory=True),
    ]


class StrategyMixin:
    """What every ns.mitogen strategy adds around the engine's own strategy mix-in."""

    def run(self, iterator, play_context, result=0):
        global _collection_dirs, _configured_fork_modules  # pylint: disable=global-statement
        _resolved.clear()
        _configured_fork_modules = configured_fork_modules()
        _module_utils_cache.clear()
        _collection_dirs = None
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


# --------------------------------------------------------------------------
# Connection plugins ns.mitogen.ssh / local / docker: the engine's classes with
# the options of our own documentation.

# Options of our plugins that the engine does not honour (documented as such).
NOT_APPLICABLE = {
    "ssh": ("password_mechanism", "sshpass_prompt", "private_key", "private_key_passphrase", "pipelining",
            "reconnection_retries", "control_path", "control_path_dir", "ssh_transfer_method", "scp_executable",
            "scp_extra_args", "sftp_executable", "sftp_extra_args", "sftp_batch_mode", "use_tty", "pkcs11_provider"),
    "local": (),
    "docker": ("docker_extra_args", "extra_env", "working_dir", "privileged"),
}


def strategy_needed_message(kind: str) -> str:
    return ("ns.mitogen.%s runs only over Mitogen: set strategy: ns.mitogen.linear "
            "(or ns.mitogen.free, ns.mitogen.host_pinned) on the play, in ansible.cfg or with ANSIBLE_STRATEGY, "
            "or enable the callback ns.mitogen.accelerate (callbacks_enabled in ansible.cfg), "
            "or use the stock %s connection" % (kind, "community.docker.docker" if kind == "docker" else kind))


def ignored_options(plugin, kind: str) -> list[str]:
    """The not-applicable options that the user set explicitly (not left at their default)."""
    found = []
    for name in NOT_APPLICABLE[kind]:
        try:
            _value, origin = plugin.get_option_and_origin(name)
        except KeyError:
            continue
        if origin and origin != "default":
            found.append("%s (from %s)" % (name, origin))
    return found


class ConnectionMixin:
    """What ns.mitogen.ssh/local/docker add to the engine's connection classes."""

    ns_mitogen_kind = ""

    def set_options(self, task_keys=None, var_options=None, direct=None):
        super().set_options(task_keys=task_keys, var_options=var_options, direct=direct)
        found = ignored_options(self, self.ns_mitogen_kind)
        if found:
            # The controller shows a given warning once per run.
            Display().warning("ns.mitogen.%s does not use these options, which are set: %s"
                              % (self.ns_mitogen_kind, ", ".join(found)))

    def _connect(self):
        if _process._worker_model is None:  # pylint: disable=protected-access  # no ns.mitogen strategy runs
            raise AnsibleError(strategy_needed_message(self.ns_mitogen_kind))
        return super()._connect()


def connection_class(kind: str) -> type:
    """The class behind connection ns.mitogen.<kind>."""
    if controller_problem() is not None:
        return _unavailable_connection(kind)
    module = importlib.import_module("ansible_mitogen.plugins.connection.mitogen_" + kind)
    return type("Connection", (ConnectionMixin, module.Connection), {"ns_mitogen_kind": kind})


def _unavailable_connection(kind: str) -> type:
    """A connection that refuses to start, with one line saying why."""
    from ansible.plugins.connection import ConnectionBase  # pylint: disable=import-outside-toplevel

    class Connection(ConnectionBase):  # pylint: disable=abstract-method
        transport = "ns.mitogen." + kind
        _connect = exec_command = put_file = fetch_file = close = None

        def __init__(self, *args, **kwargs):  # pylint: disable=super-init-not-called
            raise AnsibleError(controller_problem())

    return Connection


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


# --------------------------------------------------------------------------
# Activation without a third-party strategy: the ns.mitogen.accelerate callback.
#
# ansible-core creates callbacks in the controller before any worker forks and
# tells them when each play starts, just before it loads the play's strategy.
# The callback then arms a one-shot hook on the strategy loader: the builtin
# strategy instance that the TaskQueueManager gets is given the very classes an
# ns.mitogen strategy is made of (StrategyMixin + the engine's StrategyMixin
# over the builtin one). So the play runs exactly as under ns.mitogen.<name>:
# plugins preloaded before fork, meta reset_connection, hooks and fixes
# installed for the play and removed after it, multiplexer started on the first
# play, and, since no third-party strategy plugin is loaded, no deprecation
# warning. Plays whose strategy already runs the engine are left alone.

ACCELERATE_CALLBACK = "ns.mitogen.accelerate"

_accelerated_classes: dict[type, type] = {}


def accelerated_class(base: type) -> type:
    """The class an ns.mitogen strategy over `base` has (made once per base)."""
    if base not in _accelerated_classes:
        _accelerated_classes[base] = type(base.__name__, (StrategyMixin, _engine_strategy.StrategyMixin, base),
                                          {"__module__": base.__module__})
    return _accelerated_classes[base]


def runs_engine(strategy) -> bool:
    """Whether a strategy instance already runs plays over Mitogen (ns.mitogen.*, the engine's mitogen_*)."""
    return _engine_strategy is not None and isinstance(strategy, _engine_strategy.StrategyMixin)


class Accelerator:
    """What the ns.mitogen.accelerate callback does, for one controller process."""

    def __init__(self) -> None:
        self.hook: Replace | None = None
        self.warned: set[str] = set()

    def play_start(self) -> None:
        """Arm the hook for the strategy of the play that starts."""
        if self.hook is None:
            self.hook = Replace(strategy_loader, "get", self._get_factory, factory=True)
            self.hook.install()

    def run_end(self) -> None:
        """Disarm (at the end of the run; a play without hosts starts no strategy)."""
        if self.hook is not None:
            self.hook.remove()
            self.hook = None

    def _get_factory(self, original):
        def get(name, *args, **kwargs):
            obj = original(name, *args, **kwargs)
            if kwargs.get("class_only") or not args or not _is_task_queue_manager(args[0]):
                return obj  # not the TaskQueueManager loading the play's strategy
            self.run_end()
            return self.accelerate(name, obj)
        return get

    def accelerate(self, name: str, strategy):
        """The play's strategy instance, turned into its ns.mitogen counterpart when it is a builtin one."""
        if strategy is None or runs_engine(strategy):
            return strategy
        fqcn = _resolve(strategy_loader, name) or name
        if not fqcn.startswith("ansible.builtin."):
            if fqcn not in self.warned:
                self.warned.add(fqcn)
                Display().warning("%s runs plays of the builtin strategies only: plays with strategy %s run without "
                                  "Mitogen; use ansible.builtin.linear, free or host_pinned" % (ACCELERATE_CALLBACK, fqcn))
            return strategy
        problem = controller_problem()
        if problem is not None:
            raise AnsibleError(problem)
        strategy.__class__ = accelerated_class(type(strategy))
        return strategy


def _is_task_queue_manager(obj) -> bool:
    from ansible.executor.task_queue_manager import TaskQueueManager  # pylint: disable=import-outside-toplevel

    return isinstance(obj, TaskQueueManager)


_accelerator: Accelerator | None = None


def accelerator() -> Accelerator:
    """The process's Accelerator (one, however many times the callback is instantiated)."""
    global _accelerator  # pylint: disable=global-statement
    if _accelerator is None:
        _accelerator = Accelerator()
    return _accelerator
