"""Load the landing folder into the DuckDB raw tables (``connectors/raw_schema.py``).

One call of :func:`load_source` reads one landing sub-folder (``SOURCES``). Each file is loaded in
one transaction: its raw rows, its quarantine rows and its ``raw.loaded_files`` entry land
together or not at all. Loading is idempotent:

* a file whose content (sha256) is already loaded for the source is skipped, under any name
  (the same export downloaded twice);
* a file whose content changed replaces all its earlier rows (raw and quarantine);
* a file gone from the landing folder keeps its rows (the warehouse keeps history);
* a missing sub-folder means the organisation has no such source: nothing is loaded.

A file that cannot be read at all becomes one quarantine row (``_source_row`` 0, ``bad_value``,
the error as value); a bad row inside a readable file becomes one quarantine row and the file's
other rows load. Use a connection in auto-commit mode (no open transaction).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import duckdb

from connectors.files import autodesk, directory, flexlm, reference, tokens, usage
from connectors.files.common import (
    BAD_VALUE,
    QUARANTINE_TABLE,
    ROW_COLUMN,
    Chunk,
    UnreadableFileError,
    quarantine_chunk,
)
from connectors.raw_schema import (
    LINEAGE_COLUMNS,
    LOADED_FILES_COLUMNS,
    LOADED_FILES_TABLE,
    RAW_SCHEMA,
    RAW_TABLES,
)

logger = logging.getLogger(__name__)

SOURCES: tuple[str, ...] = ("usage", "directory", "autodesk", "tokens", "reference", "flexlm")

# landing sub-folder -> the raw tables its files fill (besides quarantine)
SOURCE_TABLES: dict[str, tuple[str, ...]] = {
    "usage": (usage.TABLE,),
    "directory": (directory.TABLE,),
    "autodesk": autodesk.TABLES,
    "tokens": (tokens.TABLE,),
    "reference": reference.TABLES,
    "flexlm": flexlm.TABLES,
}

SOURCE_SUFFIXES: dict[str, tuple[str, ...]] = {
    "usage": usage.SUFFIXES,
    "directory": directory.SUFFIXES,
    "autodesk": autodesk.SUFFIXES,
    "tokens": tokens.SUFFIXES,
    "reference": reference.SUFFIXES,
    "flexlm": flexlm.SUFFIXES,
}

Reader = Callable[[Path], Iterator[Chunk]]

_CHUNK_VIEW = "_flexlens_chunk"
_HASH_BLOCK = 1 << 20


@dataclass(frozen=True)
class SourceLoadResult:
    """What one :func:`load_source` call did."""

    source: str
    files_seen: int  # files of the source's kinds in its sub-folder
    files_loaded: int  # new or changed files written (an unreadable one included)
    files_unchanged: int  # skipped: this content is already loaded (same or another name)
    rows_loaded: int  # raw rows written
    rows_quarantined: int  # quarantine rows written


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _table(name: str) -> str:
    return f"{_q(RAW_SCHEMA)}.{_q(name)}"


def _table_columns(name: str) -> dict[str, str]:
    if name == LOADED_FILES_TABLE:
        return dict(LOADED_FILES_COLUMNS)
    return {**{c: "varchar" for c in RAW_TABLES[name]}, **LINEAGE_COLUMNS}


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create schema ``raw``, every table of ``raw_schema`` and ``raw.loaded_files`` if missing.

    A table that exists without a column the schema now names gets that column added.
    """
    con.execute(f"create schema if not exists {_q(RAW_SCHEMA)}")
    for name in (*RAW_TABLES, LOADED_FILES_TABLE):
        columns = _table_columns(name)
        body = ", ".join(f"{_q(c)} {t}" for c, t in columns.items())
        con.execute(f"create table if not exists {_table(name)} ({body})")
        present = {
            row[0]
            for row in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = ? and table_name = ?",
                [RAW_SCHEMA, name],
            ).fetchall()
        }
        for column, sql_type in columns.items():
            if column not in present:
                logger.info("adding column %s to %s.%s", column, RAW_SCHEMA, name)
                con.execute(f"alter table {_table(name)} add column {_q(column)} {sql_type}")


