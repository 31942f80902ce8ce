"""Text the API accepts: a constrained string type for the text fields of request bodies.

PostgreSQL refuses a NUL character in text (SQLite stores it), and no database stores a lone
UTF-16 surrogate as UTF-8. :data:`SafeText` refuses both at validation, so such input is a 422
naming the field on every backend instead of a 500 on one and a stored oddity on the other::

    class IncidentIn(_In):
        description: Annotated[SafeText, Field(min_length=1, max_length=2000)]

It adds no JSON-schema keywords, so the OpenAPI document is unchanged. The store refuses the
same text (:func:`islandcover.store.text_problem`), whatever calls it.
"""
from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

from islandcover.store import text_problem

__all__ = ["SafeText", "check_text"]


def check_text(value: str) -> str:
    """Return ``value`` unchanged if every backend can store it.

    Raises
    ------
    ValueError
        ``value`` holds a NUL character (``\\x00``) or a lone surrogate (U+D800–U+DFFF); the
        message gives the position. Pydantic reports it as a 422 naming the field.
    """
    problem = text_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


#: A ``str`` without NUL characters or lone surrogates (combine with ``Field`` for lengths).
SafeText = Annotated[str, AfterValidator(check_text)]
