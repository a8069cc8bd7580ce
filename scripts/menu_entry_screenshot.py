"""Screenshot rnnsim's installed menu entry in a real desktop menu: LXDE's panel (lxpanel) with openbox,
on a private Xvfb, with a temporary HOME.

The script runs ``python -m rnnsim install-desktop`` with ``XDG_DATA_HOME`` in a temporary folder, starts
openbox and lxpanel there, opens the panel's application menu, finds the category whose submenu holds
the rnnsim icon (Education, from ``Categories=Education;Science;``), points at the rnnsim entry so it is
highlighted and its tooltip (the entry's Comment) shows, and writes

* ``docs/screenshots/menu-entry.png``: the menu, the submenu with the entry and its icon, the tooltip and
  the panel below, cropped from the 1366 x 768 screen;
* ``docs/screenshots/menu-entry-launched.png``: the whole screen after the entry was clicked, once the
  window with WM_CLASS rnnsim has drawn its first page (the panel's task bar shows it too).

Then it runs ``install-desktop --remove`` and checks that the menu entry and the icons are gone. The app
started from the menu keeps its settings and autosaves in the temporary folder. Every process the script
started (Xvfb, openbox, lxpanel, lxpanel's menu-cached, the app and its worker) is ended at the end: they
carry a marker in their environment by which the script finds them, orphans included.

Needs (Debian/Ubuntu):

    apt-get install -y --no-install-recommends xvfb xdotool x11-utils imagemagick lxpanel openbox adwaita-icon-theme

Run from the repository's root:

    python scripts/menu_entry_screenshot.py [--no-launch] [--menu-icon-size 24]

Exit status: 0 done, 1 something did not show up (the screen at that moment is written to
``menu-entry-failed.png`` in the temporary folder, which is then kept), 2 a tool is missing (one line says
what to install).

The menu draws its icons at ``--menu-icon-size`` (GTK's gtk-menu size, 24 px by default). install-desktop
writes no 24 px PNG, so GTK loads the scalable SVG there; gdk-pixbuf recognises an SVG by its content and
misses a ``<svg`` tag that starts past the file's first 256 bytes (a leading comment can push it there):
then GTK menus show a generic icon instead. The script checks this first and, when the installed SVG has
that fault, says so and draws the menu at 16 px, a size with an installed PNG. Either way it looks for the
installed icon in the menu's pixels (ImageMagick's sub-image search) and fails when it is not there.
"""
from __future__ import annotations

import argparse
import ctypes
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
SCREEN = (1366, 768)
PANEL_HEIGHT = 28
APT = ("apt-get install -y --no-install-recommends xvfb xdotool x11-utils imagemagick lxpanel openbox "
       "adwaita-icon-theme")
TOOLS = {"Xvfb": "xvfb", "xdotool": "xdotool", "xwininfo": "x11-utils", "xprop": "x11-utils",
         "import": "imagemagick", "convert": "imagemagick", "compare": "imagemagick", "display": "imagemagick",
         "lxpanel": "lxpanel", "openbox": "openbox"}
MARKER = "RNNSIM_MENU_SCREENSHOT"          # in every started process's environment: how they are found
SVG_SNIFF_BYTES = 256                      # shared-mime-info's svg magic: "<svg" within offset 0:256
CHILD_LINE = re.compile(r'^\s+(0x[0-9a-f]+) "lxpanel": \("lxpanel" "Lxpanel"\)\s+(\d+)x(\d+)\+(-?\d+)\+(-?\d+)',
                        re.MULTILINE)

PANEL = """Global {
    edge=bottom
    allign=left
    margin=0
    widthtype=percent
    width=100
    height=%(height)d
    transparent=0
    background=1
    backgroundfile=/usr/share/lxpanel/images/background.png
    usefontcolor=1
    fontcolor=#ffffff
    setdocktype=1
    setpartialstrut=1
}
Plugin {
    type=space
    Config {
        Size=2
    }
}
Plugin {
    type=menu
    Config {
        image=/usr/share/lxpanel/images/my-computer.png
        system {
        }
        separator {
        }
        item {
            command=run
        }
        separator {
        }
        item {
            image=gnome-logout
            command=logout
        }
    }
}
Plugin {
    type=space
    Config {
        Size=6
    }
}
Plugin {
    type=taskbar
    expand=1
    Config {
        tooltips=1
        IconsOnly=0
        ShowAllDesks=0
        FlatButton=0
        MaxTaskWidth=180
        spacing=1
    }
}
Plugin {
    type=dclock
    Config {
        ClockFmt=%%R
        BoldFont=0
    }
}
"""


class Failed(Exception):
    """Something expected did not show up on the screen."""


