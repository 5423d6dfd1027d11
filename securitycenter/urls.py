from django.urls import include, path

from accounts.staff.admin_site import staff_admin_site
from locks.urls import hot_path_urlpatterns
from securitycenter import docs, edge
from securitycenter.operations.health import health_live, health_ready
from securitycenter.operations.views import metrics

# Errors outside a view answer problem documents too (with DEBUG on, Django's debug pages instead).
handler400 = edge.error_400
handler403 = edge.error_403
handler404 = edge.error_404
handler500 = edge.error_500

urlpatterns = [
    path("api/v1/", include(hot_path_urlpatterns)),
    path("healthz", health_ready, name="healthz"),
    path("healthz/live", health_live, name="health-live"),
    path("healthz/ready", health_ready, name="health-ready"),
    path("metrics", metrics, name="metrics"),
    path("api/schema/", docs.schema_view, name="schema"),
    path("api/docs/", docs.swagger_view, name="swagger-ui"),
    path("api/redoc/", docs.redoc_view, name="redoc"),
    path("api/v1/", include("accounts.urls")),
    path("api/v1/", include("locks.urls")),
    path("staff-admin/", staff_admin_site.urls),
    path("console/", include("console.urls")),
]
