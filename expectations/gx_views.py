"""GX's Data Docs page view with its Jinja templates compiled once per process.

GX makes a new page view, so a new Jinja environment, for every Data Docs build,
which here is one per validation, and compiled its page, section and component
templates again each time: about 0.1 s of every validation, 1-2 s of a run's mart
checks. This view keeps the compiled code in memory (Jinja's bytecode cache, keyed
by template name and source checksum), so later environments only load it. GX
imports this module by name when it builds a site (`data_docs.site_config`).
"""

from __future__ import annotations

import jinja2
from great_expectations.render.view import DefaultJinjaPageView


class _InMemoryBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates of this process, by Jinja's bucket key."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Give the bucket its compiled code when this process compiled it before."""
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Keep a newly compiled template's code."""
        self._code[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = _InMemoryBytecodeCache()


class CompiledOncePageView(DefaultJinjaPageView):
    """`DefaultJinjaPageView` whose Jinja environment shares `COMPILED_TEMPLATES`."""

    def __init__(
        self, custom_styles_directory: str | None = None, custom_views_directory: str | None = None
    ) -> None:
        super().__init__(custom_styles_directory, custom_views_directory)
        self.env.bytecode_cache = COMPILED_TEMPLATES
