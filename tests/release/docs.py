"""Render the vnet.linux reference (modules, plugins, roles) with antsibull-docs.

Usage: docs.py DEST           render into DEST (`make docs`: docs/reference)
       docs.py --check DEST   render into a scratch directory and fail if DEST differs

The collection must be installed where ansible finds it (the Makefile points
ANSIBLE_COLLECTIONS_PATH at its clean copy). The output is antsibull-docs'
"simplified RST", which GitHub renders, so the README links the committed pages
and nobody has to build a docsite to read them.
"""

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

COLLECTION = "vnet.linux"
ANSIBLE_DOCSITE = "https://docs.ansible.com/ansible/latest/collections"

# Inside its HTML option tables antsibull-docs links plugins with docsite paths
# (../../<namespace>/<name>/<plugin>_<type>.html); here the pages are .rst files side by side.
DOCSITE_LINK = re.compile(r"\.\./\.\./(?P<namespace>\w+)/(?P<name>\w+)/(?P<page>\w+)\.html")
# In RST text it links every plugin as a page beside this one, other collections' too.
PLUGIN_LINK = re.compile(r"`(?P<namespace>\w+)\.(?P<name>\w+)\.\w+ <(?P<page>\w+)\.rst>`__")
# Relative page links as they appear in RST (`text <page.rst>`_) and in HTML (href='page.rst').
LOCAL_LINK = re.compile(r"""(?:<|href=["'])(?P<page>[\w.-]+\.rst)(?:#[^>"']*)?[>"']""")


def docsite_url(match):
    return f"{ANSIBLE_DOCSITE}/{match['namespace']}/{match['name']}/{match['page']}.html"


def table_link(match):
    if f"{match['namespace']}.{match['name']}" == COLLECTION:
        return f"{match['page']}.rst"
    return docsite_url(match)


def text_link(match):
    if f"{match['namespace']}.{match['name']}" == COLLECTION:
        return match[0]
    return match[0].replace(f"<{match['page']}.rst>", f"<{docsite_url(match)}>")


def render(dest):
    antsibull = subprocess.run(
        ["antsibull-docs", "collection", "--use-current", "--squash-hierarchy",
         "--output-format", "simplified-rst", "--no-add-antsibull-docs-version",
         "--fail-on-error", "--cleanup", "everything", "--dest-dir", str(dest), COLLECTION],
        check=False)
    if antsibull.returncode:
        raise SystemExit("docs: antsibull-docs could not render the reference (see above)")
    for page in dest.glob("*.rst"):
        text = page.read_text()
        page.write_text(PLUGIN_LINK.sub(text_link, DOCSITE_LINK.sub(table_link, text)))


def broken_links(dest):
    return sorted({f"{page.name} -> {match['page']}"
                   for page in dest.glob("*.rst")
                   for match in LOCAL_LINK.finditer(page.read_text())
                   if not (dest / match["page"]).is_file()})


def differences(rendered, committed):
    if not committed.is_dir():
        return [f"{committed} does not exist"]
    new, old = ({page.name: page.read_bytes() for page in tree.iterdir()} for tree in (rendered, committed))
    return ([f"changed: {name}" for name in sorted(new.keys() & old.keys()) if new[name] != old[name]]
            + [f"missing: {name}" for name in sorted(new.keys() - old.keys())]
            + [f"stale: {name}" for name in sorted(old.keys() - new.keys())])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare with DEST instead of writing it")
    parser.add_argument("dest", type=Path)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        # antsibull-docs only writes into a directory nobody else can write to (mkdtemp: 0700).
        out = Path(scratch) if args.check else args.dest
        if not args.check:
            out.mkdir(parents=True, exist_ok=True)
            out.chmod(0o755)
        render(out)
        problems = [f"broken link: {link}" for link in broken_links(out)]
        if args.check:
            problems += [f"{diff} (run `make docs` and commit {args.dest})"
                         for diff in differences(out, args.dest)]
    for problem in problems:
        print(f"docs: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
