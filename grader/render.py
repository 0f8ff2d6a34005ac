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


def render_report(report: Report, command: str) -> str:
    """Return the whole report as text (with ANSI colours; click strips them when piped)."""
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
    lines.append(_summary(report, command))
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
        wrapped = textwrap.wrap(test.hint, width=88, initial_indent="hint: ", subsequent_indent="      ")
        lines.extend(INDENT + click.style(line, fg="cyan") for line in wrapped)
    return lines


def _summary(report: Report, command: str) -> str:
    percent = 100 * report.score / report.max_score if report.max_score else 0
    counts = {status: sum(t.status == status for t in report.tests) for status in STATUS_LABELS}
    colour = "green" if report.full_marks else "red" if report.score == 0 else "yellow"
    score = click.style(
        f"Score: {points_text(report.score)}/{points_text(report.max_score)} ({percent:.0f}%)", fg=colour, bold=True
    )
    tally = f"{counts[PASSED]} passed, {counts[FAILED]} failed, {counts[ERROR]} errors"
    return f"{score}  {tally}\nReproduce this run with: {command} --seed {report.seed}"
