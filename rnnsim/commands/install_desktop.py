"""``rnnsim install-desktop``: a menu entry that starts the app, with its icon; ``--remove`` takes it away.

Linux (and other freedesktop systems): ``$XDG_DATA_HOME/applications/rnnsim.desktop`` (``XDG_DATA_HOME``
defaults to ``~/.local/share``) and the icon at ``$XDG_DATA_HOME/icons/hicolor/<n>x<n>/apps/rnnsim.png``
for n in 16, 22, 24, 32, 48, 64, 128, 256 plus ``hicolor/scalable/apps/rnnsim.svg``, each written atomically;
then ``update-desktop-database`` and ``gtk-update-icon-cache`` when they are installed. Windows: a
Start-menu shortcut ``rnnsim.lnk`` made by PowerShell's ``WScript.Shell`` and its icon
``%LOCALAPPDATA%\\rnnsim\\rnnsim.ico``. macOS: not supported (one line, exit 2).

The entry starts the ``rnnsim-app`` launcher (no console window) found beside this Python or on PATH,
else ``python -m rnnsim``. The window is matched to the entry by its X11 class, which Qt takes from the
application name (``StartupWMClass=rnnsim``), and on Wayland by ``QGuiApplication.desktopFileName``,
which must be "rnnsim". This command writes files only: it never imports Qt."""
from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

from ..data.tasks import RESOURCES
from ..io import write_atomic
from .common import JSON_HELP, UsageError, strict_json

APP_ID = "rnnsim"                     # the .desktop file's name, the icon's name, the window's class
#: 22 and 24: the sizes GTK menus draw; without a PNG there they load the SVG, which not every desktop can
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256)
ICONS = RESOURCES / "icons"
#: characters that make an Exec argument need quoting (the Desktop Entry Specification's list)
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def register(sub):
    p = sub.add_parser("install-desktop", help="add a menu entry (with the icon) that starts the app")
    p.add_argument("--remove", action="store_true", help="remove the menu entry and icons this command wrote")
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p.set_defaults(run=run)


def run(args, out, system: str | None = None):
    system = system or sys.platform
    if system == "darwin":
        raise UsageError("rnnsim install-desktop: not supported on macOS; start the app with rnnsim-app")
    say = (lambda line: None) if args.json else out
    if system == "win32":
        targets = windows_paths(os.environ)
        files = _remove(targets.values(), say) if args.remove else install_windows(targets, say)
    else:
        data_home = xdg_data_home(os.environ)
        targets = linux_paths(data_home)
        files = _remove(targets.values(), say) if args.remove else install_linux(data_home, say)
        _refresh_caches(data_home)
    if args.json:
        out(strict_json({"removed" if args.remove else "written": [str(path) for path in files]}))
    return 0


# ---- what the entry starts ----------------------------------------------------------------------------
def launcher_command(python: str | None = None, which=shutil.which) -> list[str]:
    """The argv the menu entry runs: the ``rnnsim-app`` launcher beside ``python`` (a venv's or pipx's
    bin folder), else on PATH, else ``python -m rnnsim`` (``pythonw`` on Windows: no console window). In a
    bundle (PyInstaller sets ``sys.frozen``) the executable itself is the app: started with no arguments."""
    if python is None and getattr(sys, "frozen", False):
        return [sys.executable]
    python = python or sys.executable
    name = "rnnsim-app.exe" if python.lower().endswith(".exe") else "rnnsim-app"
    beside = Path(python).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    found = which("rnnsim-app")
    if found:
        return [str(Path(found).resolve())]
    windowless = Path(python).with_name("pythonw.exe")
    return [str(windowless) if windowless.is_file() else python, "-m", "rnnsim"]


# ---- Linux: freedesktop .desktop file and hicolor icons ------------------------------------------------
def xdg_data_home(environ) -> Path:
    """``$XDG_DATA_HOME`` when it is an absolute path (the spec ignores a relative one), else ~/.local/share."""
    value = environ.get("XDG_DATA_HOME", "")
    if value and os.path.isabs(value):
        return Path(value)
    return Path(environ.get("HOME") or Path.home()) / ".local" / "share"


def linux_paths(data_home: Path) -> dict[str, Path]:
    """{what: where} for every file the Linux install writes (and ``--remove`` deletes)."""
    paths = {"menu entry": data_home / "applications" / f"{APP_ID}.desktop"}
    hicolor = data_home / "icons" / "hicolor"
    for size in ICON_SIZES:
        paths[f"icon {size}"] = hicolor / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
    paths["icon scalable"] = hicolor / "scalable" / "apps" / f"{APP_ID}.svg"
    return paths


def exec_field(argv: list[str]) -> str:
    """argv as a .desktop ``Exec`` value: an argument with a reserved character in double quotes, with
    ``"`` `` ` `` ``$`` ``\\`` escaped by a backslash; then every backslash doubled (the string escape
    the spec applies before the quoting rule) and ``%`` written ``%%`` (field codes)."""
    quoted = []
    for arg in argv:
        if any(ch in _RESERVED for ch in arg) or not arg:
            arg = '"' + "".join("\\" + ch if ch in '"`$\\' else ch for ch in arg) + '"'
        quoted.append(arg.replace("\\", "\\\\").replace("%", "%%"))
    return " ".join(quoted)


