"""Readers of the landing folder: one module per source, each turning a file into chunks of raw
rows (``connectors.files.common.Chunk``) that ``connectors.load`` writes into DuckDB."""
