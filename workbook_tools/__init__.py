"""workbook-tools: a commune's plan-reporting cycle in Excel.

The pipeline, one step a module (package): plan → forms → inbox → checks →
consolidation → report. Each step takes plain data and hands plain data on;
``pipeline`` wires them, one function a command; ``cli`` only parses options,
calls it and prints.
"""

__version__ = "0.1.0"
