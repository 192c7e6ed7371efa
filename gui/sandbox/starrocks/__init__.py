"""Emulated starrocks service."""
