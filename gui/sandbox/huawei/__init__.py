"""Emulated huawei service."""
