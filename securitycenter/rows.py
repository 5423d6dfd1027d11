"""Row-level locking helpers shared by every app (PostgreSQL row locks are what keep counters exact)."""

from typing import Any, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def row_for_update(model: type[M], **key: Any) -> M:
    """The row with `key`, created if missing, locked FOR UPDATE until the transaction ends.

    Creating with ON CONFLICT DO NOTHING first means two transactions racing on a row that does not exist
    yet both end up waiting on the same row, instead of one failing on the unique constraint.
    """
    model._default_manager.bulk_create([model(**key)], ignore_conflicts=True)
    return model._default_manager.select_for_update().get(**key)
