"""The report as a terminal summary, JSON, Markdown, or a standalone HTML page (every value
escaped) fit to attach to an audit."""

from __future__ import annotations

import html
import json

from flowsql.compliance.model import MAPPING_NOTE, Report, Status

FORMATS = ("text", "json", "markdown", "html")


def _when(report: Report) -> tuple[str, str, str]:
    fmt = "%Y-%m-%d %H:%M UTC"
    return (
        report.period_start.strftime(fmt),
        report.period_end.strftime(fmt),
        report.generated_at.strftime(fmt),
    )


def _header_lines(report: Report) -> list[tuple[str, str]]:
    start, end, made = _when(report)
    retention = f"{report.retention_days} days" if report.retention_days else "not given (--retention)"
    return [
        ("Source", report.source),
        ("Period", f"{start} → {end}"),
        ("Accounts", ", ".join(report.accounts) or "(none found)"),
        ("Regions", ", ".join(report.regions) or "(none found)"),
        ("Required retention", retention),
        ("Made", made),
    ]


def text(report: Report, *, verbose: bool = False) -> str:
    lines = ["VPC Flow Logs compliance evidence (flowsql)"]
    lines += [f"  {k}: {v}" for k, v in _header_lines(report)]
    lines.append("")
    width = max(len(r.id) for r in report.results) if report.results else 10
    for r in report.results:
        lines.append(f"{r.status.value:<7} {r.id:<{width}}  {r.summary}")
        if verbose or r.status in (Status.FAIL, Status.WARN):
            shown = r.evidence if verbose else r.evidence[:6]
            lines += [f"{'':<9}· {e}" for e in shown]
            if len(r.evidence) > len(shown):
                lines.append(
                    f"{'':<9}· … {len(r.evidence) - len(shown)} more (--verbose, or --format json/html)"
                )
        if r.fix and r.status is Status.FAIL:
            lines.append(f"{'':<9}fix: {r.fix}")
        if verbose and r.mapping:
            lines.append(f"{'':<9}commonly mapped to: " + "; ".join(r.mapping))
    counts = report.counts()
    lines.append("")
    lines.append(
        ", ".join(f"{n} {s}" for s, n in counts.items() if n) + f" of {len(report.results)} controls"
    )
    lines.append(MAPPING_NOTE)
    return "\n".join(lines) + "\n"


def to_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


def _md(value: str) -> str:
    """Text safe inside a Markdown table cell or list item."""
    out = value.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
    for ch in "`*_[]<>#":
        out = out.replace(ch, "\\" + ch)
    return out


def markdown(report: Report) -> str:
    lines = ["# VPC Flow Logs compliance evidence", ""]
    lines += [f"- **{k}**: {_md(v)}" for k, v in _header_lines(report)]
    lines += ["", "| status | control | summary |", "|---|---|---|"]
    lines += [f"| {r.status.value} | {_md(r.id)} | {_md(r.summary)} |" for r in report.results]
    for r in report.results:
        lines += ["", f"## {r.status.value}: {_md(r.title)} ({_md(r.id)})", "", _md(r.summary), ""]
        lines += [f"- {_md(e)}" for e in r.evidence] or ["- (no evidence collected)"]
        if r.fix:
            lines += ["", f"**What to change**: {_md(r.fix)}"]
        if r.mapping:
            lines += ["", "Commonly mapped to:", *[f"- {_md(m)}" for m in r.mapping]]
    lines += ["", f"_{_md(MAPPING_NOTE)}_", ""]
    return "\n".join(lines)


_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:70em;color:#222}
table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
.PASS{color:#176117;font-weight:bold}.FAIL{color:#a01414;font-weight:bold}.WARN{color:#8a5a00;font-weight:bold}
.NOT-RUN{color:#555;font-weight:bold}section{border-top:1px solid #ddd;margin-top:1.5em}
code,li{overflow-wrap:anywhere}.note{color:#555;font-size:.9em}
"""


def _cls(status: Status) -> str:
    return status.value.replace(" ", "-")


def to_html(report: Report) -> str:
    e = html.escape
    start, end, made = _when(report)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>VPC Flow Logs compliance evidence {e(start)} to {e(end)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>VPC Flow Logs compliance evidence</h1>",
        '<table class="meta">',
    ]
    out += [f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in _header_lines(report)]
    out += ["</table>", '<table class="summary"><tr><th>status</th><th>control</th><th>summary</th></tr>']
    for r in report.results:
        out.append(
            f'<tr><td class="{_cls(r.status)}">{e(r.status.value)}</td>'
            f'<td><a href="#{e(r.id)}">{e(r.id)}</a></td><td>{e(r.summary)}</td></tr>'
        )
    out.append("</table>")
    for r in report.results:
        out += [
            f'<section class="control" id="{e(r.id)}" data-control="{e(r.id)}" '
            f'data-status="{e(r.status.value)}">',
            f'<h2><span class="{_cls(r.status)}">{e(r.status.value)}</span> {e(r.title)} '
            f"<code>{e(r.id)}</code></h2>",
            f"<p>{e(r.summary)}</p>",
            "<h3>Evidence</h3><ul>",
            *[f"<li>{e(item)}</li>" for item in r.evidence],
            "</ul>" if r.evidence else "<li>(no evidence collected)</li></ul>",
        ]
        if r.fix:
            out.append(f'<h3>What to change</h3><p class="fix">{e(r.fix)}</p>')
        if r.mapping:
            out += ["<h3>Commonly mapped to</h3><ul>", *[f"<li>{e(m)}</li>" for m in r.mapping], "</ul>"]
        out.append("</section>")
    counts = report.counts()
    out += [
        f"<p>{e(', '.join(f'{n} {s}' for s, n in counts.items() if n))} of {len(report.results)} controls. "
        f"Made {e(made)} by flowsql.</p>",
        f'<p class="note">{e(MAPPING_NOTE)}</p>',
        "</body></html>",
    ]
    return "\n".join(out) + "\n"


def render(report: Report, fmt: str, *, verbose: bool = False) -> str:
    if fmt == "json":
        return to_json(report)
    if fmt == "markdown":
        return markdown(report)
    if fmt == "html":
        return to_html(report)
    return text(report, verbose=verbose)
