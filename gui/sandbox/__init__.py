"""A local emulation of Huawei Cloud TaurusDB, AI Lake and a StarRocks FE/BE pair.

Written from the reference documents alone: nothing here imports the console's clients, so a
misreading of a contract is not shared by client and server.
"""
