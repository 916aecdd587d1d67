"""Moved: the report is :mod:`decide.audit.report` and the command :mod:`decide.audit.command`. This name stays
importable for notebooks and scripts written against it."""

from decide.audit.command import MAX_AUDIT_DRAWS, _check_arguments, _label_bias_spec, cmd_audit, register  # noqa: F401
from decide.audit.report import *  # noqa: F401,F403
from decide.audit.report import (ASSISTIVE, DEFINITIONS, HEADERS, PUNITIVE, TABLE_NAMES, _finite_table,  # noqa: F401
                                 _one_line_text, _table_html, disagreement_sentence, label_bias_sentences,
                                 output_paths, plain_summary, readable, report_html, write_report)
