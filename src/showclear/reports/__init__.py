"""Paperwork that holds up: PDF reports, CSV exports and QR label sheets.

Every report is built from a production's events up to its latest signed checkpoint and
carries that checkpoint (tree size, root hash, signing key) in each page footer.
"""
