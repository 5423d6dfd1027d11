from accounts.models.auth import AuthToken, LoginThrottle
from accounts.models.customers import BankAccount, Customer, Device, StaffRole
from accounts.models.notifications import Notification, SentMessage
from accounts.models.otp import OtpDevice, OtpThrottle, SmsCode
from accounts.models.service_clients import ApiKey, ServiceClient
from accounts.models.staff import StaffAuthenticator

__all__ = [
    "ApiKey",
    "AuthToken",
    "BankAccount",
    "Customer",
    "Device",
    "LoginThrottle",
    "Notification",
    "OtpDevice",
    "OtpThrottle",
    "SentMessage",
    "ServiceClient",
    "SmsCode",
    "StaffAuthenticator",
    "StaffRole",
]
