"""CLI commands: sample."""
