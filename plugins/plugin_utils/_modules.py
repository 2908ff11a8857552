# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Modules: how a task's module is found, planned, run and its result read.

Private: not a public API. Patches of the engine's planner (which module,
which module_utils, forked or not) and of its action mix-in (the result).
"""

from __future__ import annotations

import configparser
import json
import os
import re

from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.utils.collection_loader import AnsibleCollectionConfig

from ansible_collections.ns.mitogen.plugins.plugin_utils import _engine
from ansible_collections.ns.mitogen.plugins.plugin_utils._names import canonical
from ansible_collections.ns.mitogen.plugins.plugin_utils._state import PlayState

TESTS = "tests/integration/plugins/plugin_utils/test__mitogen.py::"

# ------------------------------------------------------------------ modules that always fork

FORK_MODULES_VAR = "mitogen_fork_modules"
FORK_MODULES_ENV = "NS_MITOGEN_FORK_MODULES"
FORK_MODULES_INI = ("ns_mitogen", "fork_modules")


def module_names(value, source: str) -> list[str]:
    """A list of module names from a list or a comma- or space-separated string."""
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
        return module_names(os.environ[FORK_MODULES_ENV], FORK_MODULES_ENV)
    if C.CONFIG_FILE:
        parser = configparser.ConfigParser()
        parser.read(C.CONFIG_FILE)
        if parser.has_option(*FORK_MODULES_INI):
            return module_names(parser.get(*FORK_MODULES_INI), "[ns_mitogen] fork_modules")
    return []


def user_wants_fork(invocation) -> bool:
    """Whether the task's module is listed in mitogen_fork_modules (or the play's configured list)."""
    value = invocation.task_vars.get(FORK_MODULES_VAR)
    if value is not None and invocation.templar is not None:
        value = invocation.templar.template(value)
    listed = module_names(value, FORK_MODULES_VAR) if value is not None else PlayState.current.fork_modules
    loaders = (_engine.loaders.module_loader,)
    return canonical(invocation.module_name, loaders) in {canonical(name, loaders) for name in listed}


FORK_MODULES = _engine.Patch(
    name="fork-modules",
    target="ansible_mitogen.planner.NewStylePlanner.should_fork",
    why="Modules listed in mitogen_fork_modules, NS_MITOGEN_FORK_MODULES or [ns_mitogen] fork_modules always run "
        "in a fresh process, beside the engine's internal list.",
    test=TESTS + "test_user_listed_modules_always_fork",
    make=lambda original: lambda self: original(self) or user_wants_fork(self._inv),  # pylint: disable=protected-access
    shape=("self",),
)


# ------------------------------------------------------------------ which module

REPLACER = b"#<<INCLUDE_ANSIBLE_MODULE_COMMON>>"
_NEW_STYLE_IMPORT = re.compile(rb"from ansible(?:_collections|\.module_utils)\.")


def replacer_message(name: str) -> str:
    return ("module %s uses the Module Replacer (#<<INCLUDE_ANSIBLE_MODULE_COMMON>>), which ns.mitogen cannot run: "
            "replace that line with 'from ansible.module_utils.basic import *', or run this task in a play "
            "under a stock strategy" % name)


def is_module_replacer(path: str) -> bool:
    """Whether the module at `path` is a Module Replacer module (no import of its own); cached per play."""
    cache = PlayState.current.module_replacer
    if path not in cache:
        try:
            with open(path, "rb") as module_file:
                source = module_file.read()
            cache[path] = REPLACER in source and not _NEW_STYLE_IMPORT.search(source)
        except OSError:
            cache[path] = False
    return cache[path]


def _refuse_module_replacer(original):
    def invoke(invocation):
        path = _engine.loaders.module_loader.find_plugin(invocation.module_name, "")
        if path and is_module_replacer(path):  # a missing module: the engine reports it itself
            raise AnsibleError(replacer_message(invocation.module_name))
        return original(invocation)
    return invoke


MODULE_REPLACER = _engine.Patch(
    name="module-replacer-refused",
    target="ansible_mitogen.planner.invoke",
    why="A Module Replacer module fails the task with one line saying what to change; the engine alone ran it "
        "as a script, which died with a NameError traceback.",
    test=TESTS + "test_module_replacer_modules_fail_in_one_line",
    make=_refuse_module_replacer,
    shape=("invocation",),
)


def _collections_keyword(original):
    def invoke(invocation):
        collection_list = getattr(getattr(invocation.action, "_task", None), "collections", None)
        if collection_list:
            loader = _engine.loaders.module_loader
            name = invocation.module_name
            try:
                found = loader.find_plugin_with_context(name, "", collection_list=collection_list)
                if found.resolved and found.plugin_resolved_path and \
                        loader.find_plugin(name, "") != found.plugin_resolved_path:
                    # The engine resolves a written-out FQCN correctly: hand it that.
                    invocation.module_name = found.resolved_fqcn
            except Exception:  # pylint: disable=broad-except  # the engine then reports as it would
                pass
        return original(invocation)
    return invoke


COLLECTIONS_KEYWORD = _engine.Patch(
    name="collections-keyword",
    target="ansible_mitogen.planner.invoke",
    why="The collections keyword and a collection role's short module names resolve as in stock Ansible; the "
        "engine alone did not find them, or ran a builtin module of the same short name.",
    test=TESTS + "test_collections_keyword_and_collection_roles",
    make=_collections_keyword,
    shape=("invocation",),
)


# ------------------------------------------------------------------ async jobs of collection modules

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


def _async_module_utils(original):
    def get_module_map(self):
        module_map = original(self)
        invocation = self._inv  # pylint: disable=protected-access
        state = PlayState.current
        if not invocation.wrap_async or self in state.preloaded:
            return module_map
        state.preloaded.add(self)
        path = invocation.module_path
        if path not in state.module_utils:
            try:
                fqn = _engine.planner.py_modname_from_path(invocation.module_name, path)
                state.module_utils[path] = collection_module_utils(fqn, invocation.get_module_source())
            except Exception:  # pylint: disable=broad-except  # leave the engine's map as it was
                state.module_utils[path] = []
        extra = [n for n in state.module_utils[path] if n not in module_map["builtin"]]
        if extra:
            # The runner imports every "builtin" name before the job detaches.
            module_map = dict(module_map, builtin=list(module_map["builtin"]) + extra)
            self._module_map = module_map  # pylint: disable=protected-access
        return module_map
    return get_module_map


ASYNC_MODULE_UTILS = _engine.Patch(
    name="async-collection-module-utils",
    target="ansible_mitogen.planner.NewStylePlanner.get_module_map",
    why="async tasks of collection modules that import their collection's module_utils finish: what they import "
        "is preloaded before the job detaches; the engine alone hung until the job's time limit.",
    test=TESTS + "test_async_collection_modules_finish",
    make=_async_module_utils,
    shape=("self",),
)


# ------------------------------------------------------------------ results and warnings

_ASYNC_FLAGS = ("started", "finished", "failed")


def async_flags_as_booleans(result):
    """An async job's result with its 0/1 flags as the booleans ansible-core wants (else unchanged)."""
    stdout = result.get("stdout") if isinstance(result, dict) else None
    if not isinstance(stdout, str) or '"ansible_job_id"' not in stdout:
        return result
    try:
        data = json.loads(stdout)
    except ValueError:
        return result
    if not isinstance(data, dict) or "ansible_job_id" not in data:
        return result
    flags = [k for k in _ASYNC_FLAGS if isinstance(data.get(k), int) and not isinstance(data[k], bool)
             and data[k] in (0, 1)]
    if not flags:
        return result
    data.update((k, bool(data[k])) for k in flags)
    return dict(result, stdout=json.dumps(data))


