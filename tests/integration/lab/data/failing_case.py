# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A test that fails on purpose while a lab is up (run by test_lifecycle.py)."""

from __future__ import annotations

import pytest

from nsmtest.lab import Lab


@pytest.fixture
def small_lab():
    lab = Lab.from_env()
    lab.up(2)
    try:
        yield lab
    finally:
        lab.down()


def test_fails_with_the_lab_up(small_lab):
    assert small_lab.host_count() == 2
    assert small_lab.leftovers()
    raise AssertionError("deliberate failure")
