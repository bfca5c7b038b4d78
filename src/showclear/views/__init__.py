"""Read models: the board, histories and report tables, pure over events and state."""
