"""The locks app's models on the staff admin site: the payee risk list and the authorization decisions,
read-only (decisions are the payment core's record; risk entries change through their approval path)."""

from django.contrib import admin

from accounts.staff.admin_site import ReadOnlyAdmin, staff_admin_site
from locks.models import Authorization, PayeeRiskEntry, RemoteFreeze, RiskEntryProposal


@admin.register(PayeeRiskEntry, site=staff_admin_site)
class PayeeRiskEntryAdmin(ReadOnlyAdmin):
    list_display = ["counterparty", "severity", "source", "note", "updated_at"]
    list_filter = ["severity", "source"]
    readonly_fields = [f.name for f in PayeeRiskEntry._meta.fields]


@admin.register(Authorization, site=staff_admin_site)
class AuthorizationAdmin(ReadOnlyAdmin):
    list_display = ["transaction_id", "outcome", "amount", "currency", "channel", "account", "created_at"]
    list_filter = ["outcome", "channel"]
    search_fields = ["transaction_id"]
    list_select_related = ["account"]
    readonly_fields = [f.name for f in Authorization._meta.fields]


@admin.register(RiskEntryProposal, site=staff_admin_site)
class RiskEntryProposalAdmin(ReadOnlyAdmin):
    """Who proposed which payee and who approved it: decided through the four-eyes API, shown here."""

    list_display = ["masked_account", "severity", "source", "status", "proposed_by", "decided_by", "proposed_at"]
    list_filter = ["status", "severity"]
    list_select_related = ["proposed_by", "decided_by"]
    readonly_fields = [f.name for f in RiskEntryProposal._meta.fields]


@admin.register(RemoteFreeze, site=staff_admin_site)
class RemoteFreezeAdmin(ReadOnlyAdmin):
    list_display = ["customer", "scope", "reason_code", "status", "placed_by", "placed_at", "expires_at"]
    list_filter = ["status", "scope", "reason_code"]
    list_select_related = ["customer", "placed_by"]
    readonly_fields = [f.name for f in RemoteFreeze._meta.fields]
