"""The call-back queue: open cases, most urgent first, with how long each has waited and how long is left before
a held payment is released."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from console.access import console_page, console_render
from console.labels import CASE_KINDS, PRIORITIES
from locks.cases.selectors import cases_open_queue

QUEUE_PAGE = 100


@require_GET
@console_page("accounts.view_queue")
def queue(request: HttpRequest) -> HttpResponse:
    cases = list(cases_open_queue()[:QUEUE_PAGE])
    return console_render(
        request,
        "console/queue.html",
        {"nav": "queue", "cases": cases, "kinds": CASE_KINDS, "priorities": PRIORITIES},
    )
