"""NHS England's Organisation Data Service files: read them (files), then bring the
database in line (importer)."""

from groups.ods.files import OdsFileError, read_pcns, read_practices
from groups.ods.importer import ImportReport, ods_import

__all__ = ["ImportReport", "OdsFileError", "ods_import", "read_pcns", "read_practices"]
