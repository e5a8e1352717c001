"""The app settings managed through the settings API (PocketBase's ``/api/settings``)."""
