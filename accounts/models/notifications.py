"""Notifications to customers and what the recording backend 'sent'."""

from django.db import models

from accounts.models.customers import Customer


class Notification(models.Model):
    class Channel(models.TextChoices):
        PUSH = "push"
        SMS = "sms"
        EMAIL = "email"

    class Status(models.TextChoices):
        QUEUED = "queued"
        SENT = "sent"
        FAILED = "failed"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="notifications")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    template = models.CharField(max_length=64)
    params = models.JSONField(default=dict)
    # An SMS to somebody else on the customer's behalf (their trusted contact's phone), in their language.
    recipient = models.CharField(max_length=16, blank=True, help_text="E.164; empty: the customer's own")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"])]


class SentMessage(models.Model):
    """The recording backend's outbox: what would have gone to the SMS gateway, push service or mail."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="sent_messages")
    channel = models.CharField(max_length=8)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
