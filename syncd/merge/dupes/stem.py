"""A light English stemmer for task titles (no dictionary, no language detection)."""

from __future__ import annotations


def stem(word: str) -> str:
    """A light English stemmer, applied alike to both sides: enough that ``banners``/``banner``,
    ``planning``/``plan`` and ``updated``/``update`` meet (the stems need not be words)."""
    if len(word) <= 3 or not word.isascii() or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("ing") and len(word) >= 6:
        word = _undouble(word[:-3])
    elif word.endswith("ed") and len(word) >= 5:
        word = _undouble(word[:-2])
    elif word.endswith(("ches", "shes", "sses", "xes", "zes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is", "ews")):
        word = word[:-1]
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    if word.endswith("ys"):
        word = word[:-1] + "z"  # analyse / analyze
    return word


def _undouble(base: str) -> str:
    if len(base) > 3 and base[-1] == base[-2] and base[-1] not in "lsz":
        return base[:-1]
    return base
