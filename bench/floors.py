"""The floors of the hot path's stack (issue 14): what the same server, Django and stores allow, measured
beside the hot path in the same run (bench/bench_http.py, bench/bench_batch.py), so that each figure of the
hot path has a ratio to what it cannot beat.

- F0bare: a Django view that decodes the same body with msgspec and answers with orjson, with no middleware
  (bench/wsgi_floors.py routes it to a handler without any).
- F0: the same view behind the middleware of the stack being measured (the payment core's or the service's).
- F1: F0 + one EVALSHA of a one-command script (INCRBY on a key of the account).
- F2: F1 + one committed single-row INSERT (autocommit, as the hot path's record).
- F1b: the batch floor: decode the batch, one EVALSHA of the one-command script per item in one pipelined
  round trip, answer every item with orjson.

Not a deployment: these views have no authentication and are only mounted by bench/urls_floors.py.
"""

from typing import Final

import msgspec
import orjson
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from locks.authorizations.request import AuthorizationRequest, BatchRequest
from securitycenter.redis import redis_client

_decoder = msgspec.json.Decoder(AuthorizationRequest)
_batch_decoder = msgspec.json.Decoder(BatchRequest)
_SCRIPT: Final = "return redis.call('INCRBY', KEYS[1], ARGV[1])"
_INSERT: Final = (
    "INSERT INTO bench_floor_record (transaction_id, account_id, amount, created_at) VALUES (%s, %s, %s, now())"
)
CREATE_TABLE: Final = (
    "CREATE TABLE IF NOT EXISTS bench_floor_record (id bigserial PRIMARY KEY, transaction_id text NOT NULL,"
    " account_id bigint, amount bigint NOT NULL, created_at timestamptz NOT NULL)"
)
_sha: list[str] = []


def _answer(payload: object) -> HttpResponse:
    return HttpResponse(orjson.dumps(payload), content_type="application/json")


def _script_sha() -> str:
    if not _sha:
        _sha.append(redis_client().script_load(_SCRIPT))
    return _sha[0]


def _decide(request: AuthorizationRequest) -> dict[str, object]:
    return {"transaction_id": request.transaction_id, "decision": "approve", "reasons": []}


@csrf_exempt
def f0(request: HttpRequest) -> HttpResponse:
    return _answer(_decide(_decoder.decode(request.body)))


@csrf_exempt
def f1(request: HttpRequest) -> HttpResponse:
    body = _decoder.decode(request.body)
    redis_client().evalsha(_script_sha(), 1, f"floor:{body.account_id}", body.amount)
    return _answer(_decide(body))


@csrf_exempt
def f2(request: HttpRequest) -> HttpResponse:
    body = _decoder.decode(request.body)
    redis_client().evalsha(_script_sha(), 1, f"floor:{body.account_id}", body.amount)
    with connection.cursor() as cursor:
        cursor.execute(_INSERT, [body.transaction_id, body.account_id, body.amount])
    return _answer(_decide(body))


@csrf_exempt
def f1b(request: HttpRequest) -> HttpResponse:
    # Each item decoded on its own, as the hot path's batch does (one bad item fails alone).
    items = [_decoder.decode(raw) for raw in _batch_decoder.decode(request.body).transactions]
    sha = _script_sha()
    with redis_client().pipeline(transaction=False) as pipe:
        for item in items:
            pipe.evalsha(sha, 1, f"floor:{item.account_id}", item.amount)
        pipe.execute()
    return _answer({"results": [{"ok": True, **_decide(item)} for item in items]})
