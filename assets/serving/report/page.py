"""The report page: the sections and the glance table rendered into ``templates/report.html.j2``."""

from datetime import UTC, datetime
from functools import cache

import jinja2

from assets.serving.report.queries import ReportData
from assets.serving.report.sections import SECTIONS, glance


@cache
def _environment() -> jinja2.Environment:
    # Built on first use, not at import: loading the template reads a file.
    return jinja2.Environment(
        loader=jinja2.PackageLoader("assets.serving.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_report(data: ReportData) -> str:
    """The complete HTML page for `data` (no external resources)."""
    sections = [build(data) for build in SECTIONS]
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            month=f"{data.month:%Y-%m}",
            label=data.label,
            brands=len(data.brands),
            sectors=data.brands["sector"].nunique(),
            published_at=f"{data.published_at:%Y-%m-%d %H:%M}" if data.published_at else None,
            glance=glance(data),
            sections=sections,
            generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
            source=data.source,
        )
    )
