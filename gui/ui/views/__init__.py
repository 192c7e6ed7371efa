"""views of the console window."""
