from locks.models.security_log import SecurityEvent, SecurityLogHead

__all__ = ["SecurityEvent", "SecurityLogHead"]
