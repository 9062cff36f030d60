"""How the simulator runs the threads of a synchronizing block: one at a time, handing a token.

Every simulated thread of a block is an OS thread (a worker of a :class:`Team`, reused for
every block of that size), but only the one holding the token runs. A thread runs until it
reaches a synchronization point (the block barrier, a warp shuffle) or ends, then passes the
token on (:meth:`Scheduler.pause` / :meth:`Scheduler.finish`). When no thread is ready, the
scheduler resolves what can proceed: a warp whose threads all wait at a shuffle completes it
(every lane's result computed at once from the values the lanes offered), else a block whose
threads all wait at the barrier passes it (a new epoch for the race log). When nothing can
proceed while threads still wait, some thread waits at a barrier or shuffle that others never
reach (they ended, or wait elsewhere): the scheduler records that as an error, aborts (every
later synchronization returns at once) and lets the threads run to their end.

So a missing barrier is found exactly, without a time-out, and a block costs one hand-off per
thread per synchronization point instead of every thread waking at every barrier.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any

WARP = 32


class Scheduler:
    """The synchronization state of one block run by a :class:`Team` (see the module
    docstring); ``report(message)`` records an error, ``advance()`` starts a new epoch."""

    def __init__(self, team: Team, size: int, report: Callable[[str], None],
                 advance: Callable[[], None]) -> None:
        self.team, self.size, self.report, self.advance = team, size, report, advance
        self.ready: deque[int] = deque(range(size))
        self.state = ["ready"] * size  # ready | barrier | warp | done
        self.offer: list[Any] = [None] * size  # (value, mode, b) at a shuffle
        self.result: list[Any] = [None] * size
        self.aborted = False
        self.finished = _locked()  # released when the last thread ended

    def start(self) -> None:
        self.team.go[self.ready.popleft()].release()

    def pause(self, tid: int, kind: str, offer: Any = None) -> bool:
        """Thread ``tid`` (holding the token) waits at a ``barrier`` or a ``warp`` shuffle;
        True once it may proceed, False when the block was aborted."""
        if self.aborted:
            return False
        self.state[tid], self.offer[tid] = kind, offer
        self._hand_off()
        self.team.go[tid].acquire()
        return not self.aborted

    def finish(self, tid: int) -> None:
        """Thread ``tid`` (holding the token) ended."""
        self.state[tid] = "done"
        self._hand_off()

    def _hand_off(self) -> None:
        if not self.ready:
            self._resolve()
        if self.ready:
            self.team.go[self.ready.popleft()].release()
        else:
            self.finished.release()

    def _resolve(self) -> None:
        for w in range(0, self.size, WARP):
            lanes = range(w, min(w + WARP, self.size))
            if all(self.state[t] == "warp" for t in lanes):
                self._shuffle(list(lanes))
                return
        waiting = [t for t in range(self.size) if self.state[t] != "done"]
        if not waiting:
            return
        if all(self.state[t] == "barrier" for t in range(self.size)):
            self.advance()
            self._release(waiting)
            return
        for t in waiting:
            what = "barrier" if self.state[t] == "barrier" else "warp shuffle"
            self.report(f"thread {t} waited at a {what} that other threads never reached "
                        "(missing or divergent barrier)")
        self.aborted = True
        self._release(waiting)

    def _shuffle(self, lanes: list[int]) -> None:
        values = [self.offer[t][0] for t in lanes]
        for lane, t in enumerate(lanes):
            value, mode, b = self.offer[t]
            other = partner(mode, lane, b)
            self.result[t] = values[other] if 0 <= other < len(lanes) else value
        self._release(lanes)

    def _release(self, tids: list[int]) -> None:
        for t in tids:
            self.state[t] = "ready"
        self.ready.extend(tids)


def partner(mode: str, lane: int, b: int) -> int:
    """The lane whose value lane ``lane`` receives in a ``shfl.sync.<mode>`` with ``b``."""
    if mode == "bfly":
        return lane ^ b
    if mode == "down":
        return lane + b
    if mode == "up":
        return lane - b
    return b & (WARP - 1)


def _locked() -> Any:
    """A held lock: a binary semaphore another thread releases (cheaper than Semaphore)."""
    lock = threading.Lock()
    lock.acquire()
    return lock


class Team:
    """``size`` daemon worker threads that run the threads of one block at a time."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.go = [_locked() for _ in range(size)]  # released: that worker runs
        self.lock = threading.Lock()  # one block at a time
        self.job: tuple[Scheduler, Callable[[int], None]] | None = None
        for t in range(size):
            threading.Thread(target=self._work, args=(t,), daemon=True,
                             name=f"cuda-sim-{size}-{t}").start()

    def _work(self, tid: int) -> None:
        while True:
            self.go[tid].acquire()
            assert self.job is not None
            sched, body = self.job
            body(tid)
            sched.finish(tid)

    def run(self, sched: Scheduler, body: Callable[[int], None]) -> None:
        """Run ``body(tid)`` for every thread of one block under ``sched`` (made for this
        team); returns after the last thread ended."""
        with self.lock:
            self.job = (sched, body)
            sched.start()
            sched.finished.acquire()
            self.job = None


_TEAMS: dict[int, Team] = {}
_TEAMS_LOCK = threading.Lock()


def team(size: int) -> Team:
    """The (reused) team of ``size`` workers."""
    with _TEAMS_LOCK:
        if size not in _TEAMS:
            _TEAMS[size] = Team(size)
        return _TEAMS[size]
