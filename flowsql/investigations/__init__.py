"""The query library: investigation files and their loading, parameter types, macros, the Jinja
environment, validation against the table's columns, and the time window."""
