"""The embedded SQLite adapter: events, checkpoints, tiles, node meta and sign-in."""
