# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""On the target: what ends before the user module removes an account, and what never does."""

from __future__ import annotations

import os
import pwd

from ansible_collections.ns.mitogen.plugins.module_utils import _target_accounts


def test_an_account_that_does_not_exist_ends_nothing():
    assert _target_accounts.end_interpreters_of("ns_mitogen_no_such_account", None, 1.0, econtext=None) == []


def test_the_login_s_own_account_ends_nothing():
    own = pwd.getpwuid(os.geteuid()).pw_name
    assert _target_accounts.end_interpreters_of(own, None, 1.0, econtext=None) == []
