"""The one application service every entry point calls (see application.py)."""