ASYNC_FLAGS = _engine.Patch(
    name="async-flags-as-booleans",
    target="ansible_mitogen.mixins.ActionModuleMixin._postprocess_response",
    why="ansible-core 2.21 no longer warns about the async started/finished/failed flags, which the engine "
        "reported as 0/1.",
    test=TESTS + "test_no_spurious_warnings",
    make=lambda original: lambda self, result: original(self, async_flags_as_booleans(result)),
    shape=("self", "result"),
)


def collection_dirs() -> list[str]:
    """The directory of every installed collection, first path first; listed once per play."""
    state = PlayState.current
    if state.collection_dirs is None:
        dirs, seen = [], set()
        for root in AnsibleCollectionConfig.collection_paths:
            base = os.path.join(root, "ansible_collections")
            for namespace in sorted(os.listdir(base)) if os.path.isdir(base) else ():
                ns_dir = os.path.join(base, namespace)
                for name in sorted(os.listdir(ns_dir)) if os.path.isdir(ns_dir) else ():
                    if os.path.isdir(os.path.join(ns_dir, name)) and (namespace, name) not in seen:
                        seen.add((namespace, name))
                        dirs.append(os.path.join(ns_dir, name))
        state.collection_dirs = dirs
    return state.collection_dirs


def _load_collections(original):  # pylint: disable=unused-argument  # replaces the engine's scan
    def load(invocation):
        invocation._extra_sys_paths.update(collection_dirs())  # pylint: disable=protected-access
    return load


COLLECTION_SCAN = _engine.Patch(
    name="collections-listed-once",
    target="ansible_mitogen.planner._load_collections",
    why="Collections are listed once per play; the engine alone ran an ansible-galaxy scan on every "
        "collection-module task, which warns about each collection without MANIFEST.json on ansible-core 2.21.",
    test=TESTS + "test_no_spurious_warnings",
    make=_load_collections,
    shape=("invocation",),
)
