"""Every task of the project may be run again after a worker dies, and none runs unbounded."""

from django.conf import settings

from securitycenter.celery import app


def project_tasks():
    app.loader.import_default_modules()
    return {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}


def test_every_task_module_is_imported_and_has_tasks():
    tasks = project_tasks()
    modules = {task.__module__ for task in tasks.values()}
    assert modules == set(settings.CELERY_IMPORTS)


def test_every_task_is_acknowledged_late_and_requeued_when_its_worker_is_lost():
    for name, task in project_tasks().items():
        assert task.acks_late is True, name
        assert task.reject_on_worker_lost is True, name


def test_every_task_has_a_soft_and_a_hard_time_limit():
    assert 0 < app.conf.task_soft_time_limit < app.conf.task_time_limit
    for name, task in project_tasks().items():
        # A task's own limit would override the settings': none has one that is unbounded.
        assert task.time_limit in (None, app.conf.task_time_limit), name
        assert task.soft_time_limit in (None, app.conf.task_soft_time_limit), name
    assert app.conf.worker_prefetch_multiplier == 1
