"""The web app and REST API (FastAPI): wiring, dependencies, sibling route modules."""
