"""Clearing a build's output between timed runs without deleting it while anything is timed.

On ext4, creating a file or folder scans past every inode of its block group that was freed in the
last one to five minutes (the kernel's `recently_deleted`, so that a crash cannot leave a new file
holding an old one's blocks). Delete a 26,000-file tree and build it again at once, and every new
inode pays for that scan in system time: on this project's 2-core VM, 13,000 folders with a page each
took 0.6 s to write into a fresh place and 4 to 15 s just after such deletes, growing with each round.
A benchmark that deletes each run's output before the next one therefore times its own deletes,
and times them unevenly: the tool that writes the most files, and whatever runs after it, pays most.

So the benchmarks move each output out of the way (a rename: nothing freed) and delete everything they
moved once all timing is done. A build on a fresh checkout or CI machine pays none of this; neither do
these figures. Runs started within minutes of another benchmark's cleanup still pay some of it.
"""

from __future__ import annotations

import os
import shutil


class SetAside:
    """Folders renamed into WORK/.set-aside/ (the same file system), removed by clear()."""

    def __init__(self, work: str) -> None:
        self.root = os.path.join(work, ".set-aside")
        self.count = 0

    def __call__(self, *paths: str) -> None:
        for path in paths:
            if not os.path.lexists(path):
                continue
            os.makedirs(self.root, exist_ok=True)
            self.count += 1
            os.rename(path, os.path.join(self.root, str(self.count)))

    def clear(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
