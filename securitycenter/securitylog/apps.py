from django.apps import AppConfig


class SecurityLogConfig(AppConfig):
    name = "securitycenter.securitylog"
    label = "securitylog"
    verbose_name = "Security log"
