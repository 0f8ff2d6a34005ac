"""Render a grading report for the terminal."""

from __future__ import annotations

import textwrap

import click

from .records import ERROR, FAILED, PASSED, Report, TestResult

STATUS_LABELS = {PASSED: ("PASS ", "green"), FAILED: ("FAIL ", "red"), ERROR: ("ERROR", "yellow")}
INDENT = " " * 9


def points_text(value: float) -> str:
    """Format points without a needless ``.0``."""
    return f"{value:g}"


def render_report(report: Report, rerun: str) -> str:
    """Return the whole report as text (with ANSI colours; click strips them when piped).

    ``rerun`` is the command that repeats the run, seed included.
    """
    lines = [
        click.style(f"{report.exercise} ({report.alias})", bold=True)
        + f": grading {report.source}, seed {report.seed}",
        "",
    ]
    width = max((len(test.name) for test in report.tests), default=10)
    if report.load_error:
        lines.append(click.style("Your module could not be imported:", fg="red", bold=True))
        lines.extend(textwrap.indent(report.load_error, "  ").splitlines())
        lines.append("")
        lines.append(f"None of the {len(report.tests)} tests could run:")
        lines.extend(_test_line(test, width) for test in report.tests)
    else:
        previous: TestResult | None = None
        for test in report.tests:
            lines.append(_test_line(test, width))
            if test.status != PASSED:
                lines.extend(_failure_lines(test, previous))
                previous = test
    lines.append("")
    lines.append(_summary(report, rerun))
    return "\n".join(lines)


def _test_line(test: TestResult, width: int) -> str:
    label, colour = STATUS_LABELS[test.status]
    score = f"{points_text(test.score)}/{points_text(test.max_score)}"
    return f"  {click.style(label, fg=colour, bold=True)}  {test.name.ljust(width)}  {score:>7}"


def _failure_lines(test: TestResult, previous: TestResult | None) -> list[str]:
    """Lines under a failed test; a message repeated from the previous failure is shortened."""
    if previous is not None and previous.message == test.message and test.status == ERROR:
        lines = [INDENT + "same error as above"]
    else:
        lines = [INDENT + line for line in test.message.splitlines()]
    if test.hint and (previous is None or previous.hint != test.hint):
        label = "hint: " if len(test.hints) < 2 else f"hint {test.hint_level + 1}/{len(test.hints)}: "
        wrapped = textwrap.wrap(test.hint, width=88, initial_indent=label, subsequent_indent=" " * len(label))
        lines.extend(INDENT + click.style(line, fg="cyan") for line in wrapped)
    return lines


def _summary(report: Report, rerun: str) -> str:
    percent = 100 * report.score / report.max_score if report.max_score else 0
    counts = {status: sum(t.status == status for t in report.tests) for status in STATUS_LABELS}
    colour = "green" if report.full_marks else "red" if report.score == 0 else "yellow"
    score = click.style(
        f"Score: {points_text(report.score)}/{points_text(report.max_score)} ({percent:.0f}%)", fg=colour, bold=True
    )
    tally = f"{counts[PASSED]} passed, {counts[FAILED]} failed, {counts[ERROR]} errors"
    return f"{score}  {tally}\nReproduce this run with: {rerun}"


def render_hints(report: Report) -> str:
    """List the failed tests grouped by their hint, each at its current level."""
    failed = [test for test in report.tests if test.status != PASSED]
    head = click.style(f"{report.exercise} ({report.alias})", bold=True)
    if not failed:
        return f"{head}: every test passes, no hints needed."
    lines = [f"{head}: {len(failed)} of {len(report.tests)} tests not passed (seed {report.seed})", ""]
    groups: dict[tuple[str, int, int], list[str]] = {}
    for test in failed:
        groups.setdefault((test.hint, test.hint_level, len(test.hints)), []).append(test.name)
    for (hint, level, count), names in groups.items():
        lines.append("  " + click.style(", ".join(names), bold=True))
        last = " (last hint)" if level + 1 == count else ""
        label = f"hint {level + 1}/{count}{last}: "
        lines.extend("    " + click.style(line, fg="cyan") for line in
                     textwrap.wrap(hint, width=88, initial_indent=label, subsequent_indent=" " * len(label)))
    lines.append("")
    lines.append(f"Run `forge-grade hint {report.exercise}` again for the next level; "
                 f"`forge-grade {report.exercise}` shows the full report.")
    return "\n".join(lines)


