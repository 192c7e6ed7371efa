"""The SQL console's Qt-free parts: statements of a script and what each does, the query history,
and the completion catalogue."""
