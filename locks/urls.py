from django.urls import path

from locks import api, hotpath

urlpatterns = [
    path("authorizations", hotpath.authorization_create, name="authorizations"),
    path("authorizations/batch", hotpath.authorization_batch, name="authorizations-batch"),
    path("authorizations/<str:transaction_id>", hotpath.authorization_detail, name="authorization"),
    path("authorizations/<str:transaction_id>/reversal", hotpath.authorization_reversal, name="authorization-reversal"),
    path("accounts", api.AccountListView.as_view(), name="accounts"),
    path("accounts/<int:account_id>/locks", api.AccountLocksView.as_view(), name="account-locks"),
    path("accounts/<int:account_id>/locks/check", api.WouldPassView.as_view(), name="account-would-pass"),
    path("accounts/<int:account_id>/travel-windows", api.TravelWindowsView.as_view(), name="travel-windows"),
    path(
        "accounts/<int:account_id>/travel-windows/<int:window_id>",
        api.TravelWindowDetailView.as_view(),
        name="travel-window",
    ),
    path("payee-checks", api.PayeeCheckView.as_view(), name="payee-checks"),
    path("locks/apply", api.LocksApplyView.as_view(), name="locks-apply"),
    path("locks/presets", api.PresetView.as_view(), name="locks-presets"),
    path("locks/freeze", api.FreezeView.as_view(), name="locks-freeze"),
    path("locks/unfreeze", api.UnfreezeView.as_view(), name="locks-unfreeze"),
    path("locks/pending/<int:pending_id>/cancel", api.PendingLooseningCancelView.as_view(), name="pending-cancel"),
]
