"""CLI commands: speed."""