def _reader(source: str, ad_column_map: Mapping[str, str | None] | None) -> Reader:
    if source == "usage":
        return usage.read_file
    if source == "directory":
        directory.ad_synonyms(ad_column_map)  # a wrong map fails before any file is read
        return partial(directory.read_file, column_map=ad_column_map)
    if source == "autodesk":
        return autodesk.read_file
    if source == "tokens":
        return tokens.read_file
    if source == "reference":
        return reference.read_file
    if source == "flexlm":
        return flexlm.read_file
    raise ValueError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")


def landing_files(landing: Path, source: str) -> list[Path]:
    """The files of a source's sub-folder (recursively), sorted by their path.

    Hidden files and folders, Office lock files (``~$...``) and other suffixes are left out.
    """
    folder = landing / source
    if not folder.is_dir():
        return []
    suffixes = SOURCE_SUFFIXES[source]
    found = []
    for path in folder.rglob("*"):
        rel = path.relative_to(folder)
        if any(part.startswith((".", "~$")) for part in rel.parts):
            continue
        if path.suffix.lower() in suffixes and path.is_file():
            found.append(path)
    return sorted(found, key=lambda p: p.relative_to(landing).as_posix())


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def load_source(
    con: duckdb.DuckDBPyConnection,
    landing: Path,
    source: str,
    *,
    ad_column_map: Mapping[str, str | None] | None = None,
) -> SourceLoadResult:
    """Load the new and changed files of one landing sub-folder into the raw tables.

    ``ad_column_map`` (Active Directory CSV header -> raw column of ``directory_people``) is laid
    over the defaults of ``connectors.files.directory.DEFAULT_AD_COLUMN_MAP``.
    """
    read = _reader(source, ad_column_map)
    ensure_raw_tables(con)
    files = landing_files(Path(landing), source)
    if not files and not (Path(landing) / source).is_dir():
        logger.info("%s: no sub-folder %s; nothing to load", source, Path(landing) / source)
    loaded = unchanged = rows = quarantined = 0
    for path in files:
        rel = path.relative_to(landing).as_posix()
        sha = file_sha256(path)
        # fetchall, never fetchone: DuckDB 2 blocks the connection while a result is unfinished
        same = con.execute(
            f"select path from {_table(LOADED_FILES_TABLE)} where source = ? and sha256 = ? "
            "order by path = ? desc, path limit 1",
            [source, sha, rel],
        ).fetchall()
        if same:
            unchanged += 1
            if same[0][0] == rel:
                logger.debug("%s: %s unchanged", source, rel)
            else:
                logger.info("%s: %s skipped, same content as %s", source, rel, same[0][0])
            continue
        n_rows, n_quarantined = _load_file(con, source, path, rel, sha, read)
        loaded += 1
        rows += n_rows
        quarantined += n_quarantined
    result = SourceLoadResult(source, len(files), loaded, unchanged, rows, quarantined)
    logger.info("%s", result)
    return result


def load_landing(
    con: duckdb.DuckDBPyConnection,
    landing: Path,
    *,
    sources: tuple[str, ...] = SOURCES,
    ad_column_map: Mapping[str, str | None] | None = None,
) -> list[SourceLoadResult]:
    """:func:`load_source` for each source in turn."""
    return [load_source(con, landing, s, ad_column_map=ad_column_map) for s in sources]


