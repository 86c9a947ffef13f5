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
with it, until the audit finds nothing; what that leaves exposed is freed by a
least-cost move over every relation at once (:func:`_widening`), and a value hidden
to protect others that the shown ones still fix exactly is shown again
(:func:`_show_pinned`).

Speed: the audit proves most hidden values safe without linear programming. A
*certificate* is a move of the hidden values by whole units that keeps every
relation and bound: two hidden values of one relation that can give way to each
other, or a rectangle of four hidden values in a table with row and column totals
(+1, −1 in one row, −1, +1 in another). Candidate moves are made for every value at
once (vectorised) and checked together against every relation (one sparse product);
a value in a valid move has at least two possible values. Linear programs run only
for the values left, first on a neighbourhood of them (the other hidden values held
at a feasible point: a sound certificate again), then, for what is still undecided,
exactly over their whole block.
"""


from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.sparse.csgraph import breadth_first_order, connected_components

SHOWN, PRIMARY, SECONDARY, FREE, HIDDEN = 0, 1, 2, 3, 4
#: Statuses of values a recipient does not see.
_HIDDEN = (PRIMARY, SECONDARY, FREE, HIDDEN)
#: An upper bound standing in for "no upper bound" (counts never come near it).
CAP = 1e7
_TOL = 1e-6
#: Priority of a value that is never chosen as a secondary suppression.
NEVER = 9
#: A relation with more hidden values than this lends the neighbourhood LP only this many
#: (the others are held at the feasible point: the LP's answer is still a sound certificate).
_NEIGHBOURS = 40
#: Hidden values left undecided after the neighbourhood LPs that are still solved exactly
#: while choosing suppressions (more: reported exposed, which only hides one more value).
_EXACT_WHILE_CHOOSING = 40

Int = npt.NDArray[np.int64]
Float = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]


@dataclass
class Ranges:
    """Feasible intervals (``lo``, ``hi``) of every value (shown values: their value)."""

    lo: Float
    hi: Float
    exposed: Bool
    infeasible: bool = False
    #: values left undecided were reported exposed without the exact LPs (``exact_limit``)
    limited: bool = False


class System:
    """Values and the linear relations between them (see the module docstring)."""

    def __init__(self, min_count: int) -> None:
        self.min_count = int(min_count)
        self._v = np.zeros(1024)
        self._p = np.zeros(1024, dtype=np.int64)
        self._s = np.zeros(1024, dtype=np.int64)
        self._n = 0
        self._keys: dict[Hashable, int] = {}
        #: keys are taken within this namespace (several publications in one system)
        self.namespace: Hashable | None = None
        self._rel: list[tuple[Int, Float, float, bool]] = []
        #: lower bounds hidden values are known to keep (:meth:`set_floor`)
        self._floor: dict[int, float] = {}
        self._grids: list[tuple[Int, Float]] = []
        self._built: tuple[Float, Int, Int] | None = None
        self._mats: tuple[sparse.csr_matrix, Float, Bool] | None = None

    # ------------------------------------------------------------------ building
    def block(self, values: npt.ArrayLike, *, prio: int | npt.ArrayLike = 0,
              status: int | npt.ArrayLike | None = None) -> Int:
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
        self._mats = None
        return idx

    def shared(self, key: Hashable, value: float, *, prio: int = 2, status: int | None = None) -> int:
        """One value known under ``key`` (the same key gives the same value everywhere)."""
        key = self._key(key)
        if key in self._keys:
            return self._keys[key]
        i = int(self.block([value], prio=prio, status=status)[0])
        self._keys[key] = i
        return i

    def shared_many(self, keys: Sequence[Hashable], values: npt.ArrayLike, *, status: npt.ArrayLike,
                    prio: int = 0) -> Int:
        """:meth:`shared` for many keys at once (a key seen before keeps its value)."""
        v = np.asarray(values, dtype="float64").ravel()
        st = np.asarray(status, dtype=np.int64).ravel()
        if self.namespace is not None:
            keys = [self._key(k) for k in keys]
        got = self._keys
        idx = np.fromiter((got.get(k, -1) for k in keys), dtype=np.int64, count=len(keys))
        new = np.flatnonzero(idx < 0)
        if new.size:
            first: dict[Hashable, int] = {}
            for i in new.tolist():
                first.setdefault(keys[i], i)
            pos = np.fromiter(first.values(), dtype=np.int64, count=len(first))
            made = self.block(v[pos], prio=prio, status=st[pos])
            got.update(zip(first.keys(), made.tolist(), strict=True))
            idx[new] = np.fromiter((got[keys[i]] for i in new.tolist()), dtype=np.int64, count=new.size)
        return idx

    def set_floor(self, idx: npt.ArrayLike, value: float) -> None:
        """A recipient knows these values are at least ``value`` even hidden (a cell's count:
        a cell with no incident shows 0, so a hidden one holds at least 1)."""
        for i in np.asarray(idx, dtype=np.int64).ravel().tolist():
            self._floor[int(i)] = max(float(value), self._floor.get(int(i), 0.0))

    def floors(self) -> Float:
        """The lower bounds of :meth:`set_floor` for every value (0 where none)."""
        f = np.zeros(self._n)
        if self._floor:
            k = np.fromiter(self._floor.keys(), dtype=np.int64, count=len(self._floor))
            f[k] = np.fromiter(self._floor.values(), dtype="float64", count=len(self._floor))
        return f

    def get(self, key: Hashable) -> int | None:
        return self._keys.get(self._key(key))

    def _key(self, key: Hashable) -> Hashable:
        return key if self.namespace is None else (self.namespace, key)

    def relate(self, idx: Sequence[int] | Int, coef: Sequence[float] | Float,
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
        self._mats = None

    def relate_rows(self, idx: Int, coef: Float, *, eq: bool = True) -> None:
        """One relation ``sum(coef * x[idx[r]]) == 0`` (or ``<= 0``) per row ``r`` of ``idx``
        (a table's row totals), without a Python call per row; rows the known values
        contradict are left out."""
        idx = np.asarray(idx, dtype=np.int64)
        coef = np.asarray(coef, dtype="float64")
        if not idx.size:
            return
        v = self._v[idx]
        known = np.isfinite(v).all(axis=1)
        lhs = np.where(known, np.nan_to_num(v) @ coef, 0.0)
        keep = ~known | ((np.abs(lhs) <= 1e-6) if eq else (lhs <= 1e-6))
        self._rel.extend((row, coef, 0.0, eq) for row in idx[keep])
        self._mats = None

    def grid(self, idx: npt.ArrayLike, sign: npt.ArrayLike) -> None:
        """Declare a table: ``idx`` (rows × columns of value indices) whose rows relate as
        ``sum(sign * row) == 0`` and whose columns have known totals. The audit looks for
        rectangles of hidden values in it (a fast certificate); the relations themselves are
        added with :meth:`relate`."""
        a = np.asarray(idx, dtype=np.int64)
        if a.ndim == 2 and a.shape[0] >= 2 and a.shape[1] >= 2:
            self._grids.append((a, np.asarray(sign, dtype="float64")))

    def __len__(self) -> int:
        return self._n

    def arrays(self) -> tuple[Float, Int, Int]:
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

    def matrices(self) -> tuple[sparse.csr_matrix, Float, Bool]:
        """(A, rhs, is_equality) of every relation."""
        if self._mats is not None:
            return self._mats
        n = self._n
        if not self._rel:
            self._mats = (sparse.csr_matrix((0, n)), np.zeros(0), np.zeros(0, dtype=bool))
            return self._mats
        sizes = np.fromiter((r[0].size for r in self._rel), dtype=np.int64, count=len(self._rel))
        rows = np.repeat(np.arange(len(self._rel), dtype=np.int64), sizes)
        cols = np.concatenate([r[0] for r in self._rel])
        data = np.concatenate([r[1] for r in self._rel])
        rhs = np.fromiter((r[2] for r in self._rel), dtype="float64", count=len(self._rel))
        eq = np.fromiter((r[3] for r in self._rel), dtype=bool, count=len(self._rel))
        a = sparse.csr_matrix((data, (rows, cols)), shape=(len(self._rel), n))
        a.sum_duplicates()
        self._mats = (a, rhs, eq)
        return self._mats


# ---------------------------------------------------------------------- bounds

def apriori(status: Int, values: Float, min_count: int, floor: Float | None = None) -> tuple[Float, Float]:
    """What a recipient knows of each value before looking at any relation (``floor``: a lower
    bound a hidden value is known to keep, :meth:`System.set_floor`)."""
    lo = np.where(np.isfinite(values), values, 0.0).astype("float64")
    hi = lo.copy()
    mc = float(min_count)
    for st, a, b in ((PRIMARY, 0.0, mc - 1.0), (SECONDARY, mc, CAP), (FREE, 0.0, CAP),
                     (HIDDEN, 0.0, CAP)):
        m = status == st
        lo[m] = a
        hi[m] = max(a, b)
    if floor is not None and floor.size == lo.size:
        m = _is_hidden(status)
        lo[m] = np.maximum(lo[m], floor[m])
        hi[m] = np.maximum(hi[m], lo[m])
    return lo, hi


def _is_hidden(status: Int) -> Bool:
    return np.isin(status, _HIDDEN)


def _solve(c: Float, a_eq: sparse.csr_matrix, b_eq: Float, a_ub: sparse.csr_matrix, b_ub: Float,
           bounds: Float) -> Float | None:
    from scipy.optimize import linprog  # a heavy import (0.2 s), for the few tables that need it

    res = linprog(c, A_ub=a_ub if a_ub.shape[0] else None, b_ub=b_ub if a_ub.shape[0] else None,
                  A_eq=a_eq if a_eq.shape[0] else None, b_eq=b_eq if a_eq.shape[0] else None,
                  bounds=bounds, method="highs")
    if res.status != 0 or res.x is None:
        return None
    return np.asarray(res.x, dtype="float64")


# ------------------------------------------------------------------ certificates

@dataclass
class _Hidden:
    """The hidden part of a system: relations over hidden values only (shown values moved to
    the right-hand side), a feasible point and the a-priori bounds."""

    hid: Int           # value index of each hidden value
    ah: sparse.csr_matrix
    b: Float
    eq: Bool
    x0: Float
    lo: Float
    hi: Float
    care: Bool


def _moves_valid(h: _Hidden, move: Int, var: Int, delta: Float) -> Bool:
    """Which candidate moves (``delta`` on hidden value ``var`` in move ``move``) keep every
    relation and bound from the feasible point ``h.x0``; one boolean per move id."""
    m = int(move.max()) + 1 if move.size else 0
    if m == 0:
        return np.zeros(0, dtype=bool)
    ok = np.ones(m, dtype=bool)
    new = h.x0[var] + delta
    bad = (new < h.lo[var] - _TOL) | (new > h.hi[var] + _TOL)
    ok[move[bad]] = False
    d = sparse.csc_matrix((delta, (var, move)), shape=(h.hid.size, m))
    eff = (h.ah @ d).tocoo()
    if eff.nnz:
        slack = np.where(h.eq, 0.0, h.b - h.ah @ h.x0)
        viol = np.where(h.eq[eff.row], np.abs(eff.data) > 1e-7,
                        eff.data > slack[eff.row] + 1e-7)
        ok[eff.col[viol]] = False
    return ok


def _first_two(groups: Int, members: Int, n_groups: int) -> tuple[Int, Int]:
    """Per group, the first and the second member (−1 when missing); ``groups`` sorted."""
    first = np.full(n_groups, -1, dtype=np.int64)
    second = np.full(n_groups, -1, dtype=np.int64)
    if not groups.size:
        return first, second
    start = np.r_[True, groups[1:] != groups[:-1]]
    first[groups[start]] = members[start]
    nxt = np.r_[False, (groups[1:] == groups[:-1]) & start[:-1]]
    second[groups[nxt]] = members[nxt]
    return first, second


def _pair_moves(h: _Hidden, need: Bool, up: Bool, dn: Bool) -> tuple[Int, Int, Float]:
    """Two hidden values of one equality relation giving way to each other: +1 (or −1) on a
    value still undecided, the compensating change on a partner with room for it."""
    a = h.ah[h.eq].tocoo()
    if not a.nnz:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    order = np.lexsort((a.col, a.row))
    row, col, coef = a.row[order].astype(np.int64), a.col[order].astype(np.int64), a.data[order]
    nrow = h.ah[h.eq].shape[0]
    sg = np.sign(coef)
    # partner classes by (sign of its coefficient, direction it can move)
    firsts = {}
    for s_j in (1.0, -1.0):
        for name, room in (("up", up), ("dn", dn)):
            sel = (sg == s_j) & room[col]
            firsts[(s_j, name)] = _first_two(row[sel], col[sel], nrow)
    moves, vars_, deltas = [], [], []
    mid = 0
    want = need[col]
    for s in (1.0, -1.0):  # the undecided value moves by s
        has = want & (up[col] if s > 0 else dn[col])
        if not has.any():
            continue
        r, i, c_i = row[has], col[has], coef[has]
        for s_j in (1.0, -1.0):
            # d_j = −c_i s / c_j: its direction is −sign(c_i)·s·s_j
            dir_up = (-np.sign(c_i) * s * s_j) > 0
            f_up, s_up = firsts[(s_j, "up")]
            f_dn, s_dn = firsts[(s_j, "dn")]
            f = np.where(dir_up, f_up[r], f_dn[r])
            f2 = np.where(dir_up, s_up[r], s_dn[r])
            j = np.where(f == i, f2, f)
            ok = j >= 0
            if not ok.any():
                continue
            ii, jj, ci, rr = i[ok], j[ok], c_i[ok], r[ok]
            # the partner's coefficient in this row
            cj = np.asarray(h.ah[h.eq][rr, jj]).ravel()
            ids = mid + np.arange(ii.size, dtype=np.int64)
            mid += ii.size
            moves += [ids, ids]
            vars_ += [ii, jj]
            deltas += [np.full(ii.size, s), -ci * s / cj]
    if not moves:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    return np.concatenate(moves), np.concatenate(vars_), np.concatenate(deltas)


def _rectangle_moves(h: _Hidden, grids: list[tuple[Int, Float]], pos: Int, need: Bool, up: Bool,
                     dn: Bool) -> tuple[Int, Int, Float]:
    """Rectangles of four hidden values in a declared table: +1 and t in one row, −1 and −t in
    another (t keeps the row's relation), so every column total stays."""
    moves, vars_, deltas = [], [], []
    mid = 0
    for idx, sign in grids:
        p = np.where(idx >= 0, pos[np.clip(idx, 0, None)], -1)
        hv = p >= 0
        if hv.sum(axis=1).max(initial=0) < 2 or not need[p[hv]].any():
            continue
        pc = np.clip(p, 0, None)
        u = hv & up[pc]
        d = hv & dn[pc]
        nd = hv & need[pc]
        rows_n = hv.sum(axis=1) >= 2
        ncol = idx.shape[1]
        for c in range(ncol):
            if not nd[:, c].any() and not hv[:, c].any():
                continue
            for c2 in range(c + 1, ncol):
                if sign[c] == 0 or sign[c2] == 0:
                    continue
                t = -sign[c] * sign[c2]
                ra = rows_n & u[:, c] & (u[:, c2] if t > 0 else d[:, c2])
                rb = rows_n & d[:, c] & (d[:, c2] if t > 0 else u[:, c2])
                if not ra.any() or not rb.any():
                    continue
                want = nd[:, c] | nd[:, c2]
                la, lb = np.flatnonzero(ra), np.flatnonzero(rb)
                for r_set, partners, s in ((la, lb, 1.0), (lb, la, -1.0)):
                    r_need = r_set[want[r_set]]
                    if not r_need.size:
                        continue
                    k = np.arange(r_need.size) % partners.size
                    r2 = partners[k]
                    alt = partners[(k + 1) % partners.size]
                    r2 = np.where(r2 == r_need, alt, r2)
                    ok = r2 != r_need
                    r1, r2 = r_need[ok], r2[ok]
                    if not r1.size:
                        continue
                    ids = mid + np.arange(r1.size, dtype=np.int64)
                    mid += r1.size
                    moves += [ids] * 4
                    vars_ += [p[r1, c], p[r1, c2], p[r2, c], p[r2, c2]]
                    deltas += [np.full(r1.size, s), np.full(r1.size, s * t), np.full(r1.size, -s),
                               np.full(r1.size, -s * t)]
    if not moves:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    return np.concatenate(moves), np.concatenate(vars_), np.concatenate(deltas)


def _bridges(n_nodes: int, eu: Int, ev: Int, seed: int = 0) -> Bool:
    """The bridges of an undirected multigraph (edges ``eu[i]``–``ev[i]``): edges on no cycle.

    A spanning forest; every edge outside it gets a random 64-bit label, every node the XOR
    of its outside edges' labels; a tree edge is a bridge when the XOR over the subtree below
    it is 0 (no outside edge leaves the subtree). A chance coincidence (2⁻⁶⁴) can only call
    an edge a bridge that is none: the safe side for a certificate."""
    m = eu.size
    out = np.zeros(m, dtype=bool)
    if not m:
        return out
    # a virtual root joined to one node of every component: one search covers the forest
    _, lab = connected_components(
        sparse.coo_matrix((np.ones(m), (eu, ev)), shape=(n_nodes, n_nodes)), directed=False)
    reps = np.unique(lab, return_index=True)[1]
    root = n_nodes
    gu = np.r_[eu, np.full(reps.size, root)]
    gv = np.r_[ev, reps]
    g = sparse.coo_matrix((np.ones(gu.size), (gu, gv)), shape=(n_nodes + 1, n_nodes + 1)).tocsr()
    order, pred = breadth_first_order(g, root, directed=False, return_predecessors=True)
    # the tree edge of each node: one of the edges between it and its predecessor
    lo_e, hi_e = np.minimum(eu, ev), np.maximum(eu, ev)
    key = lo_e * (n_nodes + 1) + hi_e
    srt = np.argsort(key, kind="stable")
    child = order[1:]
    par = pred[child]
    real = par != root
    ch, pa = child[real], par[real]
    tkey = np.minimum(ch, pa) * (n_nodes + 1) + np.maximum(ch, pa)
    at = np.searchsorted(key[srt], tkey)
    tree_edge = np.full(n_nodes + 1, -1, dtype=np.int64)
    tree_edge[ch] = srt[at]
    in_tree = np.zeros(m, dtype=bool)
    in_tree[srt[at]] = True
    rnd = np.random.default_rng(seed).integers(1, 2**63 - 1, size=m, dtype=np.int64).view(np.uint64)
    x = np.zeros(n_nodes + 1, dtype=np.uint64)
    nt = ~in_tree
    np.bitwise_xor.at(x, eu[nt], rnd[nt])
    np.bitwise_xor.at(x, ev[nt], rnd[nt])
    acc = x.tolist()
    pl = pred.tolist()
    for v in order[:0:-1].tolist():  # children before parents
        p = pl[v]
        if p != root:
            acc[p] ^= acc[v]
    zero = np.asarray(acc, dtype=np.uint64) == 0
    te = tree_edge[ch]
    out[te[zero[ch]]] = True
    return out


def _coupled_certify(h: _Hidden, cert: Bool, up: Bool, dn: Bool, up0: Bool, dn0: Bool,
                     n_rel: Int) -> Bool:
    """Values held by a tight inequality ``x − y ≤ c`` with one more hidden value (a cell's
    count and its emerging count over every date): ``y`` may go down by one when ``x`` is
    certified going down (its cycle) and ``y`` gives way to a partner ``z`` of its only
    relation (``y`` −1, ``z`` ±1; ``z`` in no other relation, moving the way that loosens
    its inequalities). The two moves together keep every relation."""
    if h.eq.all():
        return np.zeros(h.hid.size, dtype=bool)
    aub = h.ah[~h.eq].tocoo()
    nub = int((~h.eq).sum())
    slack = h.b[~h.eq] - h.ah[~h.eq] @ h.x0
    cnt = np.bincount(aub.row, minlength=nub)
    tight = (slack < 2 - _TOL) & (cnt == 2)
    sel = tight[aub.row] & (np.abs(np.abs(aub.data) - 1) < _TOL)
    rows, cols, data = aub.row[sel], aub.col[sel], aub.data[sel]
    o = np.lexsort((data, rows))
    rows, cols, data = rows[o], cols[o], data[o]
    # per tight row: the −1 value first (y), then the +1 value (x)
    pair = np.r_[rows[1:] == rows[:-1], False] & (data < 0) & np.r_[data[1:] > 0, False]
    y = cols[pair]
    x = cols[np.flatnonzero(pair) + 1]
    n_ineq = np.bincount(aub.col, minlength=h.hid.size)
    ok = cert[x] & dn[x] & ~up[x] & dn0[y] & (n_rel[y] == 1) & (n_ineq[y] == 1) & ~cert[y]
    if not ok.any():
        return np.zeros(h.hid.size, dtype=bool)
    y = y[ok]
    ae = h.ah[h.eq].tocoo()
    n_e = int(h.eq.sum())
    unit = np.abs(np.abs(ae.data) - 1) < _TOL
    single = (n_rel == 1)[ae.col] & unit
    sg = np.sign(ae.data)
    # per relation: single values with a +/− coefficient and room up/down
    counts = {}
    for s_ in (1.0, -1.0):
        for name, room in (("up", up), ("dn", dn)):
            m = single & (sg == s_) & room[ae.col]
            counts[(s_, name)] = np.bincount(ae.row[m], minlength=n_e)
    # y's own relation and coefficient (it has exactly one)
    mine = np.zeros(h.hid.size, dtype=np.int64)
    coef = np.zeros(h.hid.size)
    mine[ae.col] = ae.row
    coef[ae.col] = ae.data
    k, c_y = mine[y], np.sign(coef[y])
    # z with the same sign moves up, with the other sign down (y −1)
    same_up = np.where(c_y > 0, counts[(1.0, "up")][k], counts[(-1.0, "up")][k]) - up[y].astype(np.int64)
    other_dn = np.where(c_y > 0, counts[(-1.0, "dn")][k], counts[(1.0, "dn")][k])
    out = np.zeros(h.hid.size, dtype=bool)
    out[y[(same_up > 0) | (other_dn > 0)]] = True
    return out


def _network_certify(h: _Hidden, up: Bool, dn: Bool) -> Bool:
    """Hidden values on a cycle of unit moves (every value in it ±1, every relation kept).

    Most relations are sums with coefficients ±1 and most hidden values are in at most two
    of them (a row and a column of a table): then the values are the edges of a graph whose
    nodes are the relations (a value in one relation only leads to a free "ground" node),
    and a unit move that keeps every relation is a directed cycle of edges with room (a
    circulation). A value is certified when its edge lies on such a cycle: both ends in one
    strongly connected component — for a value with room both ways, also not a bridge
    (else the "cycle" would be the value going there and back). Values in three or more
    relations, or with other coefficients, are held fixed (a restriction: still sound);
    an inequality that a unit move could break allows only the moves that loosen it.
    """
    nh = h.hid.size
    up0, dn0 = up, dn
    up, dn = up.copy(), dn.copy()
    a = h.ah
    if (~h.eq).any():  # inequalities: only loosening moves unless the slack covers every change
        aub = a[~h.eq].tocoo()
        slack = h.b[~h.eq] - a[~h.eq] @ h.x0
        need = np.bincount(aub.row, weights=np.abs(aub.data), minlength=int((~h.eq).sum()))
        tight = (slack < need - _TOL)[aub.row]
        up[aub.col[tight & (aub.data > 0)]] = False
        dn[aub.col[tight & (aub.data < 0)]] = False
    ae = a[h.eq].tocoo()
    r, c, d = ae.row.astype(np.int64), ae.col.astype(np.int64), ae.data
    n_e = int(h.eq.sum())
    unit = np.abs(np.abs(d) - 1.0) < _TOL
    n_rel = np.bincount(c, minlength=nh)
    blocked = (np.bincount(c[~unit], minlength=nh) > 0) | (n_rel > 2)
    movable = (up | dn) & ~blocked
    cert = movable & (n_rel == 0)  # in no equality: it moves alone
    keep = movable[c] & (n_rel[c] >= 1)
    r, c, d = r[keep], c[keep], d[keep]
    if not c.size:
        return cert
    o = np.lexsort((r, c))
    r, c, d = r[o], c[o], np.sign(d[o])
    first = np.r_[True, c[1:] != c[:-1]]
    var = c[first]
    k1, a1 = r[first], d[first]
    ground = n_e
    k2 = np.full(var.size, ground, dtype=np.int64)
    a2 = np.zeros(var.size)
    second = ~first
    where = np.searchsorted(var, c[second])
    k2[where], a2[where] = r[second], d[second]
    # node signs: σ_k1·σ_k2 = −a1·a2 along every edge between two relations (2-colouring)
    two = k2 != ground
    sigma = np.ones(n_e + 1)
    if two.any():
        w = -a1[two] * a2[two]
        # one search from a virtual root joined to one relation of every component (its
        # sign is free there, so the joining edges never conflict)
        _, lab = connected_components(
            sparse.coo_matrix((np.ones(int(two.sum())), (k1[two], k2[two])), shape=(n_e, n_e)), directed=False)
        reps = np.unique(lab, return_index=True)[1]
        root = n_e
        gu = np.r_[k1[two], np.full(reps.size, root)]
        gv = np.r_[k2[two], reps]
        gw = np.r_[np.where(w > 0, 1.0, 2.0), np.ones(reps.size)]
        g = sparse.coo_matrix((gw, (gu, gv)), shape=(n_e + 1, n_e + 1)).tocsr()
        g = g.maximum(g.T)
        order, pred = breadth_first_order(g, root, directed=False, return_predecessors=True)
        ch = order[1:]
        sgn = np.asarray(g[pred[ch], ch]).ravel()
        step = np.where(sgn == 1.0, 1.0, -1.0).tolist()
        sig = [1.0] * (n_e + 1)
        for node, par, s_ in zip(ch.tolist(), pred[ch].tolist(), step, strict=True):
            sig[node] = sig[par] * s_
        sigma[:n_e] = sig[:n_e]
        bad = two.copy()
        bad[two] = sigma[k1[two]] * sigma[k2[two]] != w
        if bad.any():  # not a network here: hold those values fixed
            keep_e = ~bad
            var, k1, a1, k2, a2 = var[keep_e], k1[keep_e], a1[keep_e], k2[keep_e], a2[keep_e]
    # arcs: a +1 on the value flows from the relation it leaves to the one it enters
    s1 = sigma[k1] * a1
    tail = np.where(s1 < 0, k1, k2)
    head = np.where(s1 < 0, k2, k1)
    fu, fd = up[var], dn[var]
    src = np.r_[tail[fu], head[fd]]
    dst = np.r_[head[fu], tail[fd]]
    n_nodes = n_e + 1
    dg = sparse.coo_matrix((np.ones(src.size), (src, dst)), shape=(n_nodes, n_nodes)).tocsr()
    _, scc = connected_components(dg, directed=True, connection="strong")
    same = scc[tail] == scc[head]
    one_way = fu ^ fd
    cert[var[same & one_way]] = True
    both = same & fu & fd
    if both.any():
        # edges inside strongly connected parts: a two-way value must not be a bridge there
        inside = same & (fu | fd)
        br = _bridges(n_nodes, tail[inside], head[inside])
        ok = np.zeros(var.size, dtype=bool)
        ok[np.flatnonzero(inside)] = ~br
        cert[var[both & ok]] = True
    return cert | _coupled_certify(h, cert, up, dn, up0, dn0, n_rel)


def _certify(h: _Hidden, grids: list[tuple[Int, Float]], pos: Int) -> tuple[Bool, Float, Float]:
    """Hidden values proven to have two possible values by a valid move; the moves' reach."""
    slo, shi = h.x0.copy(), h.x0.copy()
    up = h.hi - h.x0 >= 1 - _TOL
    dn = h.x0 - h.lo >= 1 - _TOL
    net = _network_certify(h, up, dn)
    # a unit cycle moves a certified value by one, towards a side it has room on
    shi[net & up] += 1.0
    slo[net & ~up] -= 1.0
    cert = net.copy()
    for gen in ("pairs", "rectangles"):
        need = h.care & ~cert
        if not need.any():
            break
        if gen == "pairs":
            mv, var, dl = _pair_moves(h, need, up, dn)
        else:
            mv, var, dl = _rectangle_moves(h, grids, pos, need, up, dn)
        if not mv.size:
            continue
        ok = _moves_valid(h, mv, var, dl)
        good = ok[mv]
        v, d = var[good], dl[good]
        np.minimum.at(slo, v, h.x0[v] + d)
        np.maximum.at(shi, v, h.x0[v] + d)
        cert |= shi - slo >= 1 - _TOL
    return cert, slo, shi


# ------------------------------------------------------------------ the audit

def _hidden_part(system: System, status: Int, *, known: bool,
                 sensitive: Bool | None = None) -> _Hidden | bool | None:
    """The relations among hidden values; ``None``: nothing to audit; ``False``: infeasible."""
    values, _, _ = system.arrays()
    lo_a, hi_a = apriori(status, values, system.min_count, system.floors())
    hidden = _is_hidden(status)
    a, rhs, is_eq = system.matrices()
    hid = np.flatnonzero(hidden)
    if hid.size == 0 or a.shape[0] == 0:
        return None
    pub = np.flatnonzero(~hidden)
    pv = np.where(np.isfinite(values[pub]), values[pub], 0.0)
    b = rhs - (a[:, pub] @ pv if pub.size else 0.0)
    ah = a[:, hid].tocsr()
    used = np.diff(ah.indptr) > 0
    # a relation among shown values only says nothing new (and is true by construction)
    ah, b, eqm = ah[used], b[used], is_eq[used]
    if ah.shape[0] == 0:
        return None
    wide = (hi_a[hid] - lo_a[hid]) >= 1 - _TOL
    care = wide & (status[hid] != FREE)
    if sensitive is not None:
        care &= sensitive[hid]
    if not care.any():
        return None
    bnd_lo, bnd_hi = lo_a[hid], hi_a[hid]
    x0 = values[hid] if known else None
    if x0 is None or not np.isfinite(x0).all():
        a_eq, b_e, a_ub, b_u = ah[eqm], b[eqm], ah[~eqm], b[~eqm]
        x0 = _solve(np.zeros(hid.size), a_eq, b_e, a_ub, b_u, np.column_stack([bnd_lo, bnd_hi]))
        if x0 is None:
            return False
    return _Hidden(hid, ah, b, eqm, np.asarray(x0, dtype="float64"), bnd_lo, bnd_hi, care)


def _neighbourhood(h: _Hidden, need: Bool, rng: np.random.Generator) -> Bool:
    """Hidden values within two relations of the undecided ones; a relation with many hidden
    values lends only :data:`_NEIGHBOURS` of them (the undecided ones always)."""
    at = h.ah.T.tocsr()
    inn = need.copy()
    for _ in range(2):
        rows = np.unique(at[np.flatnonzero(inn)].indices)
        if not rows.size:
            break
        sub = h.ah[rows].tocoo()
        counts = np.bincount(sub.row, minlength=rows.size)
        take = np.ones(sub.nnz, dtype=bool)
        big = counts[sub.row] > _NEIGHBOURS
        if big.any():
            # in a big relation: the values already in, and a random sample of the others
            key = rng.random(sub.nnz) + np.where(inn[sub.col], -2.0, 0.0)
            order = np.lexsort((key, sub.row))
            rank = np.empty(sub.nnz, dtype=np.int64)
            starts = np.r_[0, np.cumsum(counts)[:-1]]
            rank[order] = np.arange(sub.nnz) - np.repeat(starts, counts)
            take = ~big | (rank < _NEIGHBOURS) | inn[sub.col]
        inn[sub.col[take]] = True
    return inn


def _lp_widths(h: _Hidden, cols: Int, need_local: Bool, slo: Float, shi: Float,
               rng: np.random.Generator, *, pushes: int = 12) -> None:
    """Widen ``slo``/``shi`` (over ``cols``) by LPs over those hidden values, the others held at
    ``h.x0``: joint pushes of every undecided value first, then each one alone."""
    rest = np.setdiff1d(np.arange(h.hid.size), cols)
    rows = np.unique(h.ah[:, cols].tocoo().row)
    if not rows.size:
        return
    sub = h.ah[rows]
    a_s = sub[:, cols].tocsr()
    b_s = h.b[rows] - (sub[:, rest] @ h.x0[rest] if rest.size else 0.0)
    e = h.eq[rows]
    a_eq, b_eq, a_ub, b_ub = a_s[e], b_s[e], a_s[~e], b_s[~e]
    bnd = np.column_stack([h.lo[cols], h.hi[cols]])
    x0 = h.x0[cols]
    lo_c, hi_c = bnd[:, 0], bnd[:, 1]

    def need_now() -> Bool:
        return need_local & (shi[cols] - slo[cols] < 1 - _TOL)

    stall = 0
    for it in range(pushes):
        nd = need_now()
        if not nd.any() or stall >= 3:
            break
        c = np.zeros(cols.size)
        idx = np.flatnonzero(nd)
        if it % 3 == 2:
            c[idx] = rng.normal(size=idx.size)
        else:
            part = idx[rng.random(idx.size) < (0.5 if it % 3 == 0 else 0.2)] if idx.size > 4 else idx
            room_up = hi_c[part] - x0[part] >= x0[part] - lo_c[part]
            c[part] = np.where(room_up, -1.0, 1.0)
        x = _solve(c, a_eq, b_eq, a_ub, b_ub, bnd)
        if x is None:
            break
        before = int(nd.sum())
        slo[cols] = np.minimum(slo[cols], x)
        shi[cols] = np.maximum(shi[cols], x)
        stall = stall + 1 if int(need_now().sum()) == before else 0
    # each remaining one alone, within its own block of the local problem
    nd = need_now()
    if not nd.any():
        return
    coo = a_s.tocoo()
    nr = a_s.shape[0]
    g = sparse.coo_matrix((np.ones(coo.nnz), (coo.row, nr + coo.col)), shape=(nr + cols.size,) * 2)
    _, lab = connected_components(g, directed=False)
    var_lab, row_lab = lab[nr:], lab[:nr]
    for comp in np.unique(var_lab[nd]):
        cc = np.flatnonzero(var_lab == comp)
        rr = np.flatnonzero(row_lab == comp)
        s2 = a_s[rr][:, cc]
        e2 = e[rr]
        for j in np.flatnonzero(nd[cc]):
            for sign in (-1.0, 1.0):
                c = np.zeros(cc.size)
                c[j] = sign
                x = _solve(c, s2[e2], b_s[rr][e2], s2[~e2], b_s[rr][~e2], bnd[cc])
                if x is not None:
                    slo[cols[cc]] = np.minimum(slo[cols[cc]], x)
                    shi[cols[cc]] = np.maximum(shi[cols[cc]], x)
                if shi[cols[cc[j]]] - slo[cols[cc[j]]] >= 1 - _TOL:
                    break
            nd = need_now()


def ranges(system: System, status: Int, *, known: bool = True, seed: int = 0,
           exact_limit: int | None = None, sensitive: Bool | None = None) -> Ranges:
    """The feasible interval of every hidden value under ``status`` (what decides exposure).

    With ``known`` the system's values are the truth (a feasible point to start from);
    otherwise hidden values are unknown and a feasible point is solved for first. A value
    reported not exposed has two feasible points at least one apart (a certificate: a valid
    move, or LP solutions); an exposed one was minimised and maximised over its whole
    block. With ``exact_limit``, when more values than that are still undecided after the
    neighbourhood LPs, they are reported exposed without the exact LPs (conservative:
    used while choosing suppressions, never for the final verdict).
    """
    values, _, _ = system.arrays()
    n = len(values)
    lo, hi = apriori(status, values, system.min_count, system.floors())
    exposed = np.zeros(n, dtype=bool)
    h = _hidden_part(system, status, known=known, sensitive=sensitive)
    if h is None:
        return Ranges(lo, hi, exposed)
    if h is False:
        return Ranges(lo, hi, exposed, infeasible=True)
    assert isinstance(h, _Hidden)
    pos = np.full(n, -1, dtype=np.int64)
    pos[h.hid] = np.arange(h.hid.size)
    rng = np.random.default_rng(seed)
    # 1. certificates: valid moves, every value at once
    _, slo, shi = _certify(h, system._grids, pos)
    need = h.care & (shi - slo < 1 - _TOL)
    # 2. LPs on the neighbourhood of what is left (the rest held at the feasible point)
    if need.any():
        inn = _neighbourhood(h, need, rng)
        cols = np.flatnonzero(inn)
        _lp_widths(h, cols, need[cols], slo, shi, rng)
        need = h.care & (shi - slo < 1 - _TOL)
    # 3. what is still undecided: exactly, over its whole block
    limited = False
    if need.any() and (exact_limit is None or int(need.sum()) <= exact_limit):
        _exact(h, need, slo, shi, rng)
        need = h.care & (shi - slo < 1 - _TOL)
    else:
        limited = bool(need.any())
    lo[h.hid], hi[h.hid] = slo, shi
    # intervals of values found wide are inner bounds only: that is all a decision needs
    exposed[h.hid[need]] = True
    return Ranges(lo, hi, exposed, limited=limited)


def _exact(h: _Hidden, need: Bool, slo: Float, shi: Float, rng: np.random.Generator) -> None:
    """Minimise and maximise the undecided values over their whole connected block."""
    coo = h.ah.tocoo()
    nr = h.ah.shape[0]
    g = sparse.coo_matrix((np.ones(coo.nnz), (coo.row, nr + coo.col)), shape=(nr + h.hid.size,) * 2)
    _, lab = connected_components(g, directed=False)
    var_lab = lab[nr:]
    for comp in np.unique(var_lab[need]):
        cols = np.flatnonzero(var_lab == comp)
        _lp_widths(h, cols, need[cols], slo, shi, rng, pushes=6)


# ------------------------------------------------------------------ protection

def _var_rows(a: sparse.csr_matrix) -> sparse.csr_matrix:
    return a.T.tocsr()


def _structural_rows(a: sparse.csr_matrix, is_eq: Bool, values: Float, status: Int,
                     min_count: int, floor: Float | None = None) -> tuple[Int, Bool, Bool]:
    """Equality relations that expose a hidden value whatever the rest (every relation at
    once): exactly one hidden value, or hidden values whose sum the relation fixes at the
    extreme of their bounds. Also per relation which way a new hidden partner's term must be
    able to move to free them (``pos``: grow, ``neg``: shrink)."""
    hidden = _is_hidden(status)
    lo, hi = apriori(status, values, min_count, floor)
    coo = a.tocoo()
    r, c, d = coo.row, coo.col, coo.data
    nrow = a.shape[0]
    h = hidden[c]
    nh = np.bincount(r[h], minlength=nrow)
    free = np.bincount(r[h & (status[c] == FREE)], minlength=nrow) > 0
    unknown = np.bincount(r[~np.isfinite(values[c])], minlength=nrow) > 0
    width = np.bincount(r[h], weights=(hi[c] - lo[c])[h], minlength=nrow)
    single = (nh == 1) & (width >= 1 - _TOL)
    hv = np.where(np.isfinite(values[c]), values[c], 0.0)
    resid = np.bincount(r[h], weights=(d * hv)[h], minlength=nrow)
    lo_s = np.bincount(r[h], weights=np.where(d > 0, d * lo[c], d * hi[c])[h], minlength=nrow)
    hi_s = np.bincount(r[h], weights=np.where(d > 0, d * hi[c], d * lo[c])[h], minlength=nrow)
    at_lo = np.abs(resid - lo_s) < _TOL
    at_hi = np.abs(resid - hi_s) < _TOL
    extreme = (at_lo | at_hi) & (hi_s - lo_s >= 1 - _TOL)
    multi = (nh >= 2) & extreme & ~unknown
    rows = np.flatnonzero(is_eq & ~free & (nh >= 1) & (single | multi))
    # which way the hidden values' terms can go; a partner's term must be able to go the other way
    up_h = (hi[c] - hv >= 1 - _TOL) & h
    dn_h = (hv - lo[c] >= 1 - _TOL) & h
    grow = np.bincount(r[(d > 0) & up_h | (d < 0) & dn_h], minlength=nrow) > 0
    shrink = np.bincount(r[(d > 0) & dn_h | (d < 0) & up_h], minlength=nrow) > 0
    grow = np.where(multi, at_lo, grow)
    shrink = np.where(multi, at_hi, shrink)
    return rows, shrink[rows], grow[rows]


def _pick_many(rows: Int, need_pos: Bool, need_neg: Bool, a: sparse.csr_matrix, values: Float,
               prio: Int, status: Int, min_count: int) -> tuple[Int, Int]:
    """For each relation in ``rows``, the cheapest shown value to hide (every relation at once):
    one whose term can move the way that frees the relation's hidden values (``need_pos``:
    grow, ``need_neg``: shrink) first, then a low priority, one whose other relations already
    hold a hidden value (it closes a cycle), one that can move both ways once hidden, the
    smallest value. Returns (relations with a pick, the values picked)."""
    sub = a[rows].tocoo()
    hidden = _is_hidden(status)
    cand = (status[sub.col] == SHOWN) & (prio[sub.col] < NEVER)
    if not cand.any():
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    k, j, cj = sub.row[cand].astype(np.int64), sub.col[cand].astype(np.int64), sub.data[cand]
    v = values[j]
    small = v < min_count - _TOL
    room_up = np.where(small, min_count - 1.0 - v, np.inf) >= 1 - _TOL
    room_dn = np.where(small, v, v - min_count) >= 1 - _TOL
    pos = (cj > 0) & room_up | (cj < 0) & room_dn
    neg = (cj > 0) & room_dn | (cj < 0) & room_up
    useless = (~((need_pos[k] & pos) | (need_neg[k] & neg))).astype(np.int64)
    # relations of each candidate holding a hidden value (the relation itself holds one)
    coo = a.tocoo()
    has_hidden = np.bincount(coo.row[hidden[coo.col]], minlength=a.shape[0]) > 0
    at = _var_rows(a)
    n_rel = np.diff(at.indptr)
    vr = np.repeat(np.arange(a.shape[1]), n_rel)
    per_var = np.bincount(vr, weights=has_hidden[at.indices], minlength=a.shape[1]).astype(np.int64)
    cycle = (per_var[j] - 1 <= 0).astype(np.int64)
    tight = (np.abs(v - min_count) < _TOL).astype(np.int64)
    order = np.lexsort((j, v, tight, cycle, prio[j], useless, k))
    k, j = k[order], j[order]
    first = np.r_[True, k[1:] != k[:-1]]
    return rows[k[first]], j[first]


def _pick(rows: Int, a: sparse.csr_matrix, at: sparse.csr_matrix, values: Float, prio: Int,
          status: Int, min_count: int, *, for_var: int | None = None,
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


def _secondary(value: float | Float, min_count: int) -> Int:
    """A value hidden to protect others: a zero joins the "fewer than min_count" values
    (a recipient cannot tell it from a small count), anything else is secondary."""
    return np.where(np.asarray(value) < min_count - _TOL, PRIMARY, SECONDARY).astype(np.int64)


def _structural_pass(system: System, status: Int, a: sparse.csr_matrix, is_eq: Bool,
                     hopeless: set[int]) -> None:
    """Apply the structural rules until no relation breaks them (or none can be helped)."""
    values, prio, _ = system.arrays()
    for _ in range(200):
        # every hidden value, small or not: a partner pinned by its own relation protects nothing
        rows, need_pos, need_neg = _structural_rows(a, is_eq, values, status, system.min_count,
                                                   system.floors())
        if hopeless:
            keep = ~np.isin(rows, np.fromiter(hopeless, dtype=np.int64))
            rows, need_pos, need_neg = rows[keep], need_pos[keep], need_neg[keep]
        if not rows.size:
            return
        got_rows, picks = _pick_many(rows, need_pos, need_neg, a, values, prio, status, system.min_count)
        hopeless.update(np.setdiff1d(rows, got_rows).tolist())
        if not picks.size:
            return
        picks = np.unique(picks)
        status[picks] = _secondary(values[picks], system.min_count)


def protect(system: System, *, max_rounds: int = 40) -> tuple[Int, Bool]:
    """Statuses after primary and secondary suppression, and the values still exposed
    (normally none: only when no shown value is left that could protect them)."""
    values, prio, status = system.arrays()
    status = status.copy()
    a, _, is_eq = system.matrices()
    if a.shape[0] == 0 or not _is_hidden(status).any():
        return status, np.zeros(len(values), dtype=bool)
    # what must keep two possible values: the small counts (1 … min_count−1) and hidden values
    # not known here; a hidden zero or a value hidden to protect others may be pinned (it
    # tells nothing that could not be published)
    sensitive = (np.isfinite(values) & (values > _TOL) & (values < system.min_count - _TOL)) | (
        ~np.isfinite(values) & (status != FREE))
    at = _var_rows(a)
    hopeless: set[int] = set()
    exposed = np.zeros(len(values), dtype=bool)
    best, stuck = np.inf, 0
    limited = False
    for _ in range(max_rounds):
        _structural_pass(system, status, a, is_eq, hopeless)
        before = exposed
        r = ranges(system, status, known=True, exact_limit=_EXACT_WHILE_CHOOSING, sensitive=sensitive)
        exposed, limited = r.exposed, r.limited
        if not exposed.any():
            break
        n_exp = int(exposed.sum())
        stuck = stuck + 1 if n_exp >= best else 0
        best = min(best, n_exp)
        # one value at a time does not help here (or the same values are left as before: they
        # are likely only undecided, not exposed): go on to the exact audit and what follows
        if stuck >= 3 or (limited and np.array_equal(exposed, before)):
            break
        touched: set[int] = set()
        added = 0
        _, hi_a = apriori(status, values, system.min_count, system.floors())
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
    if limited and exposed.any():  # the values left undecided while choosing: exactly now
        exposed = ranges(system, status, known=True, sensitive=sensitive).exposed
    for allow_never in (False, True):  # what frees it along every relation at once
        for _ in range(3):
            if not exposed.any():
                break
            added = 0
            for u in np.flatnonzero(exposed)[:_TRIED_EXPOSED]:
                hide = _widening(system, status, int(u), a, at, allow_never=allow_never)
                status[hide] = _secondary(values[hide], system.min_count)
                added += hide.size
            exposed = ranges(system, status, known=True, sensitive=sensitive).exposed
            if not added:
                break
    for _ in range(3):  # last resort: hide every shown value related to what is still exposed
        if not exposed.any():
            break
        for u in np.flatnonzero(exposed):
            for k in at.indices[at.indptr[u]:at.indptr[u + 1]]:
                idx = a.indices[a.indptr[k]:a.indptr[k + 1]]
                for j in idx[(status[idx] == SHOWN) & (prio[idx] < NEVER)]:
                    status[j] = _secondary(values[j], system.min_count)
        exposed = ranges(system, status, known=True, sensitive=sensitive).exposed  # the verdict: exactly
    return _show_pinned(system, status), exposed


#: How many exposed values the least-cost search takes on per round (a bound on its linear
#: programs; it only runs when the cheaper choices left something exposed) and how many
#: relations of hidden values away from the exposed value it looks.
_TRIED_EXPOSED, _REACH = 30, 8
#: At most this many hidden values (besides the shown values of their relations) take part
#: in one least-cost move.
_NEAR_MAX = 20_000


def _widening(system: System, status: Int, u: int, a: sparse.csr_matrix, at: sparse.csr_matrix,
              *, allow_never: bool) -> Int:
    """Shown values whose hiding lets the exposed value ``u`` move by one: a least-cost move.

    A recipient pins ``u`` through several relations at once (a total less its shown parts,
    and the same total again along another dimension), so hiding one value at a time may
    never free it. This solves for a move of ``u`` by +1 or −1 that keeps every relation,
    in which hidden values move within their a-priori bounds and shown values may move
    only at a cost (its priority: ``2**prio`` per unit); the shown values the cheapest move
    needs are the ones to hide. The values within ``_REACH`` relations of ``u`` take part,
    the rest stay put. With ``allow_never`` the values marked never to hide (the kommun's
    totals) may move too: a hidden headline figure is better than a small count recovered.
    """
    values, prio, _ = system.arrays()
    mc = system.min_count
    only = np.zeros(len(values), dtype=bool)
    only[u] = True
    h = _hidden_part(system, status, known=True, sensitive=only)
    if not isinstance(h, _Hidden):
        return np.zeros(0, dtype=np.int64)
    x = np.where(np.isfinite(values), values, 0.0)
    x[h.hid] = h.x0
    hidden = _is_hidden(status)
    # the hidden values connected to u (through relations), up to _NEAR_MAX, and every value
    # of their relations: the hidden ones may move, the shown ones at a cost
    reached = np.asarray([u], dtype=np.int64)
    frontier = reached
    for _ in range(_REACH):
        vals = np.unique(a[np.unique(at[frontier].indices)].indices)  # in a relation with the frontier
        frontier = np.setdiff1d(vals[hidden[vals]], reached, assume_unique=True)
        if not frontier.size or reached.size + frontier.size > _NEAR_MAX:
            break  # all there is, or enough: the values left out stay put (the move is still valid)
        reached = np.union1d(reached, frontier)
    near = np.union1d(reached, a[np.unique(at[reached].indices)].indices)
    hv = near[hidden[near]]
    cand = near[(status[near] == SHOWN) & (allow_never | (prio[near] < NEVER))]
    if not cand.size:
        return cand
    lo_h, hi_h = apriori(status, values, mc, system.floors())
    lo_s, hi_s = apriori(_secondary(values, mc), values, mc, system.floors())
    rows = np.unique(at[near].indices)
    _, rhs, is_eq = system.matrices()
    sub = a[rows]
    m = sparse.hstack([sub[:, hv], sub[:, cand], -sub[:, cand]]).tocsr()
    eq = is_eq[rows]
    slack = rhs[rows] - sub @ x
    cost = np.r_[np.zeros(hv.size), np.tile(2.0 ** prio[cand], 2)]
    base = np.column_stack([np.r_[lo_h[hv] - x[hv], np.zeros(2 * cand.size)],
                            np.r_[hi_h[hv] - x[hv], hi_s[cand] - x[cand], x[cand] - lo_s[cand]]])
    at_u = int(np.flatnonzero(hv == u)[0])
    best: tuple[float, Int] | None = None
    for step in (1.0, -1.0):
        if not lo_h[u] - _TOL <= x[u] + step <= hi_h[u] + _TOL:
            continue
        bounds = base.copy()
        bounds[at_u] = step
        y = _solve(cost, m[eq], np.zeros(int(eq.sum())), m[~eq], np.maximum(slack[~eq], 0.0), bounds)
        if y is None:
            continue
        moved = np.abs(y[hv.size:hv.size + cand.size]) + np.abs(y[hv.size + cand.size:])
        c = float(cost @ y)
        if best is None or c < best[0]:
            best = (c, cand[moved > 1e-7])
    return np.zeros(0, dtype=np.int64) if best is None else best[1]


def _show_pinned(system: System, status: Int) -> Int:
    """Show again the values hidden to protect others that the shown ones fix exactly.

    The greedy choice can hide a value (a zero too) that, once the rest is chosen, a reader
    still works out by subtraction: an equation in which it is the only hidden value (a
    total less its shown parts, a row of shown zeros and its hidden total). It protects
    nothing, and a display of "hidden" would promise what it does not keep. Showing it
    changes nothing a reader can work out, so it may make another equation's last hidden
    value fixed in turn: repeated until none is. Values fixed only by several equations
    together stay hidden (finding them needs a linear program per value).
    """
    _, _, initial = system.arrays()
    a, _, is_eq = system.matrices()
    by_choice = (initial == SHOWN) & _is_hidden(status)  # hidden here, not as too small
    if not by_choice.any() or not is_eq.any():
        return status
    pattern = a[is_eq].tocsr()
    pattern.data = np.ones_like(pattern.data)
    status = status.copy()
    while True:
        hidden = _is_hidden(status)
        single = np.flatnonzero(pattern @ hidden.astype("float64") == 1)
        if not single.size:
            break
        last = pattern[single].multiply(hidden.astype("float64")).tocsr()
        last.eliminate_zeros()
        fixed = np.unique(last.indices)
        fixed = fixed[by_choice[fixed] & hidden[fixed]]
        if not fixed.size:
            break
        status[fixed] = SHOWN
    return status
