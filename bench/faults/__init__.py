"""The fault bench: see __main__.py."""
