# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ns.mitogen.sudo and ns.mitogen.su are the stock plugins outside ns.mitogen strategies."""

from __future__ import annotations

import re

import pytest
from ansible.plugins.become import su as stock_su
from ansible.plugins.become import sudo as stock_sudo
from doc_sources import missing_sources

from ansible_collections.community.general.plugins.become import doas as stock_doas
from ansible_collections.ns.mitogen.plugins.become import doas, su, sudo

PAIRS = [pytest.param(sudo, stock_sudo, id="sudo"), pytest.param(su, stock_su, id="su"),
         pytest.param(doas, stock_doas, id="doas")]
STOCK = {"sudo": "ansible.builtin.sudo", "su": "ansible.builtin.su", "doas": "community.general.doas"}


@pytest.mark.parametrize("ours, stock", PAIRS)
def test_every_stock_option_and_source_is_documented(ours, stock):
    """Fails when the installed ansible-core's plugin gains an option or a source we lack."""
    assert missing_sources(ours.DOCUMENTATION, stock.DOCUMENTATION) == []


@pytest.fixture(scope="module")
def loaders():
    """Plugins as Ansible loads them, so that their documented options are registered."""
    from ansible.plugins.loader import become_loader, shell_loader  # pylint: disable=import-outside-toplevel

    return become_loader, shell_loader.get("sh")


def command(loaders, name, options, cmd="echo hi"):
    become_loader, shell = loaders
    plugin = become_loader.get(name)
    plugin.set_options(direct=dict(options))
    built = plugin.build_become_command(cmd, shell)
    # The success marker and the prompt's key are random per command: make both sides use the same.
    return tuple(re.sub(r"key=[a-z]+", "key=KEY", text.replace(plugin.success, "SUCCESS"))
                 for text in (built, str(plugin.prompt)))


@pytest.mark.parametrize("method", ["sudo", "su", "doas"])
@pytest.mark.parametrize("options", [
    {},
    {"become_user": "app"},
    {"become_user": "app", "become_pass": "secret"},
    {"become_exe": "/usr/local/bin/x", "become_flags": "-l"},
    {"become_flags": "", "become_user": "guest"},
    {"become_flags": "-n -s", "become_user": "app", "become_pass": "secret"},
])
def test_command_is_the_stock_command(loaders, method, options):
    ours = command(loaders, "ns.mitogen." + method, options)
    assert ours == command(loaders, STOCK[method], options)
    assert "echo hi" in ours[0]


@pytest.mark.parametrize("options, pipelining", [({}, False), ({"allow_pipelining": True}, True)])
def test_doas_pipelining_and_prompts_are_the_stock_ones(loaders, options, pipelining):
    become_loader, _shell = loaders
    for name in ("ns.mitogen.doas", "community.general.doas"):
        plugin = become_loader.get(name)
        plugin.set_options(direct=dict(options))
        assert plugin.pipelining is pipelining
        assert plugin.check_password_prompt(b"doas (deploy@target1) password: ")
        assert not plugin.check_password_prompt(b"welcome")


def test_sudo_chdir_is_the_stock_command(loaders):
    ours = command(loaders, "ns.mitogen.sudo", {"sudo_chdir": "/srv"})
    assert ours == command(loaders, "ansible.builtin.sudo", {"sudo_chdir": "/srv"})
    assert "/srv" in ours[0]
