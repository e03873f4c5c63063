"""PII mode `pseudonymised`: e-mails, names and logins replaced by a keyed hash.

A pseudonym is ``p_`` + the first 20 hex digits of HMAC-SHA256(key, value folded to lower case
and stripped). The key comes from the ``FLEXLENS_PII_KEY`` environment variable only, so the
same value gets the same pseudonym in every run (joins across marts and runs keep working) and
nobody without the key can recompute or reverse it.

Which columns: every column named like a person's identifier (``PII_COLUMN``: ``user_key``,
``*_user_key``, ``email``, ``login``, ``sam_account``, ``display_name``, ...) in every mart,
without code per mart. In every other text column, e-mail addresses and ``DOMAIN\\login``
logins found inside the text are replaced by their pseudonyms too.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import duckdb
from duckdb.sqltypes import VARCHAR

PII_KEY_ENV = "FLEXLENS_PII_KEY"
MIN_KEY_LENGTH = 16
PREFIX = "p_"
DIGITS = 20

PII_COLUMN = re.compile(
    r"^(?:[a-z0-9_]*_)?(?:user_key|email|e_mail|mail|upn|login|sam_account|display_name|"
    r"first_name|last_name|given_name|surname|full_name|person_name|manager|"
    r"hashed_autodesk_id)$"
)
# e-mail addresses and DOMAIN\login inside free text (RE2 and Python agree on this syntax)
EMBEDDED_PII = (
    r"[A-Za-z0-9][A-Za-z0-9._%+'-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
    r"|[A-Za-z0-9._-]+\\[A-Za-z0-9._$-]+"
)
_EMBEDDED = re.compile(EMBEDDED_PII)

PSEUDONYM_FUNCTION = "flexlens_pseudonym"
SCRUB_FUNCTION = "flexlens_scrub_pii"


class PseudonymisationError(Exception):
    """Pseudonymised exports were asked for but cannot be made (the message says why)."""


def is_pii_column(name: str) -> bool:
    return bool(PII_COLUMN.match(name.lower()))


@dataclass(frozen=True)
class Pseudonymiser:
    """Keyed, stable pseudonyms; the key is never shown (repr) nor logged."""

    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.key) < MIN_KEY_LENGTH:
            raise PseudonymisationError(
                f"{PII_KEY_ENV} is too short: use at least {MIN_KEY_LENGTH} characters "
                "(a random string, kept secret)"
            )

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Pseudonymiser:
        key = environ.get(PII_KEY_ENV, "")
        if not key:
            raise PseudonymisationError(
                f"pii_mode is 'pseudonymised' but {PII_KEY_ENV} is not set: set it to a secret "
                f"of at least {MIN_KEY_LENGTH} characters (the same one every run)"
            )
        return cls(key.encode("utf-8"))

    @property
    def key_id(self) -> str:
        """A fingerprint of the key (not the key): tells whether two exports share a key."""
        return hmac.new(self.key, b"flexlens key id", hashlib.sha256).hexdigest()[:12]

    def pseudonym(self, value: str | None) -> str | None:
        if value is None:
            return None
        folded = str(value).strip().casefold()
        if not folded:
            return value
        digest = hmac.new(self.key, folded.encode("utf-8"), hashlib.sha256).hexdigest()
        return PREFIX + digest[:DIGITS]

    def scrub(self, text: str | None) -> str | None:
        """Free text with every embedded e-mail and DOMAIN\\login replaced by its pseudonym."""
        if text is None:
            return None
        return _EMBEDDED.sub(lambda match: self.pseudonym(match.group(0)) or "", text)

    def register(self, con: duckdb.DuckDBPyConnection) -> None:
        """Make the pseudonym and scrub functions callable from this connection's SQL."""
        cache: dict[str, str | None] = {}

        def pseudonym(value: str) -> str | None:
            if value not in cache:
                cache[value] = self.pseudonym(value)
            return cache[value]

        for name, function in ((PSEUDONYM_FUNCTION, pseudonym), (SCRUB_FUNCTION, self.scrub)):
            with contextlib.suppress(duckdb.InvalidInputException, duckdb.CatalogException):
                con.remove_function(name)
            con.create_function(name, function, [VARCHAR], VARCHAR, side_effects=False)


def pseudonymised_expression(column_sql: str, name: str, data_type: str) -> str:
    """SQL for one column in pseudonymised mode (the functions must be registered): text
    columns named like a person's identifier become pseudonyms; other text columns keep their
    text with embedded e-mails and logins replaced; other types are left as they are."""
    if data_type.upper() != "VARCHAR":
        return column_sql
    if is_pii_column(name):
        return f"{PSEUDONYM_FUNCTION}({column_sql})"
    pattern = EMBEDDED_PII.replace("'", "''")
    return (
        f"case when regexp_matches({column_sql}, '{pattern}') "
        f"then {SCRUB_FUNCTION}({column_sql}) else {column_sql} end"
    )


def pseudonymiser_for(pii_mode: str, environ: Mapping[str, str]) -> Pseudonymiser | None:
    """None for PII mode `plain`; for `pseudonymised`, a pseudonymiser with the env var's key."""
    if pii_mode == "plain":
        return None
    return Pseudonymiser.from_environment(environ)
