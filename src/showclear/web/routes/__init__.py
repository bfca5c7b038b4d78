"""Route modules: api (/api), pages (/p/...), reports (downloads); none imports another."""
