# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A module's payload as ansible-core builds it: arguments, serialization profile, ansible-core's checks."""

from __future__ import annotations

import datetime
import importlib.util
import json
import types

import pytest
from ansible.errors import AnsibleError
from ansible.plugins.loader import module_utils_loader

from ansible_collections.ns.mitogen.plugins.plugin_utils import _payload
from ansible_collections.ns.mitogen.plugins.plugin_utils._state import PlayState

HAS_EMBED = importlib.util.find_spec("ansible.module_utils.embed") is not None  # ansible-core >= 2.21


@pytest.fixture(autouse=True)
def fresh_state():
    PlayState.begin()


class Obj(types.SimpleNamespace):
    """An engine object (a planner, an action): weakly referable, as ns.mitogen keeps them in weak maps."""

    __hash__ = object.__hash__


def module(tmp_path, name, source, directory="library"):
    path = tmp_path / directory / ("%s.py" % name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)
    return str(path)


# ------------------------------------------------------------------ arguments and profile

DATA = {"date": datetime.date(2024, 1, 2), "datetime": datetime.datetime(2024, 1, 2, 3, 4, 5), "n": [1, None]}


def test_legacy_arguments_are_iso_strings_as_under_ansible_core():
    assert _payload.encoded_arguments({"data": DATA}, "legacy") == {
        "data": {"date": "2024-01-02", "datetime": "2024-01-02T03:04:05", "n": [1, None]}}


def test_modern_arguments_keep_their_types_for_the_module_to_decode():
    encoded = _payload.encoded_arguments({"data": DATA}, "modern")
    assert encoded["data"]["date"]["iso8601"] == "2024-01-02" and "__ansible_type" in encoded["data"]["date"]
    json.dumps(encoded)  # plain JSON: it travels to the target as any argument


def test_a_module_is_legacy_unless_ansible_core_reads_its_metadata(monkeypatch):
    source = b'METADATA = """\nschema_version: 1\nserialization_profile: modern\n"""\n'
    assert _payload.serialization_profile(source) == "legacy"
    monkeypatch.setenv("_ANSIBLE_MODULE_METADATA", "1")
    assert _payload.serialization_profile(source) == "modern"
    assert _payload.serialization_profile(b"x = 1\n") == "legacy"


def planner(args):
    action = Obj()
    return Obj(_inv=Obj(action=action, module_args=args, get_module_source=lambda: b""))


def test_the_planner_sends_encoded_arguments_and_keeps_the_task_s():
    seen = []
    get_kwargs = _payload.ARGUMENTS.make(lambda self, **kwargs: seen.append(self._inv.module_args) or dict(kwargs))
    plan = planner({"data": DATA})
    assert get_kwargs(plan, cwd="/x") == {"cwd": "/x"}  # legacy: no profile for the target
    assert seen == [{"data": {"date": "2024-01-02", "datetime": "2024-01-02T03:04:05", "n": [1, None]}}]
    assert plan._inv.module_args == {"data": DATA}  # pylint: disable=protected-access
    assert PlayState.current.profiles[plan._inv.action] == "legacy"  # pylint: disable=protected-access


def test_a_result_is_read_with_the_module_s_profile():
    class Action:
        def _parse_returned_data(self, res, profile):
            return (res, profile)

    postprocess = _payload.RESULT.make(lambda self, result: self._parse_returned_data(result, profile="legacy"))
    action = Action()
    assert postprocess(action, "out") == ("out", "legacy")
    PlayState.current.profiles[action] = "modern"
    assert postprocess(action, "out") == ("out", "modern")
    assert "_parse_returned_data" not in vars(action)  # the engine's own method again


# ------------------------------------------------------------------ ansible-core's checks

@pytest.mark.parametrize("stdout, expected", [
    ('{"failed": true, "msg": "No module named \'ansible.module_utils.zebra\'"}', True),
    ('{"failed": true, "exception": {"event": {"msg": "No module named \'ansible_collections.a.b\'"}}}', True),
    ('{"failed": true, "msg": "No module named \'requests\'"}', False),
    ('{"changed": false, "msg": "No module named \'ansible.module_utils.zebra\'"}', False),
    ("not json", False),
    (None, False),
])
def test_a_failed_import_of_module_utils(stdout, expected):
    assert _payload.failed_import(stdout) is expected


