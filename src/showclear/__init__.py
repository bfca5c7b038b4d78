"""ShowClear: chain of custody and the safety protocol for firearms on film and TV sets."""

__version__ = "0.1.0"
