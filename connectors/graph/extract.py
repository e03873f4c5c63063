"""The Graph pull: every user into one snapshot file of the landing folder per run.

``directory/graph/users_<YYYY-MM-DD>.json`` holds ``{"value": [...]}`` (the shape of a Graph
``/users`` page, which the directory reader reads) with every user of every page, sorted by
``id``. The file is written only after the last page arrived, atomically: a half-read directory
would make everyone on the missing pages look like a leaver. A second run on the same day
replaces that day's snapshot (the loader then replaces its rows); an unchanged one is left as
it is. The snapshot date is the caller's (the organisation's local date of the pull).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from connectors.graph.client import GraphClient
from connectors.insights.extract import write_if_changed

logger = logging.getLogger(__name__)

GRAPH_SOURCE = "graph_users"  # cursor source
GRAPH_SCOPE = "all"
DIRECTORY_DIR = "directory/graph"


@dataclass(frozen=True)
class GraphExtract:
    path: str  # relative to the landing folder
    changed: bool
    users: int
    pages: int
    sign_in_activity: bool
    cursor: str  # the snapshot date
    dropped: tuple[str, ...] = ()  # fields left out: a permission for them is missing


def snapshot_path(landing: Path, snapshot_date: date) -> Path:
    return Path(landing) / DIRECTORY_DIR / f"users_{snapshot_date.isoformat()}.json"


def extract_users(
    client: GraphClient, landing: Path, *, snapshot_date: date, sign_in_activity: bool = True
) -> GraphExtract:
    """Read every user, then write the day's snapshot."""
    result = client.list_users(sign_in_activity=sign_in_activity)
    users = sorted(result.users, key=lambda u: str(u.get("id") or ""))
    content = json.dumps({"value": users}, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    path = snapshot_path(landing, snapshot_date)
    changed = write_if_changed(path, content.encode("utf-8"))
    logger.info(
        "Microsoft Graph: %d users -> %s%s",
        len(users),
        path,
        "" if changed else " (unchanged)",
    )
    return GraphExtract(
        path=path.relative_to(Path(landing)).as_posix(),
        changed=changed,
        users=len(users),
        pages=result.pages,
        sign_in_activity=result.sign_in_activity,
        cursor=snapshot_date.isoformat(),
        dropped=result.dropped,
    )
