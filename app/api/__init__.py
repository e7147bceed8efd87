"""HTTP adapters: the native v1 API, and later the compatibility dialects and public pages."""
