"""``[clean]`` settings: field names are the TOML keys (``pipeline/defaults.toml``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from pipeline.clean.signoff import DEFAULT_STOPWORDS, SignoffOptions
from pipeline.clean.text import CleanOptions


@dataclass(frozen=True)
class CleanSettings:
    SECTION: ClassVar[str] = "clean"
    unicode_form: str
    fix_mojibake: bool
    extra_furniture: tuple[str, ...]
    signoff_max_words: int
    signoff_max_chars: int
    signoff_extra_stopwords: tuple[str, ...]
    anonymous_authors: tuple[str, ...]

    def clean_options(self) -> CleanOptions:
        return CleanOptions(self.unicode_form, self.fix_mojibake, self.extra_furniture)

    def signoff_options(self) -> SignoffOptions:
        extra = frozenset(w.lower() for w in self.signoff_extra_stopwords)
        return SignoffOptions(self.signoff_max_words, self.signoff_max_chars, DEFAULT_STOPWORDS | extra)

    def signoff_key_parts(self) -> dict[str, Any]:
        """The ``[clean]`` keys other stages' stored results depend on (segment's sign-offs)."""
        return {"anonymous_authors": list(self.anonymous_authors), "signoff_max_words": self.signoff_max_words,
                "signoff_max_chars": self.signoff_max_chars,
                "signoff_extra_stopwords": list(self.signoff_extra_stopwords)}
