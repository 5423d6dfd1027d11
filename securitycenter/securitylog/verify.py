"""Verifying the security log: every chain links entry to entry and every entry matches its hash."""

from collections.abc import Iterator
from dataclasses import dataclass

from securitycenter.securitylog.models import SecurityEvent, SecurityLogHead
from securitycenter.securitylog.record import GENESIS_HASH, entry_hash


@dataclass(frozen=True)
class ChainBreak:
    chain: str
    seq: int
    event_id: int | None
    problem: str


def _chain_breaks(chain: str) -> Iterator[ChainBreak]:
    expected_prev = GENESIS_HASH
    expected_seq = 1
    for event in SecurityEvent.objects.filter(chain=chain).order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected_seq:
            yield ChainBreak(chain, expected_seq, None, f"entry {expected_seq} is missing (next is {event.seq})")
            return
        if event.prev_hash != expected_prev:
            yield ChainBreak(chain, event.seq, event.pk, "does not link to the entry before it")
            return
        if entry_hash(event) != event.hash:
            yield ChainBreak(chain, event.seq, event.pk, "content does not match its hash")
            return
        expected_prev = event.hash
        expected_seq += 1
    head = SecurityLogHead.objects.filter(chain=chain).first()
    if head is not None and head.seq != expected_seq - 1:
        yield ChainBreak(chain, expected_seq, None, f"chain ends at {expected_seq - 1} but its head says {head.seq}")


def security_log_verify(*, chain: str | None = None) -> list[ChainBreak]:
    """Check every chain (or one) and return the first broken entry of each broken chain."""
    chains = [chain] if chain else list(SecurityLogHead.objects.order_by("chain").values_list("chain", flat=True))
    if chain is None:
        chains = sorted(set(chains) | set(SecurityEvent.objects.values_list("chain", flat=True).distinct()))
    return [brk for name in chains for brk in _chain_breaks(name)]
