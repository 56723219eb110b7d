"""ptgen: publishing 项目支出绩效目标表 from YAML content."""
from __future__ import annotations

from .api import check, import_sources
from .load import load
from .report import Issue, Report, Severity

__version__ = "0.1.0"
__all__ = ["check", "import_sources", "load", "Issue", "Report", "Severity", "__version__"]
