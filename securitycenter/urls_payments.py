"""The payment core's URLconf (`securitycenter/wsgi_payments.py`): the hot path and the health check, and
nothing a customer, an agent or a browser uses; everything else is a 404 problem document here."""

from django.urls import include, path

from locks.urls import hot_path_urlpatterns
from securitycenter import edge
from securitycenter.operations.health import health_live, health_ready

handler400 = edge.error_400
handler403 = edge.error_403
handler404 = edge.error_404
handler500 = edge.error_500

urlpatterns = [
    path("api/v1/", include(hot_path_urlpatterns)),
    path("healthz", health_ready, name="healthz"),
    path("healthz/live", health_live, name="health-live"),
    path("healthz/ready", health_ready, name="health-ready"),
]
