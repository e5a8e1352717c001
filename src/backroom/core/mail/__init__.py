"""Mails the auth flows send: templates with PocketBase's placeholders."""
