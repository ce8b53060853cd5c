"""The CLI's commands, one module per area; each registers itself on `flowsql.cli.cli` on import."""
