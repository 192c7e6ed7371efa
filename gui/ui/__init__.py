"""The console's window: Qt only. Views await services; they never build HTTP requests."""
