from django.urls import path

from locks import api, holds_api, hotpath

# The payment core's endpoints, included first by the root URLconf: resolution walks patterns in order and
# these take almost every request the service gets.
hot_path_urlpatterns = [
    path("authorizations", hotpath.authorization_create, name="authorizations"),
    path("authorizations/batch", hotpath.authorization_batch, name="authorizations-batch"),
    path("authorizations/<str:transaction_id>", hotpath.authorization_detail, name="authorization"),
    path("authorizations/<str:transaction_id>/reversal", hotpath.authorization_reversal, name="authorization-reversal"),
]

urlpatterns = [
    path("accounts", api.AccountListView.as_view(), name="accounts"),
    path("accounts/<int:account_id>/locks", api.AccountLocksView.as_view(), name="account-locks"),
    path("accounts/<int:account_id>/locks/check", api.WouldPassView.as_view(), name="account-would-pass"),
    path("accounts/<int:account_id>/travel-windows", api.TravelWindowsView.as_view(), name="travel-windows"),
    path(
        "accounts/<int:account_id>/travel-windows/<int:window_id>",
        api.TravelWindowDetailView.as_view(),
        name="travel-window",
    ),
    path("holds", holds_api.CustomerHoldListView.as_view(), name="holds"),
    path("holds/<int:hold_id>", holds_api.CustomerHoldDetailView.as_view(), name="hold"),
    path("holds/<int:hold_id>/cancel", holds_api.CustomerHoldCancelView.as_view(), name="hold-cancel"),
    path(
        "agent/customers/<str:customer_number>/holds",
        holds_api.AgentCustomerHoldsView.as_view(),
        name="agent-customer-holds",
    ),
    path("agent/holds/<int:hold_id>/stop", holds_api.AgentHoldStopView.as_view(), name="agent-hold-stop"),
    path("service/holds/<int:hold_id>", holds_api.ServiceHoldDetailView.as_view(), name="service-hold"),
    path("payee-checks", api.PayeeCheckView.as_view(), name="payee-checks"),
    path("locks/apply", api.LocksApplyView.as_view(), name="locks-apply"),
    path("locks/presets", api.PresetView.as_view(), name="locks-presets"),
    path("locks/freeze", api.FreezeView.as_view(), name="locks-freeze"),
    path("locks/unfreeze", api.UnfreezeView.as_view(), name="locks-unfreeze"),
    path("locks/pending/<int:pending_id>/cancel", api.PendingLooseningCancelView.as_view(), name="pending-cancel"),
]
