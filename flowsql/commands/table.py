"""CLI commands: table."""
