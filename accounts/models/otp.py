"""One-time password devices (TOTP), SMS codes and the verification throttle."""

from django.db import models

from accounts.models.customers import Customer
from securitycenter.fields import EncryptedTextField


class OtpDevice(models.Model):
    """A TOTP authenticator. Unconfirmed until the customer proves it with a first code."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="otp_devices")
    name = models.CharField(max_length=64)
    secret = EncryptedTextField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # Replay guard: the highest time step ever accepted; codes at or below it are refused.
    last_accepted_step = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]


class SmsCode(models.Model):
    """A one-time code sent by SMS. Only a hash of the code is stored."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="sms_codes")
    code_hash = models.CharField(max_length=128)
    purpose = models.CharField(max_length=32, default="step_up")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)


class OtpThrottle(models.Model):
    """Consecutive OTP failures of one customer, shared by every method. Locked FOR UPDATE on verify."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, primary_key=True, related_name="otp_throttle")
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
