"""Plug a recorded device into a umockdev testbed while a command watches, then unplug it.

Run with Debian's python3 (it has umockdev's GObject bindings) under umockdev-wrapper:
    umockdev-wrapper /usr/bin/python3 umockdev_plug.py RECORDING COMMAND…
The command starts first; once it prints its first line (it is listening), the
recording is loaded, which announces each device (`add`), and then each device is
removed again (`remove`), the deepest first. The command's output is passed on.
"""

import os
import subprocess
import sys

import gi

gi.require_version("UMockdev", "1.0")
from gi.repository import UMockdev  # noqa: E402


def main() -> int:
    recording, *command = sys.argv[1:]
    testbed = UMockdev.Testbed.new()
    watcher = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert watcher.stdout is not None
    first = watcher.stdout.readline()  # the watcher is listening now
    testbed.add_from_file(recording)  # announces every device it adds
    sys_dir = testbed.get_sys_dir()
    paths = [
        root[len(sys_dir) :]
        for root, _dirs, files in os.walk(os.path.join(sys_dir, "devices"))
        if "uevent" in files
    ]
    for path in sorted(paths, key=len, reverse=True):
        testbed.uevent("/sys" + path, "remove")
    rest, _ = watcher.communicate(timeout=60)
    sys.stdout.write(first + rest)
    return watcher.returncode


if __name__ == "__main__":
    sys.exit(main())