# ---- processes ---------------------------------------------------------------------------------------
class Desktop:
    """Xvfb, openbox and lxpanel with a temporary HOME, XDG folders and a marker in their environment."""

    def __init__(self, tmp: Path, menu_icon_size: int):
        self.tmp = tmp
        self.menu_icon_size = menu_icon_size
        self.processes: list[subprocess.Popen] = []
        home = tmp / "home"
        self.data_home = tmp / "data"
        runtime = tmp / "runtime"
        for folder in (home, self.data_home, tmp / "config", tmp / "cache", runtime):
            folder.mkdir(parents=True, exist_ok=True)
        runtime.chmod(0o700)
        self.env = dict(os.environ, HOME=str(home), XDG_DATA_HOME=str(self.data_home),
                        XDG_CONFIG_HOME=str(tmp / "config"), XDG_CACHE_HOME=str(tmp / "cache"),
                        XDG_RUNTIME_DIR=str(runtime), RNNSIM_DATA_DIR=str(tmp / "rnnsim-data"),
                        QT_QPA_PLATFORM="xcb", RNNSIM_STARTUP_TRACE="1", LANG="C.UTF-8", LC_ALL="C.UTF-8")
        self.env[MARKER] = str(tmp)
        for name in ("WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "XDG_DATA_DIRS", "XDG_CONFIG_DIRS",
                     "XDG_CURRENT_DESKTOP", "DESKTOP_SESSION", "GTK2_RC_FILES"):
            self.env.pop(name, None)
        (home / ".gtkrc-2.0").write_text(
            'gtk-icon-theme-name="Adwaita"\n'
            'gtk-font-name="DejaVu Sans 10"\n'
            f'gtk-icon-sizes="gtk-menu={menu_icon_size},{menu_icon_size}"\n'
            'gtk-tooltip-timeout=300\n')
        profile = tmp / "config" / "lxpanel" / "rnnsim"
        (profile / "panels").mkdir(parents=True)
        (profile / "config").write_text("")
        (profile / "panels" / "panel").write_text(PANEL % {"height": PANEL_HEIGHT})

    # Xvfb -displayfd, as bench/bench_startup.py's Xvfb
    def start_x(self):
        read_end, write_end = os.pipe()
        self.spawn(["Xvfb", "-displayfd", str(write_end), "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24",
                    "-nolisten", "tcp"], pass_fds=(write_end,))
        os.close(write_end)
        with os.fdopen(read_end) as pipe:
            number = pipe.readline().strip()
        if not number:
            raise Failed("Xvfb did not start")
        self.env["DISPLAY"] = f":{number}"

    def spawn(self, argv, log: str | None = None, **kw) -> subprocess.Popen:
        with open(self.tmp / (log or "spawned.log"), "a") as out:       # the child keeps its own copy
            process = subprocess.Popen(argv, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, cwd=ROOT, **kw)
        self.processes.append(process)
        return process

    def run(self, *argv, check=True) -> str:
        result = subprocess.run(list(argv), env=self.env, capture_output=True, text=True, timeout=120, cwd=ROOT,
                                check=False)
        if check and result.returncode != 0:
            raise Failed(f"{' '.join(argv)} failed: {(result.stderr or result.stdout).strip()}")
        return result.stdout

    def stop(self):
        """End every process that carries this run's marker (the app from the menu and menu-cached are
        not our children; this process is their subreaper, so they are reaped here too)."""
        for sig, grace in ((signal.SIGTERM, 8.0), (signal.SIGKILL, 3.0)):
            pids = marked_pids(str(self.tmp))
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + grace
            while marked_pids(str(self.tmp)) and time.monotonic() < deadline:
                reap()
                time.sleep(0.1)
            reap()
        for process in self.processes:
            try:
                process.wait(2)
            except subprocess.TimeoutExpired:
                pass
        deadline = time.monotonic() + 5.0               # orphans reparented to us as their parents exit
        while not reap() and time.monotonic() < deadline:
            time.sleep(0.1)
        return marked_pids(str(self.tmp))


def marked_pids(marker: str) -> list[int]:
    """Running (not zombie) processes whose environment holds MARKER=marker, this one excepted."""
    wanted = f"{MARKER}={marker}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                if stat.read().rsplit(b")", 1)[1].split()[0] == b"Z":
                    continue
            with open(f"/proc/{entry}/environ", "rb") as environ:
                if wanted in environ.read().split(b"\0"):
                    found.append(int(entry))
        except OSError:
            continue
    return found


