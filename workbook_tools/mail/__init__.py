"""The mailbox: forms sent to the roster, replies taken into the inbox, reminders.

A step beside the inbox, in the pipeline's shape:

- :mod:`~workbook_tools.mail.compose`: the messages, plain data in, an
  :class:`email.message.EmailMessage` out (Vietnamese subject and body, the form or
  the feedback copy attached);
- :mod:`~workbook_tools.mail.transport`: where they go: ``.eml`` drafts in the
  outbox (the default: they open in Outlook or Thunderbird, to be sent from there),
  or an SMTP server (``--smtp``), with a clear Vietnamese message for each failure;
- :mod:`~workbook_tools.mail.fetch`: replies read from an mbox file, a folder of
  ``.eml`` files or an IMAP mailbox (read-only), their attachments saved into
  ``inbox/`` with their arrival from the mail recorded in the ledger.

Only the standard library's mail modules (:mod:`smtplib`, :mod:`imaplib`,
:mod:`email`, :mod:`mailbox`); every network call has a timeout. No password is
ever written anywhere: it comes from ``WBT_MAIL_PASSWORD`` or a prompt.
"""

#: The environment variable the mail server's password is read from.
PASSWORD_VARIABLE = "WBT_MAIL_PASSWORD"
#: Seconds any one network operation may take before it is given up.
TIMEOUT = 30.0
#: The spreadsheets' MIME types, by extension: what a form is attached as, and how an
#: attachment with no name is known to be one.
SPREADSHEET_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
    ".xls": "application/vnd.ms-excel",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
}
