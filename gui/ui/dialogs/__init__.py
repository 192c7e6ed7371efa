"""dialogs of the console window."""
