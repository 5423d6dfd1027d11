"""Signed checkpoints of the security log, kept outside the database.

A checkpoint is every chain's head (its last sequence number and that entry's hash) at one moment, numbered
and signed with an Ed25519 key the database never sees. The hash chain alone cannot show a deleted tail or
an erased log (what is left still links up); a checkpoint can: each head it names must still be there, with
the same hash. The beat task writes one every SECURITY_LOG_CHECKPOINT_SECONDS when the log has moved on.
"""

import base64
import binascii
import json
import os
import re
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from securitycenter.securitylog.breaks import ChainBreak
from securitycenter.securitylog.models import SecurityEvent

FORMAT = "securitycenter.security-log-checkpoint.v1"


class CheckpointStore(Protocol):
    """Where checkpoints are kept: anything the database's users cannot rewrite."""

    def save(self, number: int, data: bytes) -> None: ...

    def latest(self) -> bytes | None: ...


class DirectoryStore:
    """One file per checkpoint in SECURITY_LOG_CHECKPOINT_DIR, under a folder per database, never overwritten."""

    _NAME = re.compile(r"^checkpoint-(\d{12})\.json$")

    def __init__(self, directory: str | Path | None = None) -> None:
        database = Path(str(connection.settings_dict["NAME"])).name or "default"
        self.directory = Path(directory or settings.SECURITY_LOG_CHECKPOINT_DIR) / re.sub(r"[^\w.-]", "_", database)

    def save(self, number: int, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self.directory / f"checkpoint-{number:012d}.json"
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".checkpoint-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.link(tmp, final)  # fails if the number exists: a checkpoint is written once, never replaced
        finally:
            os.unlink(tmp)

    def latest(self) -> bytes | None:
        if not self.directory.is_dir():
            return None
        numbered = [(int(m.group(1)), p) for p in self.directory.iterdir() if (m := self._NAME.match(p.name))]
        return max(numbered)[1].read_bytes() if numbered else None


def checkpoint_store() -> CheckpointStore:
    store: CheckpointStore = import_string(settings.SECURITY_LOG_CHECKPOINT_STORE)()
    return store


@dataclass(frozen=True)
class Checkpoint:
    number: int
    written_at: str
    heads: dict[str, tuple[int, str]]

    def payload(self) -> bytes:
        body = {
            "format": FORMAT,
            "number": self.number,
            "written_at": self.written_at,
            "heads": {chain: [seq, digest] for chain, (seq, digest) in sorted(self.heads.items())},
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


class CheckpointError(Exception):
    """The latest checkpoint cannot be trusted: unreadable, or not signed by a configured key."""


def _raw_key(value: str, name: str) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured(f"{name} is not base64.") from exc
    if len(raw) != 32:
        raise ImproperlyConfigured(f"{name} must be the base64 of 32 bytes (a raw Ed25519 key).")
    return raw


@lru_cache(maxsize=4)
def _signing_key(value: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_raw_key(value, "SECURITY_LOG_CHECKPOINT_SIGNING_KEY"))


@lru_cache(maxsize=4)
def _verify_keys(values: tuple[str, ...]) -> list[Ed25519PublicKey]:
    return [Ed25519PublicKey.from_public_bytes(_raw_key(v, "SECURITY_LOG_CHECKPOINT_VERIFY_KEYS")) for v in values if v]


def chain_heads() -> dict[str, tuple[int, str]]:
    """Every chain's last entry, read in one statement (one snapshot)."""
    if connection.vendor == "postgresql":
        rows = list(
            SecurityEvent.objects.order_by("chain", "-seq").distinct("chain").values_list("chain", "seq", "hash")
        )
    else:
        table = SecurityEvent._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT e.chain, e.seq, e.hash FROM {table} e JOIN "  # noqa: S608 - the model's own table name
                f"(SELECT chain, MAX(seq) AS seq FROM {table} GROUP BY chain) t ON t.chain = e.chain AND t.seq = e.seq"
            )
            rows = cursor.fetchall()
    return {str(chain): (int(seq), str(digest)) for chain, seq, digest in rows}


def checkpoint_encode(checkpoint: Checkpoint) -> bytes:
    if not settings.SECURITY_LOG_CHECKPOINT_SIGNING_KEY:
        raise ImproperlyConfigured("SECURITY_LOG_CHECKPOINT_SIGNING_KEY must be set where checkpoints are written.")
    payload = checkpoint.payload()
    signature = _signing_key(settings.SECURITY_LOG_CHECKPOINT_SIGNING_KEY).sign(payload)
    document = {"payload": payload.decode(), "signature": base64.b64encode(signature).decode()}
    return json.dumps(document, indent=1).encode()


def checkpoint_decode(data: bytes) -> Checkpoint:
    """The checkpoint in `data`, if a configured public key verifies its signature."""
    try:
        document = json.loads(data)
        payload = str(document["payload"]).encode()
        signature = base64.b64decode(document["signature"], validate=True)
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointError("the latest checkpoint is not readable") from exc
    for key in _verify_keys(tuple(settings.SECURITY_LOG_CHECKPOINT_VERIFY_KEYS)):
        try:
            key.verify(signature, payload)
        except InvalidSignature:
            continue
        body: dict[str, Any] = json.loads(payload)
        if body.get("format") != FORMAT:
            raise CheckpointError("the latest checkpoint has an unknown format")
        heads = {str(chain): (int(seq), str(digest)) for chain, (seq, digest) in body["heads"].items()}
        return Checkpoint(number=int(body["number"]), written_at=str(body["written_at"]), heads=heads)
    raise CheckpointError("the latest checkpoint is not signed by any key in SECURITY_LOG_CHECKPOINT_VERIFY_KEYS")


def checkpoint_latest(store: CheckpointStore | None = None) -> Checkpoint | None:
    data = (store or checkpoint_store()).latest()
    return checkpoint_decode(data) if data is not None else None


def security_log_checkpoint_write(*, force: bool = False) -> Checkpoint | None:
    """Sign and store the current heads as the next checkpoint; nothing when no chain moved since the last."""
    store = checkpoint_store()
    latest = checkpoint_latest(store)
    heads = chain_heads()
    if latest is not None and latest.heads == heads and not force:
        return None
    # Never sign a log that lost what the last checkpoint saw: that would launder a deleted tail.
    if latest is not None and (breaks := checkpoint_breaks(latest)):
        raise CheckpointError(f"not signing: the log no longer matches checkpoint {latest.number}: {breaks[0]}")
    checkpoint = Checkpoint(
        number=(latest.number + 1) if latest else 1,
        written_at=timezone.now().isoformat(timespec="seconds"),
        heads=heads,
    )
    store.save(checkpoint.number, checkpoint_encode(checkpoint))
    return checkpoint


def checkpoint_breaks(checkpoint: Checkpoint, *, chain: str | None = None) -> list[ChainBreak]:
    """Each head the checkpoint names that the database no longer holds, or holds with another hash."""
    heads = sorted(checkpoint.heads.items()) if chain is None else [(chain, checkpoint.heads[chain])]
    breaks: list[ChainBreak] = []
    for start in range(0, len(heads), 500):
        batch = heads[start : start + 500]
        match = Q()
        for name, (seq, _) in batch:
            match |= Q(chain=name, seq=seq)
        rows = SecurityEvent.objects.filter(match).values_list("pk", "chain", "seq", "hash")
        found = {(c, s): (pk, h) for pk, c, s, h in rows}
        for name, (seq, digest) in batch:
            if (name, seq) not in found:
                problem = f"entry {seq}, the head in checkpoint {checkpoint.number}, is missing (deleted or erased)"
                breaks.append(ChainBreak(name, seq, None, problem))
            elif found[name, seq][1] != digest:
                problem = f"entry {seq} differs from checkpoint {checkpoint.number} (rewritten)"
                breaks.append(ChainBreak(name, seq, found[name, seq][0], problem))
    return breaks
