"""The local engine: DuckDB over a folder of flow-log files. `engine` runs statements, `files` finds
and groups the files, `translate` turns Athena SQL into DuckDB SQL."""
