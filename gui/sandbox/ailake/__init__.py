"""Emulated ailake service."""
