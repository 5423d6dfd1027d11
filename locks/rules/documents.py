"""The lock-settings document: its shape, its rules, and conversion from and to the database row.

The same document is what the app reads (`GET …/locks`), what it sends back partially (`PATCH`), what a
pending loosening stores and what the security log records as old and new values. Its serializers (the
shape of a request) are in `locks.rules.serializers`; the rules across fields are checked here, where
every change path passes.
"""

import re
from itertools import pairwise
from typing import Any

import pycountry

from locks.decision.patterns import whole
from locks.decision.policy import CHANNELS
from locks.models import LockSettings
from securitycenter.errors import ValidationFailed, field_error

LIMIT_KINDS = ("per_transaction", "daily", "monthly")
# Whatever the currency: an account in a currency without bank maximums must still not store an amount
# the compiled policy cannot encode (msgpack stops at 2**64).
MAX_AMOUNT = 10**15
HHMM = re.compile(whole("(?:[01][0-9]|2[0-3]):[0-5][0-9]|24:00"))


def region_code_normalize(code: str) -> str:
    """The ISO 3166 code `code` names, upper-cased; ValueError if it is neither a country nor a subdivision."""
    code = code.strip().upper()
    if "-" in code:
        if pycountry.subdivisions.get(code=code) is None:
            raise ValueError(f"{code!r} is not an ISO 3166-2 subdivision.")
    elif len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country.")
    return code


def minute_of_day(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def document_from_row(row: LockSettings) -> dict[str, Any]:
    limits = row.limits or {}
    return {
        "region": {"mode": row.region_mode, "regions": list(row.regions)},
        "time": {"windows": list(row.time_windows)},
        "limits": {
            "currency": row.account.currency,
            **{k: limits.get(k) for k in LIMIT_KINDS},
            "channels": dict(limits.get("channels", {})),
        },
        "channels": {name: name not in row.channels_off for name in CHANNELS},
        "freeze": {"card_not_present": row.freeze_card_not_present, "all_outgoing": row.freeze_all_outgoing},
        "cooling_off": {"threshold": row.cooling_off_threshold},
        "protection": {"elderly": row.elderly_protection},
    }


def document_merge(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`current` with the sections in `changes` replaced (channels and freeze merge switch by switch)."""
    merged = {k: (dict(v) if isinstance(v, dict) else v) for k, v in current.items()}
    for section, value in changes.items():
        if section in ("channels", "freeze"):
            merged[section] = {**merged[section], **value}
        elif section == "limits":
            merged["limits"] = {
                # Kept as given, so that document_validate_limits can refuse limits in another currency.
                "currency": value.get("currency") or merged["limits"]["currency"],
                **{k: value.get(k) for k in LIMIT_KINDS},
                "channels": {ch: dict(v) for ch, v in value.get("channels", {}).items()},
            }
        else:
            merged[section] = value
    return merged


def document_validate_limits(document: dict[str, Any], *, currency: str, ceilings: dict[str, int] | None) -> None:
    """Cross-field rules: the account's currency, per-transaction ≤ daily ≤ monthly, the bank's ceilings for
    the account's kind (`locks.rules.kinds`)."""
    limits = document["limits"]
    given_currency = limits.get("currency") or currency
    if given_currency != currency:
        raise field_error(
            "limits.currency", f"This account is in {currency}; limits must be in {currency}.", "currency_mismatch"
        )
    sets: list[tuple[str, dict[str, Any]]] = [("limits", limits)]
    sets += [(f"limits.channels.{ch}", v) for ch, v in limits.get("channels", {}).items()]
    for prefix, limit_set in sets:
        for kind in LIMIT_KINDS:
            value = limit_set.get(kind)
            if value is not None and ceilings and value > ceilings[kind]:
                raise _limit_error(prefix, kind, f"At most {ceilings[kind]} (the bank's maximum).", "above_bank_max")
        ordered = [(k, limit_set.get(k)) for k in LIMIT_KINDS if limit_set.get(k) is not None]
        for (lower_kind, lower), (higher_kind, higher) in pairwise(ordered):
            if lower is not None and higher is not None and lower > higher:
                raise _limit_error(
                    prefix, lower_kind, f"Must not exceed the {higher_kind.replace('_', '-')} limit.", "limit_order"
                )


def _limit_error(prefix: str, kind: str, message: str, code: str) -> ValidationFailed:
    # Field names in the error body are dotted paths, e.g. "limits.channels.atm.daily".
    return field_error(f"{prefix}.{kind}", message, code)


def row_apply_document(row: LockSettings, document: dict[str, Any]) -> None:
    row.region_mode = document["region"]["mode"]
    row.regions = list(document["region"]["regions"])
    row.time_windows = list(document["time"]["windows"])
    limits = document["limits"]
    row.limits = {
        **{k: limits.get(k) for k in LIMIT_KINDS},
        "channels": {
            ch: {k: v.get(k) for k in LIMIT_KINDS}
            for ch, v in limits.get("channels", {}).items()
            if any(v.get(k) is not None for k in LIMIT_KINDS)
        },
    }
    row.channels_off = sorted(name for name, on in document["channels"].items() if not on)
    row.freeze_card_not_present = bool(document["freeze"]["card_not_present"])
    row.freeze_all_outgoing = bool(document["freeze"]["all_outgoing"])
    row.cooling_off_threshold = document["cooling_off"]["threshold"]
    row.elderly_protection = bool(document["protection"]["elderly"])