def reap() -> bool:
    """Collect exited children; True when this process has no child left at all."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return True
        if pid == 0:
            return False


def become_subreaper():
    """Orphans of our processes (lxpanel's menu-cached, the app lxpanel starts) become our children."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)        # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


# ---- the screen ----------------------------------------------------------------------------------------
def popups(desk: Desktop) -> dict[str, tuple[int, int, int, int]]:
    """lxpanel's mapped override-redirect windows (menus, submenus, tooltips): {id: (x, y, w, h)}."""
    listing = desk.run("xwininfo", "-root", "-children")
    found = {}
    for wid, w, h, x, y in CHILD_LINE.findall(listing):
        x, y, w, h = int(x), int(y), int(w), int(h)
        if x >= 0 and y >= 0 and w > 20 and h > 20 and is_viewable(desk, wid):
            found[wid] = (x, y, w, h)
    return found


def is_viewable(desk: Desktop, wid: str) -> bool:
    return "IsViewable" in desk.run("xwininfo", "-id", wid, check=False)


def wait_for(what: str, probe, timeout=20.0, step=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(step)
    raise Failed(f"{what} did not show up within {timeout:.0f} s")


def shoot(desk: Desktop, path: Path, crop: tuple[int, int, int, int] | None = None):
    raw = desk.tmp / "screen.png"
    desk.run("import", "-window", "root", str(raw))
    args = ["convert", str(raw)]
    if crop:
        x, y, w, h = crop
        args += ["-crop", f"{w}x{h}+{x}+{y}", "+repage"]
    desk.run(*args, "-strip", str(path))


def icon_offset(desk: Desktop, window: str, icon: Path) -> tuple[int, int] | None:
    """Where (x, y inside ``window``) the installed icon is drawn, or None: ImageMagick's sub-image
    search for the icon, scaled to the menu's icon size and put on the menu's background colour."""
    shot = desk.tmp / "submenu.png"
    desk.run("import", "-window", window, str(shot))
    background = desk.run("convert", str(shot), "-format", "%[pixel:p{2,2}]", "info:").strip()
    template = desk.tmp / "icon-template.png"
    size = desk.menu_icon_size
    desk.run("convert", str(icon), "-resize", f"{size}x{size}", "-background", background, "-flatten",
             str(template))
    result = subprocess.run(["compare", "-metric", "RMSE", "-subimage-search", str(shot), str(template),
                             "null:"], capture_output=True, text=True, timeout=60, check=False)
    match = re.search(r"\(([0-9.e-]+)\) @ (\d+),(\d+)", result.stderr)
    if not match or float(match.group(1)) > 0.12:
        return None
    return int(match.group(2)), int(match.group(3))


def open_entry(desk: Desktop, icon: Path) -> tuple[int, int, int]:
    """Open the panel's menu, find the submenu showing the rnnsim icon, point at the entry; return the
    left, top and right edges of the menus and the tooltip."""
    height = SCREEN[1]
    before = set(popups(desk))
    desk.run("xdotool", "mousemove", "14", str(height - PANEL_HEIGHT // 2), "click", "1")
    menus = wait_for("the application menu", lambda: {k: v for k, v in popups(desk).items() if k not in before})
    menu_id, (mx, my, mw, mh) = max(menus.items(), key=lambda item: item[1][2] * item[1][3])
    seen = set(before) | {menu_id}
    for y in range(my + 6, my + mh - 4, 6):                          # walk down the categories
        desk.run("xdotool", "mousemove", str(mx + mw // 3), str(y))
        time.sleep(0.35)
        fresh = {k: v for k, v in popups(desk).items() if k not in seen}
        for sub_id, (sx, sy, sw, sh) in fresh.items():
            seen.add(sub_id)
            offset = icon_offset(desk, sub_id, icon)
            if offset is None:
                continue
            entry_y = sy + offset[1] + desk.menu_icon_size // 2
            desk.run("xdotool", "mousemove", str(sx + 10), str(y))   # across into the submenu, then down
            time.sleep(0.2)
            desk.run("xdotool", "mousemove", str(sx + min(sw - 10, offset[0] + 60)), str(entry_y))
            time.sleep(1.5)                                            # the tooltip
            boxes = list(popups(desk).values())
            left = min(b[0] for b in boxes)
            top = min(b[1] for b in boxes)
            right = max(b[0] + b[2] for b in boxes)
            return left, top, right
    raise Failed("no submenu of the application menu shows the rnnsim icon")


def svg_recognised(svg: Path) -> bool:
    """Whether gdk-pixbuf's content sniffing sees the file as SVG: "<svg" within the first 256 bytes."""
    return b"<svg" in svg.read_bytes()[:SVG_SNIFF_BYTES]


# ---- main ------------------------------------------------------------------------------------------------
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-launch", action="store_true", help="only the menu picture: do not start the app")
    parser.add_argument("--menu-icon-size", type=int, default=24, help="GTK's menu icon size in px (24)")
    args = parser.parse_args(argv)
    missing = sorted({package for tool, package in TOOLS.items() if shutil.which(tool) is None})
    if missing:
        print(f"menu_entry_screenshot: missing {', '.join(missing)}; install with: {APT}")
        return 2
    become_subreaper()
    tmp = Path(tempfile.mkdtemp(prefix="rnnsim-menu-"))
    desk = None
    keep = False
    try:
        python = [sys.executable, "-m", "rnnsim", "install-desktop"]
        desk = Desktop(tmp, args.menu_icon_size)
        print(desk.run(*python).strip())
        entry = desk.data_home / "applications" / "rnnsim.desktop"
        svg = desk.data_home / "icons" / "hicolor" / "scalable" / "apps" / "rnnsim.svg"
        png16 = desk.data_home / "icons" / "hicolor" / "16x16" / "apps" / "rnnsim.png"
        if not svg_recognised(svg):
            print(f"WARNING: the installed {svg.name} has no '<svg' in its first {SVG_SNIFF_BYTES} bytes: "
                  "gdk-pixbuf does not recognise it, so GTK menus at a size with no installed PNG "
                  "(22, 24 px) show a generic icon; drawing the menu at 16 px instead")
            desk.menu_icon_size = 16
            (tmp / "home" / ".gtkrc-2.0").write_text(
                (tmp / "home" / ".gtkrc-2.0").read_text().replace(
                    f"gtk-menu={args.menu_icon_size},{args.menu_icon_size}", "gtk-menu=16,16"))
        desk.start_x()
        desk.spawn(["openbox"], log="openbox.log")
        wait_for("openbox", lambda: "_NET_SUPPORTING_WM_CHECK(WINDOW)" in desk.run("xprop", "-root", check=False))
        background = tmp / "background.png"                           # a plain desktop behind the menu
        desk.run("convert", "-size", f"{SCREEN[0]}x{SCREEN[1]}", "gradient:#56789a-#1d2b3a", str(background))
        desk.run("display", "-window", "root", str(background), check=False)
        desk.spawn(["lxpanel", "--profile", "rnnsim"], log="lxpanel.log")
        wait_for("lxpanel", lambda: desk.run("xdotool", "search", "--onlyvisible", "--class", "lxpanel",
                                             check=False).strip())
        time.sleep(1.5)                                                # menu-cached reads the menus
        icon = desk.data_home / "icons" / "hicolor" / "32x32" / "apps" / "rnnsim.png"
        left, top, right = open_entry(desk, icon if desk.menu_icon_size > 16 else png16)
        OUT.mkdir(parents=True, exist_ok=True)
        margin = 40
        x0, y0 = max(0, left - margin), max(0, top - 2 * margin)
        x1 = min(SCREEN[0], right + 2 * margin)
        shoot(desk, OUT / "menu-entry.png", (x0, y0, x1 - x0, SCREEN[1] - y0))
        print(f"wrote {OUT / 'menu-entry.png'} (lxpanel menu, icons at {desk.menu_icon_size} px)")

        if not args.no_launch:
            desk.run("xdotool", "click", "1")
            started = time.monotonic()
            window = wait_for("a window with WM_CLASS rnnsim", lambda: desk.run(
                "xdotool", "search", "--onlyvisible", "--class", "rnnsim", check=False).split(), timeout=120)
            log = tmp / "lxpanel.log"
            try:
                wait_for("the app's first page", lambda: "startup interactive" in log.read_text(), timeout=60)
            except Failed:
                time.sleep(5)                                          # no trace line: give it time
            time.sleep(1.5)                                            # the last redraws
            print(f"the rnnsim window ({window[0]}) is up {time.monotonic() - started:.1f} s after the click")
            shoot(desk, OUT / "menu-entry-launched.png")
            print(f"wrote {OUT / 'menu-entry-launched.png'}")
        left_over = desk.stop()
        desk = None
        if left_over:
            print(f"WARNING: processes still running: {left_over}")

        removed = subprocess.run([*python, "--remove"], env=dict(os.environ, XDG_DATA_HOME=str(tmp / "data")),
                                 capture_output=True, text=True, timeout=60, cwd=ROOT, check=False)
        icons = list((tmp / "data" / "icons").rglob("rnnsim.*"))
        gone = not entry.exists() and not icons
        print(f"install-desktop --remove: {removed.stdout.strip()}; "
              f"{entry.name} {'gone' if not entry.exists() else 'STILL THERE'}, "
              f"{len(icons)} icon file{'s' if len(icons) != 1 else ''} left")
        return 0 if gone and removed.returncode == 0 else 1
    except Failed as error:
        keep = True
        if desk is not None and "DISPLAY" in desk.env:
            try:
                shoot(desk, tmp / "menu-entry-failed.png")
            except Failed:
                pass
        print(f"menu_entry_screenshot: {error} (logs and the screen: {tmp})")
        return 1
    finally:
        if desk is not None:
            desk.stop()
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
