"""The staff admin site: staff and their roles, and read-only views of the security log and decisions.

It sits behind the same throttled password + authenticator sign-in as the agent API
(`accounts.signin.staff_admin_sign_in`), admits only the administrator role (`admin_site`; `is_superuser`
grants nothing here), and its sessions lapse after STAFF_IDLE_TIMEOUT_MINUTES without a request. Every
model shown is read-only unless its admin says otherwise; nothing here can edit or delete a security-log
entry or an authorization decision. Rooms above accounts (locks) register their models on
`staff_admin_site` from their own `admin.py`.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from accounts.roles import ROLES, staff_has, staff_roles
from accounts.signin import staff_admin_sign_in
from accounts.staff.services import staff_deactivate, staff_roles_set
from securitycenter.errors import DomainError
from securitycenter.securitylog.models import SecurityEvent
from securitycenter.securitylog.record import Actor, Origin

ADMIN_SITE_PERMISSION = "accounts.admin_site"


class StaffAdminLoginForm(AuthenticationForm):
    totp = forms.RegexField(regex=r"^[0-9]{6}$", label="Authenticator code", max_length=6)

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        totp = self.cleaned_data.get("totp")
        if not (username and password and totp):
            return self.cleaned_data
        try:
            user = staff_admin_sign_in(
                username=username, password=password, totp=totp, origin=Origin.from_request(self.request)
            )
        except DomainError as exc:
            raise ValidationError(exc.detail, code=exc.code) from None
        # The session remembers which backend vouched for the user; the check above stands in for it.
        user.backend = "django.contrib.auth.backends.ModelBackend"
        self.user_cache = user
        return self.cleaned_data


class StaffAdminSite(admin.AdminSite):
    site_header = "Security Center staff administration"
    site_title = "Security Center staff"
    login_form = StaffAdminLoginForm
    login_template = "staff_admin/login.html"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and staff_has(user, ADMIN_SITE_PERMISSION))


staff_admin_site = StaffAdminSite(name="staff_admin")


class RoleGatedAdmin(admin.ModelAdmin):
    """Permissions from the administrator role alone (Django's per-model ones would let a superuser in)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return staff_has(request.user, ADMIN_SITE_PERMISSION)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return staff_has(request.user, ADMIN_SITE_PERMISSION)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(RoleGatedAdmin):
    """Shown, never changed: no add, change, delete, nor bulk action."""

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}


class StaffUserForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(
        choices=[(r, r) for r in ROLES], required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = get_user_model()
        fields = ["is_active"]


@admin.register(get_user_model(), site=staff_admin_site)
class StaffUserAdmin(RoleGatedAdmin):
    """Staff and their roles. New staff come from `manage.py staff create` (it enrols the authenticator);
    here an administrator changes roles and deactivates, each change on the security log."""

    form = StaffUserForm
    list_display = ["username", "role_list", "is_active", "has_authenticator", "last_login"]
    list_filter = ["is_active", "groups"]
    search_fields = ["username"]
    readonly_fields = ["username", "last_login", "has_authenticator"]
    fields = ["username", "roles", "is_active", "last_login", "has_authenticator"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).filter(is_staff=True).prefetch_related("groups")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return staff_has(request.user, ADMIN_SITE_PERMISSION)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}

    @admin.display(description="roles")
    def role_list(self, user: Any) -> str:
        return ", ".join(staff_roles(user))

    @admin.display(boolean=True, description="authenticator")
    def has_authenticator(self, user: Any) -> bool:
        return hasattr(user, "staff_authenticator")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            form.base_fields["roles"].initial = staff_roles(obj)
        return form

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        actor = Actor.agent(request.user)
        origin = Origin.from_request(request)
        staff_roles_set(user=obj, roles=list(form.cleaned_data["roles"]), actor=actor, origin=origin)
        if "is_active" in form.changed_data and not form.cleaned_data["is_active"]:
            obj.is_active = True  # staff_deactivate makes the change, and logs it
            staff_deactivate(user=obj, actor=actor, origin=origin)
        elif "is_active" in form.changed_data:
            obj.save(update_fields=["is_active"])

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The roles were saved by save_model through the service; there is nothing else to save.
        return


@admin.register(SecurityEvent, site=staff_admin_site)
class SecurityEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "chain", "seq", "event_type", "actor_type", "actor_id", "customer"]
    list_filter = ["event_type", "actor_type"]
    search_fields = ["chain", "actor_id"]
    list_select_related = ["customer"]
    date_hierarchy = "occurred_at"
    readonly_fields = [f.name for f in SecurityEvent._meta.fields]
