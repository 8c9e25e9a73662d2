"""Calibrate one numeric characteristic to published summary statistics, by local search.

The published Table 1 gives, per group, a mean and SD (to one decimal), a median and range, or
counts above a threshold. :func:`calibrate` takes values on a discrete grid for every subject
(integer ages, EASI to 0.1, diary sums, day counts), starting from a plausible random draw, and
moves one subject at a time (a small step or a jump) whenever the move does not increase the
distance to the targets, until every target rounds to its published figure. Subjects can be
pinned (a group's minimum and maximum) and have their own value map (a partial onset date only
takes values that fall on the 1st of a month).

This is only the *generator's* tool: the pipeline derives every statistic again from the raw
SDTM records, so a wrong derivation gives a wrong number.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

import numpy as np


def round_half_up(x: float, decimals: int) -> float:
    """Round half away from zero (as SAS does and as the publication's tables do)."""
    q = 10.0**decimals
    return float(np.sign(x) * np.floor(abs(x) * q + 0.5 + 1e-9) / q)


@dataclasses.dataclass(frozen=True)
class Target:
    """One published statistic of one group.

    ``stat`` is ``mean``, ``sd``, ``median``, ``min``, ``max`` (value must round to ``value`` at
    ``decimals``) or ``count_ge`` (exact number of values >= ``threshold``).
    """

    group: str
    stat: str
    value: float
    decimals: int = 1
    threshold: float | None = None


def _stat(values: np.ndarray, stat: str, threshold: float | None) -> float:
    if stat == "mean":
        return float(values.mean())
    if stat == "sd":
        return float(values.std(ddof=1))
    if stat == "median":
        return float(np.median(values))
    if stat == "min":
        return float(values.min())
    if stat == "max":
        return float(values.max())
    if stat == "count_ge":
        if threshold is None:
            raise ValueError("count_ge needs a threshold")
        return float((values >= threshold - 1e-12).sum())
    raise ValueError(f"unknown statistic {stat!r}")


def _count_threshold(t: Target) -> float:
    """The threshold of a ``count_ge`` target (a ValueError when it has none)."""
    if t.threshold is None:
        raise ValueError(f"{t.group} count_ge needs a threshold")
    return t.threshold


#: running sums of one group: number of values, sum, sum of squares, counts >= each threshold
_GroupState = tuple[int, float, float, dict[float, int]]


_MEAN, _SD, _COUNT, _OTHER = 0, 1, 2, 3
#: (statistic kind, count threshold, target value, lo, hi, half, the target)
_Plan = tuple[int, float, float, float, float, float, Target]


def _plan(t: Target) -> _Plan:
    """What :func:`_plan_distance` needs of a target, computed once with the arithmetic of :func:`_distance`."""
    kind = {"mean": _MEAN, "sd": _SD, "count_ge": _COUNT}.get(t.stat, _OTHER)
    threshold = _count_threshold(t) if kind == _COUNT else 0.0
    half = 0.5 * 10.0 ** (-t.decimals)
    margin = 0.8 * half
    lo = t.value - margin
    hi = t.value + margin
    if t.value == 0:
        lo = 0.0
    return (kind, threshold, t.value, lo, hi, half, t)


def _plan_distance(p: _Plan, got: float) -> float:
    """:func:`_distance` of the planned target."""
    if p[0] == _COUNT:
        return abs(got - p[2])
    lo, hi, half = p[3], p[4], p[5]
    if got < lo:
        return (lo - got) / half
    if got > hi:
        return (got - hi) / half
    return 0.0


def _distance(t: Target, got: float) -> float:
    """0 when ``got`` is safely inside the rounding interval of ``t.value``; else how far off."""
    if t.stat == "count_ge":
        return abs(got - t.value)
    half = 0.5 * 10.0 ** (-t.decimals)
    margin = 0.8 * half  # stay clear of the rounding boundary
    lo = t.value - margin
    hi = t.value + margin
    if t.value == 0:
        lo = 0.0
    if got < lo:
        return (lo - got) / half
    if got > hi:
        return (got - hi) / half
    return 0.0


def check(values: np.ndarray, groups: dict[str, np.ndarray], targets: Sequence[Target]) -> list[str]:
    """The targets not met by ``values`` (empty list when all are met)."""
    bad = []
    for t in targets:
        got = _stat(values[groups[t.group]], t.stat, t.threshold)
        if _distance(t, got) > 0:
            bad.append(
                f"{t.group} {t.stat}{'>=' + str(t.threshold) if t.threshold is not None else ''}: "
                f"target {t.value}, got {got:.4f}"
            )
    return bad


def calibrate(
    index: np.ndarray,
    *,
    value_of: Callable[[np.ndarray, np.ndarray], np.ndarray],
    lo: np.ndarray,
    hi: np.ndarray,
    groups: dict[str, np.ndarray],
    targets: Sequence[Target],
    rng: np.random.Generator,
    pinned: np.ndarray | None = None,
    max_step: int = 5,
    max_iter: int = 400_000,
    name: str = "",
) -> np.ndarray:
    """Move integer grid positions ``index`` until the values meet every target.

    Parameters
    ----------
    index : integer grid position per subject (the starting draw); a copy is returned.
    value_of : ``value_of(positions, subjects) -> values``, vectorised.
    lo, hi : allowed grid positions per subject (inclusive).
    groups : boolean masks (or index arrays) per group name.
    targets : what must hold at the end.
    rng : the random generator (the result depends only on it and the inputs).
    pinned : subjects whose value must not move.

    Returns
    -------
    numpy.ndarray
        The calibrated grid positions. Raises ``RuntimeError`` if the search fails.
    """
    idx = np.asarray(index, dtype=np.int64).copy()
    n = idx.size
    subjects = np.arange(n)
    vals = value_of(idx, subjects).astype(float)
    gidx = {g: np.flatnonzero(m) if np.asarray(m).dtype == bool else np.asarray(m) for g, m in groups.items()}
    member = {g: np.zeros(n, dtype=bool) for g in gidx}
    for g, ix in gidx.items():
        member[g][ix] = True
    # the groups of each subject, as plain Python data: the search asks it for every move
    in_groups: list[frozenset[str]] = [frozenset()] * n
    for g, m in member.items():
        for i in np.flatnonzero(m).tolist():
            in_groups[i] = in_groups[i] | {g}
    by_group: dict[str, list[Target]] = {}
    for t in targets:
        by_group.setdefault(t.group, []).append(t)

    # running sums per group, so a move costs O(1) for means, SDs and counts (medians re-sort)
    thresholds = sorted({_count_threshold(t) for t in targets if t.stat == "count_ge"})
    state: dict[str, _GroupState] = {}
    for g in by_group:
        sub = vals[gidx[g]]
        state[g] = (
            sub.size,
            float(sub.sum()),
            float((sub * sub).sum()),
            {th: int((sub >= th - 1e-12).sum()) for th in thresholds},
        )

    # each target's statistic and distance bounds, computed once (the arithmetic of _distance)
    plans = {g: [_plan(t) for t in ts] for g, ts in by_group.items()}

    def stat_of(g: str, p: _Plan, st: _GroupState) -> float:
        n_, s_, ss_, cnt = st
        kind = p[0]
        if kind == _MEAN:
            return s_ / n_
        if kind == _SD:
            return math.sqrt(max(ss_ - s_ * s_ / n_, 0.0) / (n_ - 1))
        if kind == _COUNT:
            return float(cnt[p[1]])
        return _stat(vals[gidx[g]], p[6].stat, p[6].threshold)

    def group_loss(g: str, st: _GroupState) -> float:
        return sum(_plan_distance(p, stat_of(g, p, st)) for p in plans[g])

    def moved_state(g: str, changes: list[tuple[float, float]]) -> _GroupState:
        n_, s_, ss_, cnt = state[g]
        cnt = dict(cnt)
        for old, new in changes:
            s_ += new - old
            ss_ += new * new - old * old
            for th in thresholds:
                cnt[th] += int(new >= th - 1e-12) - int(old >= th - 1e-12)
        return (n_, s_, ss_, cnt)

    losses = {g: group_loss(g, state[g]) for g in by_group}
    total = sum(losses.values())
    movable = np.ones(n, dtype=bool) if pinned is None else ~np.asarray(pinned, dtype=bool)
    movable &= lo < hi
    cand = np.flatnonzero(movable)
    if total > 0 and cand.size == 0:
        raise RuntimeError(f"calibration of {name}: nothing can move")
    it = 0
    batch = 4096

    def propose(i: int, step: int, jump: bool, target: int) -> int | None:
        new = target if jump else idx[i] + step
        if new < lo[i] or new > hi[i] or new == idx[i]:
            return None
        return int(new)

    while total > 0 and it < max_iter:
        picks = cand[rng.integers(0, cand.size, size=(batch, 2))]
        steps = rng.integers(1, max_step + 1, size=(batch, 2)) * rng.choice((-1, 1), size=(batch, 2))
        jumps = rng.random((batch, 2)) < 0.05
        jump_to = lo[picks] + (rng.random((batch, 2)) * (hi[picks] - lo[picks] + 1)).astype(np.int64)
        paired = rng.random(batch) < 0.5  # half the moves shift two subjects at once (swaps across groups)
        for k in range(batch):
            it += 1
            moves: list[tuple[int, int]] = []
            for j in range(2 if paired[k] else 1):
                i = int(picks[k, j])
                new = propose(i, steps[k, j], jumps[k, j], jump_to[k, j])
                if new is None or any(i == m[0] for m in moves):
                    moves = []
                    break
                moves.append((i, new))
            if not moves:
                continue
            saved = [(i, idx[i], vals[i]) for i, _ in moves]
            for i, new in moves:
                idx[i] = new
                vals[i] = float(value_of(np.array([new]), np.array([i]))[0])
            touched = in_groups[moves[0][0]] if len(moves) == 1 else in_groups[moves[0][0]] | in_groups[moves[1][0]]
            affected = [g for g in by_group if g in touched]  # in by_group order: the loss sums stay the same
            new_states = {g: moved_state(g, [(v, vals[i]) for i, _, v in saved if g in in_groups[i]]) for g in affected}
            new_losses = {g: group_loss(g, new_states[g]) for g in affected}
            delta = sum(new_losses[g] - losses[g] for g in affected)
            if delta <= 0:
                losses.update(new_losses)
                state.update(new_states)
                total = sum(losses.values())
                if total <= 0:
                    break
            else:
                for i, p, v in saved:
                    idx[i], vals[i] = p, v
    bad = check(vals, gidx, targets)
    if bad:
        raise RuntimeError(f"calibration of {name} did not converge after {it} moves: " + "; ".join(bad))
    return idx