MISSING = "from ansible.module_utils.parity_nowhere import x\nfrom ansible.module_utils.basic import AnsibleModule\n"


def test_a_failed_import_fails_as_ansible_core_says(tmp_path):
    path = module(tmp_path, "parity_missing", MISSING)
    postprocess = _payload.IMPORT_CHECK.make(lambda self, result: "parsed")
    action = Obj()
    PlayState.current.payloads[action] = ("parity_missing", path)
    failed = {"rc": 1, "stdout": '{"failed": true, "msg": "No module named \'ansible.module_utils.parity_nowhere\'"}'}
    with pytest.raises(AnsibleError, match=r"Could not find imported module support code for "
                                           r"ansible\.legacy\.parity_missing\. Looked for"):
        postprocess(action, failed)
    assert postprocess(action, {"rc": 0, "stdout": '{"changed": false}'}) == "parsed"


@pytest.mark.skipif(not HAS_EMBED, reason="EmbedManager is ansible-core 2.21's")
def test_an_embed_request_ansible_core_refuses_fails_before_the_module_runs(tmp_path, monkeypatch):
    path = module(tmp_path, "parity_embed", "from ansible.module_utils.embed import EmbedManager\n"
                                            "from ansible.module_utils.basic import AnsibleModule\n")
    monkeypatch.setattr(_payload._engine.loaders.module_loader, "find_plugin",  # pylint: disable=protected-access
                        lambda name, suffix: path)
    ran = []
    invoke = _payload.PAYLOAD_CHECKS.make(ran.append)
    invocation = Obj(module_name="parity_embed", action=Obj())
    with pytest.raises(AnsibleError, match="no EmbedManager.embed calls were found"):
        invoke(invocation)
    assert not ran


def test_a_module_without_embeds_runs_and_is_remembered_for_its_result(tmp_path, monkeypatch):
    path = module(tmp_path, "parity_plain", "from ansible.module_utils.basic import AnsibleModule\n")
    monkeypatch.setattr(_payload._engine.loaders.module_loader, "find_plugin",  # pylint: disable=protected-access
                        lambda name, suffix: path)
    invoke = _payload.PAYLOAD_CHECKS.make(lambda invocation: "ran")
    invocation = Obj(module_name="parity_plain", action=Obj())
    assert invoke(invocation) == "ran"
    assert PlayState.current.payloads[invocation.action] == ("parity_plain", path)


# ------------------------------------------------------------------ new-style detection and relative imports

@pytest.mark.parametrize("source, expected", [
    (b"from ansible.module_utils.basic import AnsibleModule\n", True),
    (b"from ansible_collections.ns.c.plugins.module_utils.x import y\n", True),
    (b"from ..module_utils.basic import AnsibleModule\n", True),
    (b"from ansible.module_utils import basic\n", True),
    (b"import ansible.module_utils.basic\n", True),
    (b"#!/bin/sh\necho '{}'\n", False),
])
def test_python_modules_are_recognised_as_ansible_core_recognises_them(source, expected):
    original = _payload.re.compile(rb"from ansible(?:_collections|\.module_utils)\.")  # the engine's own
    assert bool(_payload.NEW_STYLE.make(original).search(source)) is expected


RELATIVE = "from ..module_utils.basic import AnsibleModule\nfrom ..module_utils.parity_util import ANSWER\n"


def test_a_role_module_gets_the_module_utils_it_imports_relatively(tmp_path):
    role = tmp_path / "roles" / "r"
    path = module(role, "parity_relative", RELATIVE)
    util = module(role, "parity_util", "ANSWER = 42\n", directory="module_utils")
    module_utils_loader.add_directory(str(role / "module_utils"))
    from ansible.executor import module_common  # pylint: disable=import-outside-toplevel

    source = RELATIVE.encode()
    invocation = Obj(module_name="parity_relative", module_path=path, get_module_source=lambda: source)
    plan = Obj(_inv=invocation, _module_map=None)
    get_module_map = _payload.RELATIVE_IMPORTS.make(lambda self: {"builtin": [], "custom": []})
    assert get_module_map(plan)["custom"] == [("ansible.module_utils.parity_util", util, False)]
    assert plan._module_map["custom"] == [("ansible.module_utils.parity_util", util, False)]  # pylint: disable=protected-access
    assert module_common._MODULE_UTILS_PATH  # pylint: disable=protected-access  # what counts as ansible-core's own