def desktop_entry(argv: list[str]) -> str:
    """The text of rnnsim.desktop, starting ``argv``."""
    return "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.4",
        "Name=rnnsim",
        "GenericName=Recurrent neural network simulator",
        "Comment=See recurrent neural networks work: unrolled graphs, step-through BPTT, live training plots",
        f"Exec={exec_field(argv)}",
        f"Icon={APP_ID}",
        "Terminal=false",
        "Categories=Education;Science;",
        "Keywords=RNN;LSTM;GRU;neural network;BPTT;machine learning;",
        f"StartupWMClass={APP_ID}",
        "",
    ])


def install_linux(data_home: Path, out, argv: list[str] | None = None) -> list[Path]:
    """Write the icons, then the menu entry that names them (each atomically); return what was written."""
    paths = linux_paths(data_home)
    sources = {f"icon {size}": ICONS / f"{APP_ID}-{size}.png" for size in ICON_SIZES}
    sources["icon scalable"] = ICONS / f"{APP_ID}.svg"
    for what, source in sources.items():
        _write(paths[what], source.read_bytes(), what)
    _write(paths["menu entry"], desktop_entry(argv or launcher_command()).encode("utf-8"), "menu entry")
    out(f"menu entry: {paths['menu entry']}")
    out(f"icons: {len(sources)} files under {data_home / 'icons' / 'hicolor'}")
    return list(paths.values())


def _refresh_caches(data_home: Path) -> None:
    """Tell the desktop about the change when its cache tools are installed (absent or failing: ignored)."""
    for tool, folder in (("update-desktop-database", data_home / "applications"),
                         ("gtk-update-icon-cache", data_home / "icons" / "hicolor")):
        program = shutil.which(tool)
        if program is None or not folder.is_dir():
            continue
        extra = ["-f", "-t", "-q"] if tool == "gtk-update-icon-cache" else ["-q"]
        try:
            subprocess.run([program, *extra, str(folder)], capture_output=True, timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired):
            pass


# ---- Windows: Start-menu shortcut ----------------------------------------------------------------------
def windows_paths(environ) -> dict[str, Path]:
    """{what: where}: the Start-menu shortcut and the icon it shows."""
    appdata = Path(environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    local = Path(environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    return {"shortcut": appdata / "Microsoft" / "Windows" / "Start Menu" / "Programs" / f"{APP_ID}.lnk",
            "icon": local / APP_ID / f"{APP_ID}.ico"}


def ico_from_pngs(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico holding the PNG images {size: bytes} as they are (PNG entries, Windows Vista on):
    a 6-byte header, one 16-byte entry per image (a width or height of 256 written as 0), the images."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(header) + 16 * len(pngs)
    entries, images = [], []
    for size, data in sorted(pngs.items()):
        entries.append(struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(data), offset))
        images.append(data)
        offset += len(data)
    return header + b"".join(entries) + b"".join(images)


def _ps_quote(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def shortcut_command(shortcut: Path, argv: list[str], icon: Path) -> list[str]:
    """The PowerShell command that writes the .lnk (WScript.Shell's CreateShortcut)."""
    script = "; ".join([
        f"$s = (New-Object -ComObject WScript.Shell).CreateShortcut({_ps_quote(shortcut)})",
        f"$s.TargetPath = {_ps_quote(argv[0])}",
        f"$s.Arguments = {_ps_quote(subprocess.list2cmdline(argv[1:]))}",
        f"$s.IconLocation = {_ps_quote(str(icon) + ',0')}",
        "$s.Description = 'See recurrent neural networks work'",
        "$s.Save()",
    ])
    return ["powershell", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-Command", script]


def install_windows(paths: dict[str, Path], out, argv: list[str] | None = None) -> list[Path]:
    """Write the icon, then the shortcut (PowerShell); return both paths."""
    icon = ico_from_pngs({size: (ICONS / f"{APP_ID}-{size}.png").read_bytes() for size in ICON_SIZES})
    _write(paths["icon"], icon, "icon")
    paths["shortcut"].parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(shortcut_command(paths["shortcut"], argv or launcher_command(), paths["icon"]),
                            capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0 or not paths["shortcut"].is_file():
        reason = (result.stderr or result.stdout).strip().splitlines()
        raise UsageError(f"rnnsim install-desktop: PowerShell could not write {paths['shortcut']}"
                         + (f" ({reason[-1]})" if reason else ""))
    out(f"Start-menu shortcut: {paths['shortcut']}")
    return [paths["icon"], paths["shortcut"]]


# ---- shared ------------------------------------------------------------------------------------------
def _write(path: Path, payload: bytes, what: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, payload, what)


def _remove(paths, out) -> list[Path]:
    """Delete the files the install writes (nothing else: no folder, no other file); return those deleted."""
    removed = []
    for path in paths:
        if path.is_file() or path.is_symlink():
            path.unlink()
            removed.append(path)
    count = len(removed)
    out(f"removed {count} file{'s' if count != 1 else ''}" if count else "nothing to remove")
    return removed
