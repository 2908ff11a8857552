# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Modules: which one runs, whether it forks, what it imports, what its result says."""

from __future__ import annotations

import json
import types

import pytest
from ansible.errors import AnsibleError

from ansible_collections.ns.mitogen.plugins.plugin_utils import _modules
from ansible_collections.ns.mitogen.plugins.plugin_utils._state import PlayState


@pytest.fixture(autouse=True)
def fresh_state():
    PlayState.begin()


# ------------------------------------------------------------------ fork-modules

@pytest.mark.parametrize("value, expected", [
    ("a, b,c", ["a", "b", "c"]),
    (["a", " b "], ["a", "b"]),
    ("", []),
    (None, []),
])
def test_fork_module_lists(value, expected):
    assert _modules.module_names(value, "x") == expected


def test_fork_module_list_of_the_wrong_type_says_what_it_wants():
    with pytest.raises(AnsibleError, match="list of module names or a comma-separated string"):
        _modules.module_names(42, "mitogen_fork_modules")


def invocation(module, task_vars=None):
    return types.SimpleNamespace(module_name=module, task_vars=task_vars or {}, templar=None)


def test_listed_modules_fork_by_any_spelling():
    should_fork = _modules.FORK_MODULES.make(lambda planner: False)
    planner = types.SimpleNamespace(_inv=invocation("ansible.legacy.command",
                                                    {"mitogen_fork_modules": "ansible.builtin.command"}))
    assert should_fork(planner)
    planner._inv = invocation("shell", {"mitogen_fork_modules": ["command"]})  # pylint: disable=protected-access
    assert not should_fork(planner)


def test_the_configured_list_applies_when_no_variable_is_set(monkeypatch):
    monkeypatch.setenv(_modules.FORK_MODULES_ENV, "command stat")
    PlayState.begin(_modules.configured_fork_modules())
    should_fork = _modules.FORK_MODULES.make(lambda planner: False)
    assert should_fork(types.SimpleNamespace(_inv=invocation("stat")))
    assert not should_fork(types.SimpleNamespace(_inv=invocation("stat", {"mitogen_fork_modules": []})))
    assert _modules.FORK_MODULES.make(lambda planner: True)(types.SimpleNamespace(_inv=invocation("ping")))


def test_fork_modules_from_ansible_cfg(monkeypatch, tmp_path):
    cfg = tmp_path / "ansible.cfg"
    cfg.write_text("[ns_mitogen]\nfork_modules = a, b\n")
    monkeypatch.delenv(_modules.FORK_MODULES_ENV, raising=False)
    monkeypatch.setattr(_modules.C, "CONFIG_FILE", str(cfg))
    assert _modules.configured_fork_modules() == ["a", "b"]


# ------------------------------------------------------------------ module-replacer-refused

@pytest.mark.parametrize("source, replacer", [
    (b"#<<INCLUDE_ANSIBLE_MODULE_COMMON>>\nmain()\n", True),
    (b"#<<INCLUDE_ANSIBLE_MODULE_COMMON>>\nfrom ansible.module_utils.basic import AnsibleModule\n", False),
    (b"from ansible.module_utils.basic import AnsibleModule\n", False),
])
def test_module_replacer_modules_are_recognised(tmp_path, source, replacer):
    path = tmp_path / "legacy.py"
    path.write_bytes(source)
    assert _modules.is_module_replacer(str(path)) is replacer


def test_a_module_replacer_module_is_refused_in_one_line(tmp_path, monkeypatch):
    path = tmp_path / "legacy.py"
    path.write_bytes(b"#<<INCLUDE_ANSIBLE_MODULE_COMMON>>\n")
    monkeypatch.setattr(_modules._engine.loaders.module_loader, "find_plugin", lambda name, suffix: str(path))
    invoke = _modules.MODULE_REPLACER.make(lambda inv: "ran")
    with pytest.raises(AnsibleError) as info:
        invoke(invocation("legacy"))
    assert "Module Replacer" in str(info.value) and "\n" not in str(info.value.message)
    monkeypatch.setattr(_modules._engine.loaders.module_loader, "find_plugin", lambda name, suffix: None)
    assert invoke(invocation("missing")) == "ran"  # the engine reports a missing module itself


# ------------------------------------------------------------------ collections-keyword

