"""workbook-tools: a commune's plan-reporting cycle in Excel.

The pipeline, one step a module (package): plan → forms → inbox → checks →
consolidation → report. Each step takes plain data and hands plain data on;
``pipeline`` wires them, one function a command; ``cli`` only parses options,
calls it and prints.
"""

__version__ = "0.1.0"

#: What the officer reads when the command is stopped with Ctrl-C (click says it once
#: the command runs: its "Aborted!" is this sentence in the catalogue, locale/vi).
STOPPED = "Đã dừng theo yêu cầu (Ctrl-C). Tệp đã có vẫn giữ nguyên; hãy chạy lại lệnh khi cần."


def main() -> None:
    """The ``wbt`` command: Ctrl-C stops it at any moment with a sentence, not a traceback.

    The command line's modules are imported here, inside the guard: loading
    them takes a tenth of a second, a moment a Ctrl-C can land in.
    """
    import sys

    try:
        from workbook_tools.cli import main as run

        run()
    except KeyboardInterrupt:
        print(f"\n{STOPPED}", file=sys.stderr)
        sys.exit(130)
