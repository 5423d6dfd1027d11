"""`GET /metrics`: Prometheus' text format, for operators only."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from securitycenter.operations.access import operator_refusal, operator_request
from securitycenter.operations.collector import OperationsCollector, ProcessFilesCollector


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not operator_request(request):
        return operator_refusal()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(OperationsCollector())
    if settings.METRICS_DIR:
        registry.register(ProcessFilesCollector())
        body = generate_latest(registry)
    else:
        # One process (development, tests): its own registry holds the counters.
        body = generate_latest(REGISTRY) + generate_latest(registry)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
