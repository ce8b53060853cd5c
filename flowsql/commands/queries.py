"""CLI commands: queries."""