def test_a_short_name_resolved_through_the_collections_keyword_is_handed_over_as_fqcn(monkeypatch):
    loader = _modules._engine.loaders.module_loader
    found = types.SimpleNamespace(resolved=True, plugin_resolved_path="/c/ns/coll/plugins/modules/ping.py",
                                  resolved_fqcn="ns.coll.ping")
    monkeypatch.setattr(loader, "find_plugin_with_context", lambda name, suffix, collection_list=None: found)
    monkeypatch.setattr(loader, "find_plugin", lambda name, suffix: "/ansible/modules/ping.py")
    invoke = _modules.COLLECTIONS_KEYWORD.make(lambda inv: inv.module_name)
    inv = invocation("ping")
    inv.action = types.SimpleNamespace(_task=types.SimpleNamespace(collections=["ns.coll"]))
    assert invoke(inv) == "ns.coll.ping"
    inv = invocation("ping")
    inv.action = types.SimpleNamespace(_task=types.SimpleNamespace(collections=[]))
    assert invoke(inv) == "ping"


# ------------------------------------------------------------------ async-collection-module-utils

def test_collection_module_utils_are_found_without_running_code():
    source = b"from ansible_collections.community.general.plugins.module_utils._gitlab import gitlab_authentication\n"
    found = _modules.collection_module_utils("ansible_collections.x.y.plugins.modules.m", source)
    assert {"ansible_collections.community.general.plugins.module_utils._gitlab",
            "ansible_collections.community.general.plugins.module_utils._version"} <= set(found)  # and what it imports


class Planner:
    """The engine's planner, as far as the patch uses it (and weakly referable, like it)."""

    def __init__(self, inv):
        self._inv = inv
        self._module_map = None


def test_an_async_job_preloads_what_its_module_imports(monkeypatch):
    monkeypatch.setattr(_modules, "collection_module_utils", lambda fqn, source: ["ansible_collections.a.b.x"])
    get_module_map = _modules.ASYNC_MODULE_UTILS.make(lambda planner: {"builtin": ["ansible.module_utils.basic"]})
    inv = types.SimpleNamespace(wrap_async=True, module_path="/m.py", module_name="m", get_module_source=lambda: b"")
    planner = Planner(inv)
    monkeypatch.setattr(_modules._engine.planner, "py_modname_from_path", lambda name, path: "m")
    assert get_module_map(planner)["builtin"] == ["ansible.module_utils.basic", "ansible_collections.a.b.x"]
    inv.wrap_async = False
    assert get_module_map(Planner(inv))["builtin"] == ["ansible.module_utils.basic"]


# ------------------------------------------------------------------ async-flags-as-booleans

def test_async_flags_become_booleans_and_nothing_else_changes():
    result = {"stdout": json.dumps({"ansible_job_id": "1", "started": 1, "finished": 0, "rc": 0}), "rc": 0}
    fixed = _modules.async_flags_as_booleans(result)
    assert json.loads(fixed["stdout"]) == {"ansible_job_id": "1", "started": True, "finished": False, "rc": 0}
    plain = {"stdout": "hello"}
    assert _modules.async_flags_as_booleans(plain) is plain
    seen = []
    _modules.ASYNC_FLAGS.make(lambda self, res: seen.append(res))(None, result)
    assert json.loads(seen[0]["stdout"])["started"] is True


# ------------------------------------------------------------------ collections-listed-once

def test_collections_are_listed_once_per_play(monkeypatch, tmp_path):
    for name in ("a/one", "a/two", "b/three"):
        (tmp_path / "ansible_collections" / name).mkdir(parents=True)
    (tmp_path / "ansible_collections" / "a" / "file").write_text("")  # not a collection
    monkeypatch.setattr(_modules, "AnsibleCollectionConfig", types.SimpleNamespace(collection_paths=[str(tmp_path)]))
    load = _modules.COLLECTION_SCAN.make(None)
    inv = types.SimpleNamespace(_extra_sys_paths=set())
    load(inv)
    assert sorted(p[len(str(tmp_path)) + 1:] for p in inv._extra_sys_paths) == [  # pylint: disable=protected-access
        "ansible_collections/a/one", "ansible_collections/a/two", "ansible_collections/b/three"]
    assert PlayState.current.collection_dirs is not None
