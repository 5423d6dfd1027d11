"""Notifications to customers (push, SMS, email): queued in the caller's transaction, delivered after it
commits, once, with retries and a sweep. Features call `accounts.notifications.queue.notification_queue`."""
