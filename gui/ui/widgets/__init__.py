"""widgets of the console window."""
