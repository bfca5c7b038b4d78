"""Storage adapters: the concrete stores behind ShowClear's storage ports."""
