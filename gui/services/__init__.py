"""Application logic over the clients, free of Qt: profiles, credentials, the transaction journal,
the chunked exactly-once loader."""
