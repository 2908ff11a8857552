# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each case under cases/ gives what a user sees under stock linear, under ns.mitogen.linear and the callback way.

The harness is tests/nsmtest/parity.py. A case in REMAINING is a difference that
remains: the differences guide names it, and the test fails when it disappears
(so the guide is corrected).
"""

from __future__ import annotations

import pytest

from nsmtest import parity

# case -> why it still differs (docs/docsite/rst/guide_differences.rst says the same)
REMAINING: dict[str, str] = {
    "unreadable_login_dir": "a become user who may not enter the login user's home starts there only in its first "
                            "module; later modules and raw run in its own home (the interpreter cannot enter the "
                            "directory again once a module left it)",
}

_STOCK: dict[str, parity.Observation] = {}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("parity")


def stock_run(case, lab, workdir):
    if case.name not in _STOCK:
        _STOCK[case.name] = parity.observe(case, "stock", lab, workdir)
    return _STOCK[case.name]


@pytest.mark.parametrize("mode", ["ns-linear", "callback"])
@pytest.mark.parametrize("case", parity.cases(), ids=lambda c: c.name)
def test_a_user_sees_what_stock_shows(case, mode, lab, workdir):
    stock = stock_run(case, lab, workdir)
    assert stock.events, "the recorder saw nothing under stock:\n%s\n%s" % (stock.stdout[-2000:], stock.stderr[-2000:])
    ours = parity.observe(case, mode, lab, workdir)
    diff = parity.differences(stock, ours, case, label=mode)
    if case.name in REMAINING:
        assert diff, "case %s now gives what stock gives: take it out of REMAINING and the differences guide" % case.name
        pytest.xfail(REMAINING[case.name])
    assert not diff, "%s differs from stock:\n%s\n--- %s stderr:\n%s" % (mode, diff, mode, ours.stderr[-2000:])


def test_the_harness_sees_a_difference(lab, workdir):
    """The comparison can fail: the same case with one changed variable differs."""
    case = next(c for c in parity.cases() if c.name == "files_loops_handlers")
    stock = stock_run(case, lab, workdir)
    changed = parity.observe(case, "stock", lab, workdir, extra_args=("-e", "parity_dir=/srv/parity/elsewhere"))
    diff = parity.differences(stock, changed, case, label="changed")
    assert "/srv/parity/elsewhere" in diff
