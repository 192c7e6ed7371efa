"""The frozen application's entry point (PyInstaller runs this file, not ``python -m gui``)."""

import os
import sys

# qasync picks the first Qt binding it finds unless told; the bundle carries PySide6 only.
os.environ.setdefault("QT_API", "pyside6")

# The console starts its sandbox as ``sys.executable -m gui sandbox ...``; in a frozen app
# sys.executable is this program, so those two words are taken for what they mean here.
if sys.argv[1:3] == ["-m", "gui"]:
    del sys.argv[1:3]

from gui.cli import main  # noqa: E402

sys.exit(main())
