"""The worker's heartbeat: beat sends one to every queue; the worker that runs it proves that queue is served."""

from celery import shared_task

from securitycenter.operations.heartbeats import heartbeat_record, worker_heartbeat_name


@shared_task(ignore_result=True)
def operations_heartbeat(queue: str) -> None:
    heartbeat_record(worker_heartbeat_name(queue))
