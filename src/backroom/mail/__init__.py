"""Mail transports implementing ``core.ports.Mailer``."""
