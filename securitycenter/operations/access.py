"""The operator token: metrics and the detailed health answer are for the bank's operators only.

`OPERATOR_TOKENS` (comma separated, so a new one can be rolled out before the old is dropped) is sent as
`Authorization: Bearer <token>` (what Prometheus' `authorization` scrape setting sends). With none set,
nobody is an operator.
"""

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from securitycenter.problems import problem, problem_response

CHALLENGE = 'Bearer realm="operations"'


def operator_request(request: HttpRequest) -> bool:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header[:7].lower() != "bearer ":
        return False
    sent = header[7:].strip().encode()
    # Every token is compared, each in constant time: which one matched, or how much of it, is not timed.
    matched = False
    for token in settings.OPERATOR_TOKENS:
        matched |= hmac.compare_digest(sent, token.encode())
    return matched


def operator_refusal() -> HttpResponse:
    body = problem(
        status_code=401, code="not_authenticated", detail="Send the operator token: Authorization: Bearer <token>."
    )
    return problem_response(body, {"WWW-Authenticate": CHALLENGE})
