"""Beat task of the security log: a signed checkpoint of every chain's head, outside the database."""

import logging

from celery import shared_task

from securitycenter.securitylog.checkpoints import security_log_checkpoint_write

logger = logging.getLogger(__name__)


@shared_task
def security_log_checkpoint() -> int | None:
    """Write the next checkpoint if the log moved on; its number, or None. Idempotent: an unchanged log is
    not checkpointed again, and a log that lost what the last checkpoint saw is refused (CheckpointError)."""
    checkpoint = security_log_checkpoint_write()
    if checkpoint is None:
        return None
    logger.info("security-log checkpoint %s: %s chains", checkpoint.number, len(checkpoint.heads))
    return checkpoint.number
