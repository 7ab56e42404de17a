"""The report step: the consolidated workbook, the JSON summary, the Word report, the
feedback copies, and writing them.

:mod:`~workbook_tools.report.workbook`, :mod:`~workbook_tools.report.summary` and
:mod:`~workbook_tools.report.document` turn a
:class:`~workbook_tools.consolidation.Consolidation` into bytes;
:mod:`~workbook_tools.report.write` writes them into the period's outbox folder,
whole or not at all; :mod:`~workbook_tools.report.feedback` writes the feedback
copies. Nothing is imported here: the command line reads the officer's entries
(:mod:`~workbook_tools.report.entries`) without loading pandas, xlsxwriter and
python-docx, which only the commands that write reports need.
"""
