from django.urls import include, path

urlpatterns = [
    path("", include("accounts.api.auth")),
    path("", include("accounts.api.otp")),
    path("", include("accounts.api.accounts")),
]
