from flowsql.cli import entry

entry()
