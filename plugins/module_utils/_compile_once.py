# -*- coding: utf-8 -*-
# Copyright: vnet.linux contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Imported first by every module: the collection's module_utils are then compiled once per run, not twice.

A module runs from AnsiballZ's zip, which holds sources only, so each run compiles every file it
imports. CPython's zipimporter compiles a file twice: ``find_spec`` asks it for the file name
(``spec_from_loader`` -> ``get_filename``, which compiles to find out whether the source or a
.pyc answers), then ``get_code`` compiles it again. For a link module that second compile was
~10 ms of the ~30 ms a run cost beyond a ``command`` task. The finder below answers for this
package's own modules with the spec the zipimporter would give, origin included, so only
``get_code`` compiles. Outside a zip (tests, sanity) it is not installed and imports are as usual.
"""

from __future__ import annotations

import os
import sys
import zipimport
from importlib.machinery import ModuleSpec


class CompileOnceFinder:
    """Finds this package's modules in the zip ``importer`` serves, leaving everything else to the
    usual finders (packages too: none of this package's files is one)."""

    def __init__(self, importer):
        self.importer = importer

    def find_spec(self, fullname, path=None, target=None):
        package, _dot, name = fullname.rpartition(".")
        if package != __package__:
            return None
        try:
            if self.importer.is_package(fullname):
                return None
        except zipimport.ZipImportError:  # not in the zip
            return None
        spec = ModuleSpec(fullname, self.importer,
                          origin=os.path.join(self.importer.archive, self.importer.prefix, name + ".py"))
        spec.has_location = True  # __file__ as the zipimporter sets it
        return spec


def install(loader):
    """Put the finder first when this file itself came from a zip (a module run); a no-op elsewhere.
    Python before 3.10 has no ``zipimporter.exec_module``: there imports stay as they are."""
    if isinstance(loader, zipimport.zipimporter) and hasattr(loader, "exec_module"):
        sys.meta_path.insert(0, CompileOnceFinder(loader))


install(__loader__)
