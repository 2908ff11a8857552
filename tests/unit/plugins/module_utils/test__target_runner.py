# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A module's exception is reported as ansible-core's module wrapper reports it."""

from __future__ import annotations

import json

import pytest

from ansible_collections.ns.mitogen.plugins.module_utils import _target_runner


def reported(capsys, run_code) -> tuple[int, dict]:
    with pytest.raises(SystemExit) as exit_info:
        _target_runner._reporting(run_code)(None, None)  # pylint: disable=protected-access
    return exit_info.value.code, json.loads(capsys.readouterr().out)


def test_an_exception_becomes_a_failed_result_with_its_message(capsys):
    def run_code(code, mod):
        raise ValueError("boom")

    code, result = reported(capsys, run_code)
    assert code == 1 and result["failed"] is True
    assert result["exception"]["event"]["msg"] == "boom"


def test_returning_without_exit_fails_as_ansible_core_says(capsys):
    code, result = reported(capsys, lambda code, mod: None)
    assert code == 1 and result["exception"]["event"]["msg"] == _target_runner.NO_EXIT


def test_the_module_s_own_exit_passes_through(capsys):
    def run_code(code, mod):
        raise SystemExit(0)

    with pytest.raises(SystemExit) as exit_info:
        _target_runner._reporting(run_code)(None, None)  # pylint: disable=protected-access
    assert exit_info.value.code == 0 and capsys.readouterr().out == ""
