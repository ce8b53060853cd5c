"""The DuckDB module flowsql talks to: the compiled core (`_duckdb`), not the Python package around it.

flowsql uses only what the core provides: connect, execute, fetch, interrupt, the exception classes
and the version. The package re-exports these same objects from the core, so the SQL, the engine
and the rows are the same either way. Importing the package also builds its Python relational API
and reads its version through importlib.metadata: about 0.15 s on a 2-core machine, more than
everything else a `flowsql run` over an empty window does. DuckDB before 1.4 keeps its core inside
the package, so there the package is what is imported.

Call sites import this lazily (`from flowsql.duckdb_driver import duckdb` inside the function), so
commands that never query anything never load DuckDB at all.
"""

from __future__ import annotations

try:
    import _duckdb as duckdb
except ImportError:  # DuckDB < 1.4: the core is duckdb.duckdb, re-exported by the package
    import duckdb  # type: ignore[no-redef]

__all__ = ["duckdb"]
