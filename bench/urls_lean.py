"""The project's URLs with the payment core's hot path matched first (see bench/settings_lean.py)."""

from django.urls import include, path

from locks.authorizations import views as hotpath

urlpatterns = [
    path("api/v1/authorizations", hotpath.authorization_create),
    path("api/v1/authorizations/batch", hotpath.authorization_batch),
    path("", include("securitycenter.urls")),
]
