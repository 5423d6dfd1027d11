"""The call-back queue: open cases in the order to call them (`locks.callbacks.queue`'s order, the API's too),
with how long each has waited, how long is left before a held payment is released, and who holds a claim."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from console.access import console_page, console_render
from console.labels import CASE_KINDS, PRIORITIES
from locks.callbacks.queue import callback_queue

QUEUE_PAGE = 100


@require_GET
@console_page("accounts.view_queue")
def queue(request: HttpRequest) -> HttpResponse:
    entries = callback_queue(agent=request.staff, limit=QUEUE_PAGE)  # type: ignore[attr-defined]
    return console_render(
        request,
        "console/queue.html",
        {"nav": "queue", "entries": entries, "kinds": CASE_KINDS, "priorities": PRIORITIES},
    )
