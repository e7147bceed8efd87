"""Rendering shared by the public pages, the feeds and the worker's messages.

It imports neither litestar nor asyncpg: the worker renders mails and webhooks without loading
the web framework, and nothing here reads a database.
"""
