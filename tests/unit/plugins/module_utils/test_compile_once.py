"""_compile_once: in a zip laid out as AnsiballZ lays it out, the collection's module_utils compile once."""

import json
import os
import subprocess
import sys
import zipfile
import zipimport

import pytest

from ansible_collections.vnet.linux.plugins.module_utils import _compile_once

MODULE_UTILS_DIR = os.path.dirname(os.path.abspath(_compile_once.__file__))
PACKAGE = "ansible_collections.vnet.linux.plugins.module_utils"

# Run in a fresh interpreter with the zip alone on sys.path: count compiles per file, import the engine.
COUNT_COMPILES = """
import builtins, collections, json, sys
counts = collections.Counter()
real_compile = builtins.compile
def compile(source, filename, *args, **kwargs):
    counts[str(filename).rpartition("/")[2]] += 1
    return real_compile(source, filename, *args, **kwargs)
builtins.compile = compile
if sys.argv[1] == "first":
    from ansible_collections.vnet.linux.plugins.module_utils import _compile_once
from ansible_collections.vnet.linux.plugins.module_utils import _engine
print(json.dumps({"counts": counts, "file": _engine.__file__, "origin": _engine.__spec__.origin,
                  "finders": [type(finder).__name__ for finder in sys.meta_path],
                  "kinds": sorted(_engine.KINDS)}))
"""


@pytest.fixture(scope="module")
def ansiballz_like_zip(tmp_path_factory):
    """The collection's module_utils in a zip, with the empty package files AnsiballZ writes."""
    path = str(tmp_path_factory.mktemp("zip") / "modlib.zip")
    with zipfile.ZipFile(path, "w") as archive:
        parts = PACKAGE.split(".")
        for depth in range(1, len(parts) + 1):
            archive.writestr("/".join(parts[:depth]) + "/__init__.py", "")
        for name in sorted(os.listdir(MODULE_UTILS_DIR)):
            if name.endswith(".py") and name != "__init__.py":
                archive.write(os.path.join(MODULE_UTILS_DIR, name), PACKAGE.replace(".", "/") + "/" + name)
    return path


def import_engine_from(zip_path, compile_once):
    """Run in the zip's directory, with the zip as the only source of the collection."""
    env = dict(os.environ, PYTHONPATH=zip_path)
    out = subprocess.run([sys.executable, "-c", COUNT_COMPILES, "first" if compile_once else "plain"], env=env,
                         cwd=os.path.dirname(zip_path), check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def test_each_file_the_engine_imports_compiles_once(ansiballz_like_zip):
    result = import_engine_from(ansiballz_like_zip, compile_once=True)
    # Not the finder's own file (imported before the finder is in place) nor the empty package files.
    ours = dict((name, count) for name, count in result["counts"].items()
                if name.startswith("_") and name not in ("_compile_once.py", "__init__.py"))
    assert "_engine.py" in ours and "_netlink.py" in ours
    assert set(ours.values()) == {1}, ours
    assert "CompileOnceFinder" in result["finders"]


def test_modules_found_by_the_finder_carry_the_zip_location(ansiballz_like_zip):
    """__file__ and the origin are what zipimport sets: tracebacks and linecache read the source by them."""
    expected = zipimport.zipimporter(os.path.join(ansiballz_like_zip, PACKAGE.replace(".", "/"))).get_filename(
        PACKAGE + "._engine")
    result = import_engine_from(ansiballz_like_zip, compile_once=True)
    assert result["file"] == result["origin"] == expected
    assert result["kinds"] == import_engine_from(ansiballz_like_zip, compile_once=False)["kinds"]


def test_without_the_finder_this_python_compiles_twice(ansiballz_like_zip):
    """Why the finder exists; should a Python compile zip imports once by itself, the finder only costs a lookup."""
    counts = import_engine_from(ansiballz_like_zip, compile_once=False)["counts"]
    if counts["_engine.py"] == 1:
        pytest.skip("this Python's zipimport compiles each file once already")
    assert counts["_engine.py"] == 2


def test_outside_a_zip_nothing_is_installed():
    assert not [finder for finder in sys.meta_path if isinstance(finder, _compile_once.CompileOnceFinder)]


def test_the_finder_leaves_other_packages_and_missing_names_alone(ansiballz_like_zip):
    finder = _compile_once.CompileOnceFinder(
        zipimport.zipimporter(os.path.join(ansiballz_like_zip, PACKAGE.replace(".", "/"))))
    assert finder.find_spec("ansible_collections.vnet.linux.plugins.modules.vnet_veth") is None
    assert finder.find_spec(PACKAGE + "._no_such_file") is None
    assert finder.find_spec("json") is None
    assert finder.find_spec(PACKAGE + "._netlink").origin.endswith("module_utils/_netlink.py")
