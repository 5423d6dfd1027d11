from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from locks.urls import hot_path_urlpatterns
from securitycenter.health import healthz

urlpatterns = [
    path("api/v1/", include(hot_path_urlpatterns)),
    path("healthz", healthz, name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("api/v1/", include("accounts.urls")),
    path("api/v1/", include("locks.urls")),
]