def duration_text(seconds: float) -> str:
    """Format a duration as ``1h 05m``, ``12m`` or ``40s``."""
    if seconds < 60:
        return f"{seconds:.0f}s"
    minutes = int(seconds // 60)
    return f"{minutes // 60}h {minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


def render_status(rows: list, root) -> str:
    """Render the ``status`` table: one row per exercise."""
    import datetime

    lines = [click.style(f"Progress in {root}", bold=True), "",
             f"  {'#':>2}  {'exercise':<15} {'best':>9} {'last':>9} {'attempts':>8}  {'time spent':>10}  last run"]
    for exercise, row in rows:
        if row.attempts == 0:
            lines.append(f"  {exercise.number:>2}  {exercise.alias:<15} {'-':>9} {'-':>9} {0:>8}  {'-':>10}  -")
            continue
        best = f"{points_text(row.best_score)}/{points_text(row.max_score)}"
        last = f"{points_text(row.last_score)}/{points_text(row.max_score)}"
        when = datetime.datetime.fromtimestamp(row.last_run).strftime("%Y-%m-%d %H:%M")
        mark = click.style(" done", fg="green") if row.mastered else ""
        lines.append(f"  {exercise.number:>2}  {exercise.alias:<15} {best:>9} {last:>9} {row.attempts:>8}  "
                     f"{duration_text(row.time_spent):>10}  {when}{mark}")
    lines.append("")
    lines.append("Time spent is estimated from the gaps between grading runs less than 30 minutes apart.")
    return "\n".join(lines)


HTML_COLOURS = {PASSED: "#1a7f37", FAILED: "#cf222e", ERROR: "#9a6700"}


def render_html(report: Report, note: str = "", warnings: list[str] | None = None) -> str:
    """Render the report for a notebook: the terminal report's content as HTML."""
    from html import escape

    rows = []
    for test in report.tests:
        label, _ = STATUS_LABELS[test.status]
        colour = HTML_COLOURS[test.status]
        detail = ""
        if test.status != PASSED:
            hint = ""
            if test.hint:
                level = "" if len(test.hints) < 2 else f" {test.hint_level + 1}/{len(test.hints)}"
                hint = f'<div style="color:#0969da">hint{level}: {escape(test.hint)}</div>'
            detail = f'<pre style="margin:2px 0 6px 2em;white-space:pre-wrap">{escape(test.message)}</pre>{hint}'
        rows.append(
            f'<div><b style="color:{colour};font-family:monospace">{label.strip():<5}</b> '
            f'<code>{escape(test.name)}</code> {points_text(test.score)}/{points_text(test.max_score)}'
            f"{detail}</div>"
        )
    load = ""
    if report.load_error:
        load = f'<p style="color:#cf222e"><b>Your code could not be run:</b></p><pre>{escape(report.load_error)}</pre>'
    colour = HTML_COLOURS[PASSED] if report.full_marks else HTML_COLOURS[FAILED]
    score = (f'<p style="color:{colour}"><b>Score: {points_text(report.score)}/{points_text(report.max_score)}'
             f"</b> (seed {report.seed})</p>")
    extra = "".join(f"<p>{escape(line)}</p>" for line in [note, *(warnings or [])] if line)
    title = f"<p><b>{escape(report.exercise)} ({escape(report.alias)})</b></p>"
    return f'<div class="forge-report">{title}{load}{"".join(rows)}{score}{extra}</div>'
