"""A set of flows with a snapshot of their translations, identified by a content hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from flows.model import Flow
from flows.outputs import Reply

SOURCE_LANGUAGE = "nl"  # coordinators write flows in Dutch; Dutch is also the fallback


@dataclass(frozen=True)
class Translation:
    text: str
    fuzzy: bool = False


@dataclass(frozen=True)
class FlowSet:
    flows: dict[str, Flow]
    # language → message context → translation (fuzzy ones too: an edited sentence keeps
    # its old translation until a translator looks again)
    translations: dict[str, dict[str, Translation]] = field(default_factory=dict)
    rtl: frozenset[str] = frozenset()

    @cached_property
    def version(self) -> str:
        """A hash of every flow's content and every translation: any change, a new version."""
        digest = hashlib.sha256(json.dumps(self.snapshot(), sort_keys=True).encode())
        return digest.hexdigest()[:16]

    def snapshot(self) -> dict[str, Any]:
        return {
            "flows": {name: flow.source for name, flow in sorted(self.flows.items())},
            "translations": {
                lang: {ctxt: [t.text, t.fuzzy] for ctxt, t in sorted(table.items())}
                for lang, table in sorted(self.translations.items())
            },
            "rtl": sorted(self.rtl),
        }

    def text(self, lang: str, context: str, source: str) -> str:
        """The text in `lang`; the Dutch source where there is no translation."""
        if lang == SOURCE_LANGUAGE:
            return source
        found = self.translations.get(lang, {}).get(context)
        return found.text if found and found.text else source

    def translated_reply(self, lang: str, context: str, source: str) -> Reply:
        return Reply(text=self.text(lang, context, source), rtl=lang in self.rtl)
