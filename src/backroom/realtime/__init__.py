"""Live updates: subscriptions, per-subscriber rule checks and the brokers between processes."""
