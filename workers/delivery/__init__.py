"""Sending: the arq job that settles delivery rows, and one sender per channel."""
