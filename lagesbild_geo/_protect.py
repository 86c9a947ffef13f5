"""Complementary suppression and the interval audit (private: see :mod:`lagesbild_geo.privacy`).

A :class:`System` holds the values of one publication and the linear relations a
recipient knows between them (row totals, column totals, a district table's
kommun row, parent cells = sum of children …). Each value is *shown*, hidden as
*primary* (it rests on 1 … ``min_count``−1 cases), hidden as *secondary*
(hidden to protect others; never a zero and never below ``min_count``), or
*free* (a quantity no surface publishes, e.g. the incidents of a cluster outside
its three commonest categories).

What a recipient knows of a hidden value is its a-priori interval (primary
1 … ``min_count``−1, secondary ``min_count`` … ∞, unknown 1 … ∞) narrowed by
the relations: the feasible interval, the minimum and maximum of the value over
every table consistent with the published figures. That is the *interval audit*
of tau-Argus; it is solved here as linear programs (scipy's HiGHS) per connected
block of hidden values. A hidden value is *exposed* when its feasible interval
holds a single integer while its a-priori interval holds more.

:func:`protect` chooses the secondary suppressions greedily: first structural
rules (a relation must not hide a single value; hidden values whose sum the
relation fixes must not sit at the extreme of their bounds), then the audit,
hiding for every exposed value the cheapest shown value that shares a relation
with it, until the audit finds nothing.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

SHOWN, PRIMARY, SECONDARY, FREE, HIDDEN = 0, 1, 2, 3, 4
#: Statuses of values a recipient does not see.
_HIDDEN = (PRIMARY, SECONDARY, FREE, HIDDEN)
#: An upper bound standing in for "no upper bound" (counts never come near it).
CAP = 1e7
_TOL = 1e-6
#: Priority of a value that is never chosen as a secondary suppression.
NEVER = 9


@dataclass
class Ranges:
    """Feasible intervals (``lo``, ``hi``) of every value (shown values: their value)."""

    lo: npt.NDArray[np.float64]
    hi: npt.NDArray[np.float64]
    exposed: npt.NDArray[np.bool_]
    infeasible: bool = False


class System:
    """Values and the linear relations between them (see the module docstring)."""

    def __init__(self, min_count: int) -> None:
        self.min_count = int(min_count)
        self._v = np.zeros(1024)
        self._p = np.zeros(1024, dtype=np.int64)
        self._s = np.zeros(1024, dtype=np.int64)
        self._n = 0
        self._keys: dict[Hashable, int] = {}
        self._rel: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], float, bool]] = []
        self._built: tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.int64]] | None = None

    # ------------------------------------------------------------------ building
    def block(self, values: npt.ArrayLike, *, prio: int | npt.ArrayLike = 0,
              status: int | npt.ArrayLike | None = None) -> npt.NDArray[np.int64]:
        """Add values (NaN: unknown, then ``status`` says what is known); their indices."""
        v = np.asarray(values, dtype="float64").ravel()
        n = v.size
        while self._n + n > self._v.size:  # grow by doubling: many small blocks stay cheap
            self._v = np.r_[self._v, np.zeros(self._v.size)]
            self._p = np.r_[self._p, np.zeros(self._p.size, dtype=np.int64)]
            self._s = np.r_[self._s, np.zeros(self._s.size, dtype=np.int64)]
        sl = slice(self._n, self._n + n)
        self._v[sl] = v
        pr = np.asarray(prio, dtype=np.int64).ravel()
        self._p[sl] = pr if pr.size == n else int(pr[0])
        if status is None:
            self._s[sl] = -1
        else:
            sa = np.asarray(status, dtype=np.int64).ravel()
            self._s[sl] = sa if sa.size == n else int(sa[0])
        idx = np.arange(self._n, self._n + n, dtype=np.int64)
        self._n += n
        self._built = None
        return idx

    def shared(self, key: Hashable, value: float, *, prio: int = 2, status: int | None = None) -> int:
        """One value known under ``key`` (the same key gives the same value everywhere)."""
        if key in self._keys:
            return self._keys[key]
        i = int(self.block([value], prio=prio, status=status)[0])
        self._keys[key] = i
        return i

    def get(self, key: Hashable) -> int | None:
        return self._keys.get(key)

    def relate(self, idx: Sequence[int] | npt.NDArray[np.int64], coef: Sequence[float] | npt.NDArray[np.float64],
               rhs: float = 0.0, *, eq: bool = True) -> None:
        """Add ``sum(coef * x[idx]) == rhs`` (or ``<= rhs``).

        A relation that the known values contradict is not added (it would not be
        what a recipient knows); with unknown values it is taken as given.
        """
        i = np.asarray(idx, dtype=np.int64)
        c = np.asarray(coef, dtype="float64")
        if not i.size:
            return
        v = self._v[i]
        if np.isfinite(v).all():
            lhs = float(np.dot(c, v))
            if (eq and abs(lhs - rhs) > 1e-6 * max(1.0, abs(rhs))) or (not eq and lhs > rhs + 1e-6):
                return
        self._rel.append((i, c, float(rhs), bool(eq)))

    def __len__(self) -> int:
        return self._n

    def arrays(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """(values, priorities, initial statuses: primary suppression applied)."""
        if self._built is None:
            v = self._v[:self._n].copy()
            prio = self._p[:self._n].copy()
            st = self._s[:self._n].copy()
            undecided = st < 0
            known = np.isfinite(v)
            small = known & (v > _TOL) & (v < self.min_count - _TOL)
            st = st.copy()
            st[undecided & small] = PRIMARY
            st[undecided & known & ~small] = SHOWN
            st[undecided & ~known] = HIDDEN
            self._built = (v, prio, st)
        return self._built

    def matrices(self) -> tuple[sparse.csr_matrix, npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
        """(A, rhs, is_equality) of every relation."""
        n = self._n
        rows, cols, data, rhs, eq = [], [], [], [], []
        for k, (i, c, r, e) in enumerate(self._rel):
            rows.append(np.full(i.size, k, dtype=np.int64))
            cols.append(i)
            data.append(c)
            rhs.append(r)
            eq.append(e)
        if not rows:
            return sparse.csr_matrix((0, n)), np.zeros(0), np.zeros(0, dtype=bool)
        a = sparse.csr_matrix((np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))),
                              shape=(len(self._rel), n))
        a.sum_duplicates()
        return a, np.asarray(rhs, dtype="float64"), np.asarray(eq, dtype=bool)


# ---------------------------------------------------------------------- bounds

def apriori(status: npt.NDArray[np.int64], values: npt.NDArray[np.float64],
            min_count: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """What a recipient knows of each value before looking at any relation."""
    lo = np.where(np.isfinite(values), values, 0.0).astype("float64")
    hi = lo.copy()
    mc = float(min_count)
    for st, a, b in ((PRIMARY, 0.0, mc - 1.0), (SECONDARY, mc, CAP), (FREE, 0.0, CAP),
                     (HIDDEN, 0.0, CAP)):
        m = status == st
        lo[m] = a
        hi[m] = max(a, b)
    return lo, hi


def _is_hidden(status: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    return np.isin(status, _HIDDEN)


def _solve(c: npt.NDArray[np.float64], a_eq: sparse.csr_matrix, b_eq: npt.NDArray[np.float64],
           a_ub: sparse.csr_matrix, b_ub: npt.NDArray[np.float64],
           bounds: npt.NDArray[np.float64]) -> npt.NDArray[np.float64] | None:
    res = linprog(c, A_ub=a_ub if a_ub.shape[0] else None, b_ub=b_ub if a_ub.shape[0] else None,
                  A_eq=a_eq if a_eq.shape[0] else None, b_eq=b_eq if a_eq.shape[0] else None,
                  bounds=bounds, method="highs")
    if res.status != 0 or res.x is None:
        return None
    return np.asarray(res.x, dtype="float64")


def ranges(system: System, status: npt.NDArray[np.int64], *, known: bool = True,
           seed: int = 0, exact_limit: int | None = None) -> Ranges:
    """The feasible interval of every value under ``status``.

    With ``known`` the system's values are the truth (they give a feasible point
    to start from); otherwise hidden values are unknown and a feasible point is
    solved for first. Exact for what matters: a value reported not exposed has two
    feasible points at least one apart; an exposed one was minimised and maximised.
    With ``exact_limit``, when more values than that are still undecided after the
    joint LPs, they are reported exposed without solving each one (conservative:
    used while choosing suppressions, never for the final verdict).
    """
    values, _, _ = system.arrays()
    n = len(values)
    lo_a, hi_a = apriori(status, values, system.min_count)
    lo, hi = lo_a.copy(), hi_a.copy()
    hidden = _is_hidden(status)
    exposed = np.zeros(n, dtype=bool)
    a, rhs, is_eq = system.matrices()
    hid = np.flatnonzero(hidden)
    if hid.size == 0 or a.shape[0] == 0:
        return Ranges(lo, hi, exposed)
    pub = np.flatnonzero(~hidden)
    pv = np.where(np.isfinite(values[pub]), values[pub], 0.0)
    b = rhs - (a[:, pub] @ pv if pub.size else 0.0)
    ah = a[:, hid].tocsr()
    used = np.diff(ah.indptr) > 0
    # a relation among shown values only says nothing new (and is true by construction)
    ah, b, eqm = ah[used], b[used], is_eq[used]
    if ah.shape[0] == 0:
        return Ranges(lo, hi, exposed)
    nr = ah.shape[0]
    rng = np.random.default_rng(seed)
    wide = (hi_a[hid] - lo_a[hid]) >= 1 - _TOL
    care = wide & (status[hid] != FREE)
    if not care.any():
        return Ranges(lo, hi, exposed)
    a_eq, b_e = ah[eqm], b[eqm]
    a_ub, b_u = ah[~eqm], b[~eqm]
    bnd = np.column_stack([lo_a[hid], hi_a[hid]])
    x0: npt.NDArray[np.float64] | None = values[hid] if known else None
    if x0 is None or not np.isfinite(x0).all():
        x0 = _solve(np.zeros(hid.size), a_eq, b_e, a_ub, b_u, bnd)
        if x0 is None:
            return Ranges(lo, hi, exposed, infeasible=True)
    # 1. every block at once: LPs pushing the undecided values away from where they are
    slo, shi = x0.copy(), x0.copy()
    lo_c, hi_c = bnd[:, 0], bnd[:, 1]
    need = care & (shi - slo < 1 - _TOL)
    stall = 0
    for it in range(60):
        if not need.any() or stall >= 6:
            break
        c = np.zeros(hid.size)
        idx = np.flatnonzero(need)
        if it % 3 == 2:  # everything at once, random weights
            c[idx] = rng.normal(size=idx.size)
        else:  # a random part, each pushed towards the side it has room on
            part = idx[rng.random(idx.size) < (0.5 if it % 3 == 0 else 0.2)] if idx.size > 4 else idx
            room_up = hi_c[part] - x0[part] >= x0[part] - lo_c[part]
            c[part] = np.where(room_up, -1.0, 1.0)
        x = _solve(c, a_eq, b_e, a_ub, b_u, bnd)
        if x is None:
            break
        slo, shi = np.minimum(slo, x), np.maximum(shi, x)
        before = int(need.sum())
        need = care & (shi - slo < 1 - _TOL)
        stall = stall + 1 if int(need.sum()) == before else 0
    # 2. the rest one by one (minimised and maximised), within its own block
    if exact_limit is not None and int(need.sum()) > exact_limit:
        lo[hid], hi[hid] = slo, shi
        exposed[hid[need]] = True
        return Ranges(lo, hi, exposed)
    if need.any():
        coo = ah.tocoo()
        g = sparse.coo_matrix((np.ones(coo.nnz), (coo.row, nr + coo.col)), shape=(nr + hid.size,) * 2)
        _, lab = connected_components(g, directed=False)
        var_lab, row_lab = lab[nr:], lab[:nr]
        for comp in np.unique(var_lab[need]):
            cols = np.flatnonzero(var_lab == comp)
            rows = np.flatnonzero(row_lab == comp)
            sub = ah[rows][:, cols]
            beq = eqm[rows]
            s_eq, s_be = sub[beq], b[rows][beq]
            s_ub, s_bu = sub[~beq], b[rows][~beq]
            sb = bnd[cols]
            for j in np.flatnonzero(need[cols]):
                for sign in (-1.0, 1.0):
                    c = np.zeros(cols.size)
                    c[j] = sign
                    x = _solve(c, s_eq, s_be, s_ub, s_bu, sb)
                    if x is not None:
                        slo[cols] = np.minimum(slo[cols], x)
                        shi[cols] = np.maximum(shi[cols], x)
                    if shi[cols[j]] - slo[cols[j]] >= 1 - _TOL:
                        break
            need = care & (shi - slo < 1 - _TOL)
    lo[hid] = slo
    hi[hid] = shi
    # intervals of values found wide are inner bounds only: that is all a decision needs
    exposed[hid[care & (shi - slo < 1 - _TOL)]] = True
    infeasible = False
    return Ranges(lo, hi, exposed, infeasible)


# ------------------------------------------------------------------ protection

def _var_rows(a: sparse.csr_matrix) -> sparse.csr_matrix:
    return a.T.tocsr()


def _structural(a: sparse.csr_matrix, rhs: npt.NDArray[np.float64], is_eq: npt.NDArray[np.bool_],
                values: npt.NDArray[np.float64], status: npt.NDArray[np.int64],
                min_count: int) -> npt.NDArray[np.int64]:
    """Equality relations that expose a hidden value whatever the rest: exactly one
    hidden value, or hidden values at the extreme of their bounds."""
    hidden = _is_hidden(status)
    lo, hi = apriori(status, values, min_count)
    out = []
    for k in np.flatnonzero(is_eq):
        s, e = a.indptr[k], a.indptr[k + 1]
        idx, coef = a.indices[s:e], a.data[s:e]
        h = hidden[idx]
        if not h.any() or (status[idx[h]] == FREE).any():
            continue
        if h.sum() == 1:
            if hi[idx[h]][0] - lo[idx[h]][0] >= 1 - _TOL:
                out.append(k)
            continue
        if not np.isfinite(values[idx]).all():
            continue
        ch = coef[h]
        resid = float(np.dot(ch, values[idx[h]]))
        lo_s = float(np.sum(np.where(ch > 0, ch * lo[idx[h]], ch * hi[idx[h]])))
        hi_s = float(np.sum(np.where(ch > 0, ch * hi[idx[h]], ch * lo[idx[h]])))
        if (abs(resid - lo_s) < _TOL or abs(resid - hi_s) < _TOL) and hi_s - lo_s >= 1 - _TOL:
            out.append(k)
    return np.asarray(out, dtype=np.int64)


def _pick(rows: npt.NDArray[np.int64], a: sparse.csr_matrix, at: sparse.csr_matrix,
          values: npt.NDArray[np.float64], prio: npt.NDArray[np.int64],
          status: npt.NDArray[np.int64], min_count: int, *, for_var: int | None = None,
          direction: float = 0.0) -> int | None:
    """The cheapest shown value in any of ``rows`` to hide as a secondary suppression.

    With ``for_var`` and ``direction`` (+1: it must be able to grow, −1: to shrink),
    values that could move the opposite way once hidden come first: a value that
    cannot give way does not protect anything.
    """
    hidden = _is_hidden(status)
    best: tuple[int, int, int, int, float, int] | None = None
    for k in rows:
        s0, s1 = a.indptr[k], a.indptr[k + 1]
        idx = a.indices[s0:s1]
        coefs = a.data[s0:s1]
        cu = coefs[idx == for_var][0] if for_var is not None and (idx == for_var).any() else 0.0
        cand = idx[(status[idx] == SHOWN) & (prio[idx] < NEVER)]
        for j in cand:
            useless = 0
            if cu and direction:
                cj = coefs[idx == j][0]
                move = -cu / cj * direction  # the way j has to move
                v = values[j]
                lo_j, hi_j = (0.0, min_count - 1.0) if v < min_count - _TOL else (float(min_count), CAP)
                useless = int((hi_j - v if move > 0 else v - lo_j) < 1 - _TOL)
            others = at.indices[at.indptr[j]:at.indptr[j + 1]]
            cycle = 1
            for r in others:
                if r == k:
                    continue
                ridx = a.indices[a.indptr[r]:a.indptr[r + 1]]
                if hidden[ridx].any():
                    cycle = 0
                    break
            # a value at min_count could only grow once hidden: prefer zeros and values with room
            tight = int(abs(values[j] - min_count) < _TOL)
            key = (useless, int(prio[j]), cycle, tight, float(values[j]), int(j))
            if best is None or key < best:
                best = key
    return None if best is None else best[5]


def _secondary(value: float, min_count: int) -> int:
    """A value hidden to protect others: a zero joins the "fewer than min_count" values
    (a recipient cannot tell it from a small count), anything else is secondary."""
    return PRIMARY if value < min_count - _TOL else SECONDARY


def protect(system: System, *, max_rounds: int = 40) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Statuses after primary and secondary suppression, and the values still exposed
    (normally none: only when no shown value is left that could protect them)."""
    values, prio, status = system.arrays()
    status = status.copy()
    a, rhs, is_eq = system.matrices()
    if a.shape[0] == 0 or not _is_hidden(status).any():
        return status, np.zeros(len(values), dtype=bool)
    at = _var_rows(a)
    hopeless: set[int] = set()
    exposed = np.zeros(len(values), dtype=bool)
    best, stuck = np.inf, 0
    for _ in range(max_rounds):
        changed = True
        while changed:  # structural rules first: cheap and catch most cases
            changed = False
            for k in _structural(a, rhs, is_eq, values, status, system.min_count):
                if int(k) in hopeless:
                    continue
                j = _pick(np.asarray([k]), a, at, values, prio, status, system.min_count)
                if j is None:
                    hopeless.add(int(k))
                    continue
                status[j] = _secondary(values[j], system.min_count)
                changed = True
        r = ranges(system, status, known=True, exact_limit=300)
        exposed = r.exposed
        if not exposed.any():
            break
        n_exp = int(exposed.sum())
        stuck = stuck + 1 if n_exp >= best else 0
        best = min(best, n_exp)
        if stuck >= 3:  # one value at a time does not help here: go to the last resort
            break
        touched: set[int] = set()
        added = 0
        _, hi_a = apriori(status, values, system.min_count)
        for u in np.flatnonzero(exposed):
            rows_u = at.indices[at.indptr[u]:at.indptr[u + 1]]
            if touched.intersection(rows_u.tolist()):
                continue
            direction = 1.0 if hi_a[u] - values[u] >= 1 - _TOL else -1.0
            j = _pick(rows_u, a, at, values, prio, status, system.min_count, for_var=int(u),
                      direction=direction)
            seen_rows = set(rows_u.tolist())
            frontier = rows_u
            while j is None and frontier.size:  # further away: relations of hidden partners
                hidden = _is_hidden(status)
                nxt: set[int] = set()
                for k in frontier:
                    idx = a.indices[a.indptr[k]:a.indptr[k + 1]]
                    for v in idx[hidden[idx]]:
                        nxt.update(at.indices[at.indptr[v]:at.indptr[v + 1]].tolist())
                nxt -= seen_rows
                seen_rows |= nxt
                frontier = np.asarray(sorted(nxt), dtype=np.int64)
                if frontier.size:
                    j = _pick(frontier, a, at, values, prio, status, system.min_count)
            if j is None:
                continue
            status[j] = _secondary(values[j], system.min_count)
            touched.update(at.indices[at.indptr[j]:at.indptr[j + 1]].tolist())
            touched.update(rows_u.tolist())
            added += 1
        if added == 0:
            break
    for _ in range(3):  # last resort: hide every shown value related to what is still exposed
        if not exposed.any():
            break
        for u in np.flatnonzero(exposed):
            for k in at.indices[at.indptr[u]:at.indptr[u + 1]]:
                idx = a.indices[a.indptr[k]:a.indptr[k + 1]]
                for j in idx[(status[idx] == SHOWN) & (prio[idx] < NEVER)]:
                    status[j] = _secondary(values[j], system.min_count)
        exposed = ranges(system, status, known=True).exposed
    return status, exposed
