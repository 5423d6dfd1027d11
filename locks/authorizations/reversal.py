"""The payment failed or was refunded: its counted amount goes back to the limits, once."""

from dataclasses import dataclass
from functools import partial

from django.db import transaction
from django.utils import timezone

from locks.counters import counted_amount_give_back
from locks.holds.services import hold_withdraw
from locks.models import Authorization, Hold
from securitycenter.errors import NotFound


@dataclass(frozen=True)
class Reversal:
    transaction_id: str
    amount_returned: int
    already_reversed: bool


def authorization_reverse(*, transaction_id: str, client_id: int) -> Reversal:
    """Give a counted amount back to the counters, once however often it is called.

    A transfer still held never leaves once the payment core gives up on it: its hold is withdrawn
    (cancelled, by the service), which gives the amount back and tells the payment core by webhook.
    """
    held = (
        Hold.objects.filter(authorization__transaction_id=transaction_id, client_id=client_id, status=Hold.Status.HELD)
        .values_list("pk", flat=True)
        .first()
    )
    if held is not None and (withdrawn := hold_withdraw(hold_id=held, client_id=client_id)) is not None:
        return Reversal(transaction_id, withdrawn.amount, False)
    now = timezone.now()
    with transaction.atomic():
        row = (
            Authorization.objects.select_for_update().filter(transaction_id=transaction_id, client_id=client_id).first()
        )
        if row is None:
            raise NotFound("No decision was recorded for this transaction.", field="transaction_id")
        if row.reversed_at is not None or not row.counted:
            return Reversal(transaction_id, 0, row.reversed_at is not None)
        row.reversed_at = now
        row.save(update_fields=["reversed_at"])
        transaction.on_commit(partial(counted_amount_give_back, row))
    return Reversal(transaction_id, row.amount, False)
