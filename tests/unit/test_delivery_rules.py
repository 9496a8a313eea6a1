"""When a failed webhook attempt is tried again, and when it is given up on."""

from __future__ import annotations

from datetime import timedelta

import pytest

from autoassign.core.deliveries import DeliveryStatus
from autoassign.core.ports.deliveries import AttemptKind, AttemptResult, OutgoingDelivery
from autoassign.services.deliveries import DeliveryRules, settle
from tests.factories import T0

RULES = DeliveryRules(attempts=4, retry_delay=1.0, max_retry_delay=3.0)


def made(attempts: int) -> OutgoingDelivery:
    return OutgoingDelivery(1, "id", 1, 1, "https://x.test/", "s", "e", b"{}", attempts)


def result(kind: AttemptKind) -> AttemptResult:
    return AttemptResult(kind, 1.0, 500 if kind is AttemptKind.FAILED else None)


@pytest.mark.parametrize(("before", "delay"), [(0, 1.0), (1, 2.0), (2, 3.0)])
def test_a_failed_attempt_is_retried_later_doubling_up_to_the_maximum(before: int, delay: float):
    settled = settle(RULES, made(before), result(AttemptKind.FAILED), T0)
    assert settled.status is DeliveryStatus.PENDING
    assert settled.next_attempt_at == T0 + timedelta(seconds=delay)


def test_the_last_attempt_failing_fails_the_delivery():
    settled = settle(RULES, made(3), result(AttemptKind.FAILED), T0)
    assert (settled.status, settled.next_attempt_at) == (DeliveryStatus.FAILED, None)


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        (AttemptKind.DELIVERED, DeliveryStatus.DELIVERED),
        (AttemptKind.REFUSED, DeliveryStatus.REFUSED),  # asking again cannot help
        (AttemptKind.BROKEN, DeliveryStatus.FAILED),  # nor can it for a malformed URL
    ],
)
def test_what_is_never_retried(kind: AttemptKind, status: DeliveryStatus):
    settled = settle(RULES, made(0), result(kind), T0)
    assert (settled.status, settled.next_attempt_at) == (status, None)
