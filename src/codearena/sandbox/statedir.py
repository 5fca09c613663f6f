"""Can the box uids reach the state directory? Boxes and cached artifacts live under it, and
bwrap, running as a box's own uid, must traverse every directory above them."""

from __future__ import annotations

import stat
from pathlib import Path


def state_dir_problem(state_dir: Path) -> str | None:
    """What stops an unprivileged box uid from reaching `state_dir`, with the fix; None if nothing."""
    state_dir = state_dir.resolve()
    for directory in [state_dir, *state_dir.parents]:
        try:
            mode = directory.stat().st_mode
        except OSError as exc:
            return f"the state directory {state_dir} cannot be used: {exc}"
        if not mode & stat.S_IXOTH:
            return (f"the state directory {state_dir} is not reachable by the box uids: {directory} has mode "
                    f"{stat.S_IMODE(mode):04o}, so other users cannot enter it. Fix: `chmod o+x {directory}`, or set "
                    "CODEARENA_STATE_DIR to a directory every user can traverse (the default is /var/lib/codearena)")
    return None
