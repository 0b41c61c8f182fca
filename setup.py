"""The build step setuptools cannot declare: compile the catalogs (.po → .mo) into the package.

Everything else is in pyproject.toml."""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py


def compile_catalogs(locales: Path) -> None:
    """The same compilation as `python -m bot i18n compile` (bot/i18n.py), without the bot."""
    for po_path in sorted(locales.glob("*/LC_MESSAGES/*.po")):  # messages and console
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=po_path.parent.parent.name)
        with po_path.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)


class BuildWithCatalogs(build_py):
    """Copies the packages as usual, then compiles the catalogs where they were copied. (An
    editable install copies nothing: the bot compiles the source tree's catalogs at start.)"""

    def run(self) -> None:
        super().run()
        built = Path(self.build_lib) / "locales"
        if built.is_dir():
            compile_catalogs(built)


setup(cmdclass={"build_py": BuildWithCatalogs})
