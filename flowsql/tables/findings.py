"""A finding: one thing flowsql found out about a flow log (its files, its Athena settings), for a
person to read. `init` prints them; other sources of table options return them too."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """One thing found about the files; `warning` when it needs the user's attention."""

    topic: str
    text: str
    warning: bool = False
