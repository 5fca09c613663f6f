"""A submission's verdict arriving test by test, in direct mode."""

from __future__ import annotations

from .submission_events import check_tests_arrive_while_judging


def test_tests_arrive_while_the_submission_is_judged(admin, alice, bob):
    check_tests_arrive_while_judging(admin, alice, bob)
