"""The domain core: pure Python, no HTTP, no SQL drivers, no Redis."""
