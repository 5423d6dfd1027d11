"""Verifying the security log: every chain links entry to entry, every entry matches its keyed hash, and
every head the latest signed checkpoint names is still there, unchanged (so a deleted tail or an erased log
shows, not only an edited entry)."""

import hmac
from collections.abc import Iterator

from securitycenter.securitylog.breaks import ChainBreak
from securitycenter.securitylog.checkpoints import Checkpoint, CheckpointError, checkpoint_breaks, checkpoint_latest
from securitycenter.securitylog.models import SecurityEvent
from securitycenter.securitylog.record import GENESIS_HASH, UnknownKeyError, entry_hash

__all__ = ["ChainBreak", "security_log_verify"]

CHECKPOINT_CHAIN = "checkpoint"


def _chain_breaks(chain: str, covered_up_to: int) -> Iterator[ChainBreak]:
    expected_prev = GENESIS_HASH
    expected_seq = 1
    for event in SecurityEvent.objects.filter(chain=chain).order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected_seq:
            yield ChainBreak(chain, expected_seq, None, f"entry {expected_seq} is missing (next is {event.seq})")
            return
        if event.prev_hash != expected_prev:
            yield ChainBreak(chain, event.seq, event.pk, "does not link to the entry before it")
            return
        if not event.key_id and event.seq > covered_up_to:
            # Unkeyed entries are only those from before the chain was keyed, and the first checkpoint after
            # the upgrade covers them all; one past it was written by someone without the key.
            yield ChainBreak(chain, event.seq, event.pk, "unkeyed entry that no signed checkpoint covers")
            return
        try:
            digest = entry_hash(event)
        except UnknownKeyError:
            yield ChainBreak(chain, event.seq, event.pk, f"keyed with unknown key id {event.key_id!r}")
            return
        if not hmac.compare_digest(digest, event.hash):
            yield ChainBreak(chain, event.seq, event.pk, "content does not match its hash")
            return
        expected_prev = event.hash
        expected_seq += 1


def security_log_verify(
    *, chain: str | None = None, checkpoint: Checkpoint | None | bool = True, accept_unkeyed: bool = False
) -> list[ChainBreak]:
    """Check every chain (or one) and return the first break of each broken chain.

    `checkpoint`: True checks against the latest signed checkpoint in the store (the default), a Checkpoint
    against that one, None or False against none (the chains alone: a deleted tail then goes unseen).
    `accept_unkeyed` lets unkeyed entries pass on their plain hash: only before the first checkpoint after the
    upgrade to the keyed chain, which then covers them.
    """
    breaks: list[ChainBreak] = []
    against: Checkpoint | None = None
    if checkpoint is True:
        try:
            against = checkpoint_latest()
        except CheckpointError as exc:
            breaks.append(ChainBreak(CHECKPOINT_CHAIN, 0, None, str(exc)))
    elif isinstance(checkpoint, Checkpoint):
        against = checkpoint
    heads = against.heads if against is not None else {}
    if chain is not None:
        chains = [chain]
    else:
        stored = SecurityEvent.objects.order_by().values_list("chain", flat=True).distinct()
        chains = sorted(set(stored) | set(heads))
    for name in chains:
        covered_up_to = 2**63 if accept_unkeyed else heads.get(name, (0, ""))[0]
        found = list(_chain_breaks(name, covered_up_to))
        if not found and against is not None and name in heads:
            found = checkpoint_breaks(against, chain=name)
        breaks += found
    return breaks
