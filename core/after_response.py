"""Work that may wait until the client has its answer.

`after_response(task)` runs `task` when the response being served has been sent (Django's
request_finished signal, sent when the WSGI server closes the response), or at once when
no request is being served (the management commands, a shell). A task's failure is
logged: the client already has its answer, and the task must not change it.
"""

import logging
import threading
from collections.abc import Callable

from django.core.signals import request_finished, request_started
from django.dispatch import receiver

logger = logging.getLogger("loyalty.after_response")

# The tasks of the request this thread is serving; None while it serves none.
_serving = threading.local()


def after_response(task: Callable[[], None]) -> None:
    tasks = getattr(_serving, "tasks", None)
    if tasks is None:
        task()
    else:
        tasks.append(task)


@receiver(request_started, dispatch_uid="core.after_response.started")
def _request_started(**kwargs: object) -> None:
    _run(getattr(_serving, "tasks", None))  # left by a response that was never closed
    _serving.tasks = []


@receiver(request_finished, dispatch_uid="core.after_response.finished")
def _request_finished(**kwargs: object) -> None:
    tasks = getattr(_serving, "tasks", None)
    _serving.tasks = None
    _run(tasks)


def _run(tasks: list[Callable[[], None]] | None) -> None:
    for task in tasks or ():
        try:
            task()
        except Exception:
            logger.exception("a task run after the response failed")
