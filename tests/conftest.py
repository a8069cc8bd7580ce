"""Shared by the engine and UI tests. Qt must render offscreen when there is no display: without
it a pytest-qt run aborts the whole process (STACK-FACTS.md). pytest-qt creates the QApplication
lazily, so setting the platform here, before any test runs, is enough."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
