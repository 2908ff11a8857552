# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine boundary: patch targets, the shape check, installing and removing."""

from __future__ import annotations

import types

import ansible_mitogen.connection
import ansible_mitogen.planner
import pytest

from ansible_collections.ns.mitogen.plugins.plugin_utils import _engine


def patch(target, shape, make=lambda original: "replacement"):
    return _engine.Patch(name="example", target=target, why="w", test="t", make=make, shape=shape)


def test_a_target_outside_the_engine_is_refused():
    with pytest.raises(ValueError, match="not an engine symbol"):
        patch("ansible.plugins.loader.get", ("name",))


@pytest.mark.parametrize("target, shape", [
    ("ansible_mitogen.planner.invoke", ("invocation",)),
    ("ansible_mitogen.connection.Connection._connect_stack", ("self", "stack")),
    ("ansible_mitogen.connection.CONNECTION_METHOD", dict),
    ("ansible_mitogen.connection.CONNECTION_METHOD['ssh']", ("spec",)),
    ("ansible_mitogen.connection.CallChain.call_aborted_msg", str),
])
def test_the_installed_engine_has_the_expected_shapes(target, shape):
    assert _engine.shape_problem(patch(target, shape)) is None


@pytest.mark.parametrize("target, shape, words", [
    ("ansible_mitogen.planner.no_such_function", ("invocation",), "has no ansible_mitogen.planner.no_such_function"),
    ("ansible_mitogen.connection.CONNECTION_METHOD['telnet']", ("spec",), "has no ansible_mitogen.connection"),
    ("ansible_mitogen.planner.invoke", ("invocation", "extra"), "invoke(invocation), where ns.mitogen expects "
                                                                "(invocation, extra)"),
    ("ansible_mitogen.connection.CallChain.call_aborted_msg", dict, "has a str as"),
])
def test_a_changed_engine_is_one_line_naming_version_attribute_and_patch(target, shape, words):
    message = _engine.shape_problem(patch(target, shape))
    assert words in message
    assert "mitogen 0." in message and "patch example" in message and "\n" not in message


def test_a_renamed_attribute_is_found(monkeypatch):
    monkeypatch.delattr(ansible_mitogen.planner, "invoke")
    assert "has no ansible_mitogen.planner.invoke" in _engine.shape_problem(patch("ansible_mitogen.planner.invoke",
                                                                                  ("invocation",)))


def test_installed_patches_wrap_in_order_and_leave_the_engine_as_it_was():
    original_invoke = ansible_mitogen.planner.invoke
    original_ssh = ansible_mitogen.connection.CONNECTION_METHOD["ssh"]
    installed = _engine.Installed()
    installed.install(patch("ansible_mitogen.planner.invoke", ("invocation",), make=lambda o: ("outer", o)))
    installed.install(patch("ansible_mitogen.connection.CONNECTION_METHOD['ssh']", ("spec",), make=lambda o: "ssh!"))
    assert ansible_mitogen.planner.invoke == ("outer", original_invoke)
    assert ansible_mitogen.connection.CONNECTION_METHOD["ssh"] == "ssh!"
    installed.remove_all()
    assert ansible_mitogen.planner.invoke is original_invoke
    assert ansible_mitogen.connection.CONNECTION_METHOD["ssh"] is original_ssh


def test_an_inherited_method_is_deleted_again_not_copied_onto_the_subclass():
    cls = ansible_mitogen.connection.Connection
    assert "get_option" not in vars(cls)  # inherited from AnsiblePlugin
    installed = _engine.Installed()
    installed.install(patch("ansible_mitogen.connection.Connection.get_option", ("self", "option", "hostvars")))
    assert vars(cls)["get_option"] == "replacement"
    installed.remove_all()
    assert "get_option" not in vars(cls)


def test_stand_ins_refuse_to_start_with_the_controller_problem(monkeypatch):
    monkeypatch.setattr(_engine._support, "check_controller", lambda: "ns.mitogen needs the Python package 'mitogen'")
    for cls in (_engine._StandInStrategy, _engine._StandInConnection):  # pylint: disable=protected-access
        with pytest.raises(Exception, match="needs the Python package 'mitogen'"):
            cls()


def test_engine_classes_are_the_engines_own():
    assert _engine.EngineStrategyMixin.__module__ == "ansible_mitogen.strategy"
    assert _engine.SshConnection.__module__ == "ansible_mitogen.plugins.connection.mitogen_ssh"
    assert _engine.LocalConnection.transport == "local" and _engine.DockerConnection.transport == "docker"


def test_engine_running_follows_the_worker_model(monkeypatch):
    monkeypatch.setattr(_engine.process, "_worker_model", None)
    assert not _engine.engine_running()
    monkeypatch.setattr(_engine.process, "_worker_model", types.SimpleNamespace())
    assert _engine.engine_running()
