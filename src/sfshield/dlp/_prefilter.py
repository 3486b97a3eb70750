r"""The one pass: every pattern in one google-re2 set, which tells in linear time which patterns may match a text.

The set may match *more* than the patterns do, never less. It holds each pattern's ``prefilter`` if it has one, else
its expression, *loosened*: repetitions counted past 12 are unbounded there (:func:`loosened`), which keeps the DFA
small. After the patterns comes one more entry, :data:`DISAGREE`, the characters on which RE2 and ``re`` disagree;
where it matches, ``re`` finds the spans (see :mod:`sfshield.dlp._spans`). The word lists that patterns require get a
set of their own (:func:`any_word`), run only where such a pattern matched.

This module also owns the optional google-re2 binding: :data:`re2` is the module, or None where it has no wheel (the
scanner then runs every pattern with ``re``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, Final

from sfshield.dlp.patterns import Pattern

try:  # google-re2 is a dependency; the fallback keeps the scanner working where it has no wheel
    import re2  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - exercised only where google-re2 is missing
    re2 = None

__all__ = [
    "DISAGREE",
    "EVERY_ENTRY",
    "any_word",
    "compile_set",
    "loosened",
    "one_pass_form",
    "re2",
    "re2_options",
]

_RE2_MAX_MEM: Final = 256 * 1024 * 1024
DISAGREE: Final = r"[\x0b\x1c-\x1f\x{17f}\x{212a}]"
"""The characters on which RE2 and re disagree: in a text with one, re finds the spans.

``\\v`` and ``\\x1c``-``\\x1f``, which only re counts as space; the long s and the Kelvin sign, which only RE2 folds to
``s`` and ``k``.
"""


class _EveryEntry:
    """Stands for the word set's answer where it cannot run: every word list may occur in the text."""

    def __contains__(self, entry: object) -> bool:
        return True


EVERY_ENTRY: Final = _EveryEntry()


def re2_options() -> Any:
    options = re2.Options()
    options.max_mem = _RE2_MAX_MEM
    return options


def compile_set(patterns: Sequence[Pattern], extra: Sequence[str]) -> Callable[[bytes], list[int] | None]:
    """The set of ``patterns`` (entry i is pattern i) then ``extra`` expressions, as a function of UTF-8 bytes."""
    checked = re2.Set.SearchSet(re2_options())  # each pattern as written, so that its own errors are reported
    pattern_set = re2.Set.SearchSet(re2_options())
    for pattern in patterns:
        try:
            checked.Add(pattern.regex)
        except re2.error:
            raise ValueError(f"pattern {pattern.name!r} is not valid RE2 syntax") from None
        pattern_set.Add(one_pass_form(pattern))
    for regex in extra:
        pattern_set.Add(regex)
    try:
        pattern_set.Compile()
    except Exception as exc:  # noqa: BLE001 - the binding reports failures with varying types
        raise ValueError(
            f"the pattern set does not compile ({type(exc).__name__}); use fewer or smaller patterns"
        ) from None
    # The binding's Set.Match is a thin Python wrapper (encode, call, "or None"); call the compiled set directly
    # when the binding exposes it.
    inner: Any = getattr(pattern_set, "_set", None)
    match: Callable[[bytes], list[int] | None] = inner.Match if hasattr(inner, "Match") else pattern_set.Match
    return match


def one_pass_form(pattern: Pattern) -> str:
    """What the one pass looks for: the pattern's prefilter or expression, loosened."""
    return loosened(pattern.prefilter or pattern.regex)


_COUNTED: Final = re.compile(r"\{([0-9]+)(?:(,)([0-9]*))?\}")
_LOOSEN_ABOVE: Final = 12


def loosened(regex: str) -> str:
    r"""``regex`` for the one pass: each repetition counted past 12 (``{0,63}``, ``{40,}``) made unbounded from 12.

    The language only grows (whatever ``regex`` matches, this matches), so the one pass still sees every pattern
    that matches; and the DFA shrinks, as each counted step is a state of its own. Escapes (``\{``, ``\x{41}``) and
    character classes are copied as they are.
    """
    out = []
    index, size = 0, len(regex)
    in_class = False
    while index < size:
        char = regex[index]
        if char == "\\":
            end = index + 2
            if regex[index + 1 : index + 2] in ("x", "p", "P", "N") and regex[end : end + 1] == "{":
                end = regex.find("}", end) + 1 or size
            out.append(regex[index:end])
            index = end
            continue
        if in_class:
            in_class = char != "]" or regex[index - 1] == "[" or regex[index - 2 : index] == "[^"
        elif char == "[":
            in_class = True
        elif char == "{" and (counted := _COUNTED.match(regex, index)):
            low, comma, high = counted.groups()
            bound = int(high) if high else (None if comma else int(low))
            if bound is not None and bound <= _LOOSEN_ABOVE:
                out.append(counted.group())
            else:
                out.append({0: "*", 1: "+"}.get(min(int(low), _LOOSEN_ABOVE), f"{{{min(int(low), _LOOSEN_ABOVE)},}}"))
            index = counted.end()
            continue
        out.append(char)
        index += 1
    return "".join(out)


def any_word(words: tuple[str, ...]) -> str:
    """An RE2 expression that matches wherever one of ``words`` could occur in the lower-cased text.

    It may match more often (that only costs a window search), never less: RE2's case folding covers what
    ``str.lower`` does, except that ``İ`` lower-cases to two characters, ``i`` and a combining dot.
    """
    alternation = [_re2_literal(word) for word in words]
    if any("i" in word or "\u0307" in word for word in words):
        alternation.append("\u0130")
    return f"(?i)(?:{'|'.join(alternation)})"


def _re2_literal(word: str) -> str:
    return "".join(char if char.isalnum() or not char.isascii() else f"\\x{{{ord(char):x}}}" for char in word)