def _load_file(
    con: duckdb.DuckDBPyConnection,
    source: str,
    path: Path,
    rel: str,
    sha: str,
    read: Reader,
) -> tuple[int, int]:
    """Replace the rows of one file by what it holds now, in one transaction."""
    started = time.perf_counter()
    size = path.stat().st_size
    loaded_at = datetime.now(UTC)
    con.begin()
    try:
        try:
            _forget_file(con, source, rel)
            n_rows = n_quarantined = 0
            for chunk in read(path):
                n = _insert(con, source, chunk, rel, loaded_at)
                if chunk.table == QUARANTINE_TABLE:
                    n_quarantined += n
                else:
                    n_rows += n
        except UnreadableFileError as exc:
            con.rollback()
            logger.warning("%s: %s is unreadable: %s", source, rel, exc)
            con.begin()
            _forget_file(con, source, rel)
            n_rows = 0
            n_quarantined = _insert(
                con, source, quarantine_chunk(0, BAD_VALUE, str(exc), None), rel, loaded_at
            )
        con.execute(
            f"insert into {_table(LOADED_FILES_TABLE)} "
            "(source, path, sha256, size_bytes, rows_loaded, rows_quarantined, loaded_at) "
            "values (?, ?, ?, ?, ?, ?, ?)",
            [source, rel, sha, size, n_rows, n_quarantined, loaded_at],
        )
        con.commit()
    except BaseException:
        _rollback_quietly(con)
        raise
    logger.info(
        "%s: loaded %s: %d rows, %d quarantined (%.2f s)",
        source,
        rel,
        n_rows,
        n_quarantined,
        time.perf_counter() - started,
    )
    return n_rows, n_quarantined


# DuckDB errors that are about the warehouse or our SQL, never about the landing file being read
_WAREHOUSE_ERRORS: tuple[type[duckdb.Error], ...] = (
    duckdb.BinderException,
    duckdb.CatalogException,
    duckdb.ConnectionException,
    duckdb.InterruptException,
    duckdb.IOException,
    duckdb.OutOfMemoryException,
    duckdb.ParserException,
    duckdb.TransactionException,
)


def _rollback_quietly(con: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):  # no transaction open any more
        con.rollback()


def _forget_file(con: duckdb.DuckDBPyConnection, source: str, rel: str) -> None:
    for table in SOURCE_TABLES[source]:
        con.execute(f"delete from {_table(table)} where _source_file = ?", [rel])
    con.execute(
        f"delete from {_table(QUARANTINE_TABLE)} where source = ? and _source_file = ?",
        [source, rel],
    )
    con.execute(
        f"delete from {_table(LOADED_FILES_TABLE)} where source = ? and path = ?", [source, rel]
    )


def _insert(
    con: duckdb.DuckDBPyConnection, source: str, chunk: Chunk, rel: str, loaded_at: datetime
) -> int:
    """Write one chunk; returns the number of rows written."""
    targets = RAW_TABLES[chunk.table]
    is_quarantine = chunk.table == QUARANTINE_TABLE
    available = set(chunk.columns)
    unknown = available - set(targets) - {ROW_COLUMN}
    if unknown or ROW_COLUMN not in available or (is_quarantine and "source" in available):
        raise ValueError(f"chunk for {chunk.table} has columns {sorted(available)}")
    if chunk.data is not None and chunk.data.num_rows == 0:
        return 0
    select: list[str] = []
    params: list[object] = []
    for column in targets:
        if is_quarantine and column == "source":
            select.append("?")
            params.append(source)
        elif column in available:
            select.append(_q(column))
        else:
            select.append("null")
    select += ["?", _q(ROW_COLUMN), "?"]
    params += [rel, loaded_at]
    columns = ", ".join(_q(c) for c in (*targets, *LINEAGE_COLUMNS))
    if chunk.data is not None:
        sql = (
            f"insert into {_table(chunk.table)} ({columns}) "
            f"select {', '.join(select)} from {_CHUNK_VIEW}"
        )
        con.register(_CHUNK_VIEW, chunk.data)
        try:
            written = con.execute(sql, params).fetchall()
        finally:
            con.unregister(_CHUNK_VIEW)
    else:
        sql = (
            f"insert into {_table(chunk.table)} ({columns}) "
            f"select {', '.join(select)} from ({chunk.query})"
        )
        try:
            written = con.execute(sql, [*params, *chunk.params]).fetchall()
        except duckdb.Error as exc:
            # the query reads the landing file itself: a corrupt file fails here
            if isinstance(exc, _WAREHOUSE_ERRORS):
                raise
            raise UnreadableFileError(f"unreadable file: {exc}") from exc
    return int(written[0][0]) if written else 0
