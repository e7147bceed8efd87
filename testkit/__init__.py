"""Helpers that the tests and the benchmarks share: scratch databases, a redis-server of one's
own, and a receiver's signature check. Not part of the installed package."""
