"""Print an answer as its pieces arrive (graph/query/stream.py): bytes to standard output as they come, a table's
page, then one line saying how many rows there are, or which were left out and by what (decision 0111)."""

from __future__ import annotations

import select
import sys

from rich.text import Text

from msckg.graph.query.output import render_page, table_footer
from msckg.graph.query.stream import Plan, Summary, write_rows

from .common import STATE, err, fail, out


class Printer:
    """The `send` of stream.py's producers, on the CLI's side: call it with each message, then `finish`."""

    def __init__(self, plan: Plan, title: str | None = None):
        self.plan, self.title = plan, title
        self.rows = 0  # rows (or triples) written so far
        self.wrote = False  # any byte of the answer on standard output
        self.last = b""
        self.delivered = False  # everything asked for is written; only the count of what is left out may follow
        self.counted = 0
        self.paged = False  # the answer is a table of rows (its footer follows it on standard output)

    def __call__(self, kind: str, *payload) -> None:
        getattr(self, "_" + kind)(*payload)

    def _bytes(self, data: bytes, rows: int) -> None:
        if data:
            sys.stdout.flush()  # whatever went through the text layer first
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()  # to the reader now, not when a buffer fills
            self.last, self.wrote = data[-1:], True
        self.rows += rows

    def _page(self, rows) -> None:
        render_page(rows, out, self.title)
        out.file.flush()
        self.rows, self.wrote, self.paged = len(rows.rows), True, True

    def _delivered(self, shown: int) -> None:
        self.delivered = True
        if not self.paged and self.last != b"\n":  # text ends in a newline, as every other command's output
            self._bytes(b"\n", 0)

    def _counted(self, n: int) -> None:
        self.counted = n
        if _reader_gone():  # `| head`: nobody will read the count, so stop counting (the worker is killed)
            raise BrokenPipeError

    def finish(self, summary: Summary) -> None:
        """The line that says how many rows there are, or what was left out (a table's footer; stderr otherwise)."""
        if self.paged:
            out.print(table_footer(summary.shown, summary.more, summary.cut))
        elif summary.more:
            self._left_out(f"{summary.more:,} more row(s) left out by --limit {self.plan.limit}")

    def stopped(self, exc) -> bool:
        """A limit stopped the worker (QueryTimeout): True when everything asked for had been written and only the
        count of the rows left out was cut short (said as a lower bound); else raise it, saying what was written."""
        if self.delivered:
            why = exc.reason
            if self.paged:
                out.print(table_footer(self.rows, self.counted, None, stopped=why))
            else:
                self._left_out(f"at least {self.counted:,} more row(s) left out by --limit {self.plan.limit} "
                               f"(counting them stopped at {why})")
            return True
        if self.wrote:
            sys.stdout.flush()
            raise type(exc)(f"{exc}; the output above is incomplete ({self.rows:,} row(s) written)", exc.reason) from None
        raise exc

    def _left_out(self, line: str) -> None:
        if not STATE["quiet"]:
            sys.stdout.flush()  # the answer first, then the note (stderr), also when both go to one log
            err.print(Text(line, style="dim"))


def emit(rows, fmt, title=None, columns: str | None = None, default: list[str] | None = None, iris: bool = False,
         limit: int | None = None):
    """Print rows already gathered: a table of the default columns (or those asked for), or a standard results
    document, the same way as an answer printed as it comes (graph/query/stream.py, cli/printer.py)."""
    if limit is not None and limit < 0:
        fail(f"--limit must be 0 (all rows) or more, got {limit}")
    plan = Plan(fmt, columns, default, iris, limit)
    printer = Printer(plan, title)
    printer.finish(write_rows(rows.variables, rows.rows, plan, printer))


def _reader_gone() -> bool:
    """Whether standard output is a pipe whose reader has closed it (poll says POLLERR for its write end)."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(ev & (select.POLLERR | select.POLLHUP) for _, ev in poller.poll(0))
    except (OSError, ValueError, AttributeError):  # not a file descriptor (a test's captured output)
        return False
