"""models of the console window."""
