"""Disclosure control of a whole publication (SPEC §6, §9): small counts, secondary suppression, rates.

The publication is a ``Table``: every count it holds is a variable (a published cell's value, or the
numerator or denominator of a rate), and every linear relation the figures obey is a relation over those
variables (sum of the terms = 0): category totals, areas to national, months to quarters to years, the
stock-flow identity. Quantities the relations need but that are never shown (the cases of no DFJ area,
the complement of a percentage) are unpublished variables: always hidden, and sensitive when 1-5.

``protect`` decides, once for the whole table, which variables are hidden:

1. primary: a published count of 1-5; the numerator of a rate whose denominator is under 10;
2. secondary, chosen by an integer program (HiGHS, ``highspy``): the least costly set of further cells
   such that no relation holds exactly one hidden cell that must be protected (the MoJ FCSQ condition,
   imposed on every relation at once rather than margin by margin); zeros stay 0; a rate's numerator is
   hidden whenever its denominator is;
3. an exact audit (``determined``): a hidden cell is worked out from the published ones when its unit
   vector lies in the row space of the relations restricted to the hidden cells (exact reductions
   first, then a rank test by the projection onto the row space per connected block of what is left,
   ``_fixed_columns``).
   Each cell the audit finds adds a constraint
   (one more hidden cell among its neighbours) and the program is solved again, the cells already
   hidden kept, until the audit finds none. So the guarantee rests on the audit, not on the program:
   no hidden non-zero cell, and no unpublished quantity of 1-5, is determined by the published cells
   through the relations.

A table changed a little since its last protection is protected again incrementally (``protection``
given the ``previous`` ``Protection``): the variables are matched by name, the hidden cells carried
forward, and only the cells around a variable whose pattern changed (shown or not, 1-5, zero, forced)
are released and solved again, with the relations around them; the audit runs over the whole table,
answering every block unchanged since the previous audit from its answer then (``Answers``). The
guarantee is the same: it rests on the audit of the whole table.

A rate (mean, median, ratio, band) or a percentage is published only when its denominator is at least 10
and neither numerator nor denominator is hidden; a withheld rate shows its numerator as ``c`` as well.

Status vocabulary: ``published``; ``suppressed`` (a count hidden, primary or secondary); ``withheld``
(a rate or percentage not published). Hidden values are the string ``c``; ``x`` (the DfE symbol for "not
available") marks a figure the publication does not make (a quarter before its calendar, in the pack).
An area's months are not made at all: they are neither stored nor sent (``relations.coarsened``).
"""

from __future__ import annotations

import os
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np
from scipy.linalg import lapack
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import lsqr
from threadpoolctl import threadpool_limits

PUBLISHED, SUPPRESSED, WITHHELD = "published", "suppressed", "withheld"
HIDDEN = "c"
NOT_PUBLISHED = "x"  # the DfE symbol for "not available": a figure the publication does not make
SMALL_COUNTS = range(1, 6)
MIN_DENOMINATOR = 10
#: audit rounds in which the integer program chooses the extra cells around one cell; a cell still
#: determined after them has every hideable neighbour hidden at once (cruder, but it always ends), the
#: program going on choosing around every other
SOLVER_ROUNDS = 12
_TOLERANCE = 1e-7


@dataclass
class Table:
    """Count variables and the linear relations between them.

    ``values`` are the true counts; ``published[v]`` is False for a quantity never shown; ``weights`` the
    cost of hiding a cell; ``forced`` published variables hidden whatever their value; ``follows`` pairs
    (a, b): a is hidden whenever b is; ``keeps_zero[v]``: a zero that stays 0 (never hidden); ``names[v]``
    what the variable stands for (its index unless given), by which a later table's protection finds it.
    """

    values: list[int] = field(default_factory=list)
    published: list[bool] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    keeps_zero: list[bool] = field(default_factory=list)
    relations: list[dict[int, int]] = field(default_factory=list)
    forced: set[int] = field(default_factory=set)
    follows: list[tuple[int, int]] = field(default_factory=list)
    names: list[Hashable] = field(default_factory=list)

    def add(
        self,
        value: int,
        *,
        published: bool = True,
        weight: float = 1.0,
        keeps_zero: bool = True,
        name: Hashable = None,
    ) -> int:
        self.names.append(len(self.values) if name is None else name)
        self.values.append(int(value))
        self.published.append(published)
        self.weights.append(weight)
        self.keeps_zero.append(keeps_zero)
        return len(self.values) - 1

    def relate(self, terms: Mapping[int, int]) -> None:
        """Declare sum(coefficient x variable) = 0; it must hold for the true values."""
        row = {v: c for v, c in terms.items() if c}
        if sum(c * self.values[v] for v, c in row.items()) != 0:
            raise ValueError(f"a relation the true values break: {row}")
        if len(row) > 1:
            self.relations.append(row)

    def sensitive(self, v: int) -> bool:
        return abs(self.values[v]) in SMALL_COUNTS

    def must_protect(self, v: int) -> bool:
        """A hidden variable that must never be determined: a hidden non-zero cell, or a sensitive unshown
        one (a hidden zero, the numerator of a withheld rate, say, tells no more than the zeros shown)."""
        return (self.published[v] and self.values[v] != 0) or self.sensitive(v)

    def hideable(self, v: int) -> bool:
        if not self.published[v]:
            return False
        return not (self.keeps_zero[v] and self.values[v] == 0)


def primary(table: Table) -> set[int]:
    """Published counts of 1-5, forced cells, and every unpublished quantity."""
    return {
        v for v, shown in enumerate(table.published) if not shown or table.sensitive(v) or v in table.forced
    }


@dataclass
class Answers:
    """The audit's answer for each block it tested (the block's fixed cells, by position), by the block's
    content written with stable ids of the variables' names: the rounds of one protection, and the next
    protection of a changed table, look a block up before testing it. ``latest``: the blocks of the last
    audit (what the next protection keeps); ``tested``: blocks tested, not found."""

    known: dict[bytes, list[int]] = field(default_factory=dict)
    latest: dict[bytes, list[int]] = field(default_factory=dict)
    ids: dict[Hashable, int] = field(default_factory=dict)
    tested: int = 0

    def of(self, key: bytes, test: Callable[[], list[int]]) -> list[int]:
        answer = self.known.get(key)
        if answer is None:
            answer = self.known[key] = test()
            self.tested += 1
        self.latest[key] = answer
        return answer

    def id(self, name: Hashable) -> int:
        return self.ids.setdefault(name, len(self.ids))


@dataclass
class Protection:
    """A table's protection: its hidden variables, and, by name, what the next protection starts from (the
    hidden cells, each variable's pattern, the audit's answers). ``solved``: the names of the cells the
    program was free to hide (every hideable cell from scratch; around the changed cells in an update)."""

    hidden: set[int]
    kept: set[Hashable]
    pattern: dict[Hashable, tuple[bool, ...]]
    answers: Answers
    solved: set[Hashable]

    @property
    def audited(self) -> int:
        """The blocks the audit tested by rank (not answered from an earlier audit)."""
        return self.answers.tested


def protect(table: Table) -> set[int]:
    """The hidden variables: primary, then secondary until the audit finds nothing determined."""
    return protection(table).hidden


def protection(table: Table, previous: Protection | None = None) -> Protection:
    """``table``'s protection, from scratch, or from ``previous`` (the protection of an earlier state of the
    same figures) by releasing and solving again only the cells around those that changed (``_carried``);
    audited as a whole either way."""
    holding = _holding(table.relations)
    pattern = {name: _pattern(table, v) for v, name in enumerate(table.names)}
    if previous is None:
        hidden, region = _follow(table, primary(table)), None
        answers = Answers()
    else:
        hidden, region = _carried(table, holding, pattern, previous)
        answers = Answers(dict(previous.answers.latest), ids=previous.answers.ids)
    solved: set[int] = set()
    cuts: list[set[int]] = []
    rounds: Counter[int] = Counter()  # the rounds each cell has been found determined in
    while True:
        hidden = _follow(table, _solve(table, holding, hidden, cuts, region, solved))
        answers.latest = {}
        found = determined(table.relations, hidden, table.must_protect, answers, table.names)
        exposed = [v for v in found if table.must_protect(v)]
        if not exposed:
            names = table.names
            return Protection(
                hidden, {names[v] for v in hidden}, pattern, answers, {names[v] for v in solved}
            )
        rounds.update(exposed)
        certificates = _Certificates(table, hidden)
        new_cuts = {v: _neighbours(table, holding, hidden, v) or certificates.cut(v) for v in exposed}
        # where the program cannot help (or has had its turns around a cell): every hideable neighbour,
        # around that cell only; a crude fallback over every cell found would hide whole stock chains
        crude = [v for v, cut in new_cuts.items() if not cut or rounds[v] > SOLVER_ROUNDS]
        if crude:
            added = set().union(*(new_cuts[v] for v in crude)) or _component_cells(
                table, holding, hidden, crude
            )
            if not added:
                raise RuntimeError("secondary suppression cannot protect a determined cell")
            hidden = _follow(table, hidden | added)
        cuts.extend(cut for v, cut in new_cuts.items() if cut and v not in crude)


def _pattern(table: Table, v: int) -> tuple[bool, ...]:
    """What the guarantee reads of a variable: its value counts only through these (and the cost)."""
    return (
        table.published[v],
        table.sensitive(v),
        table.must_protect(v),
        table.hideable(v),
        v in table.forced,
    )


def _carried(
    table: Table,
    holding: Mapping[int, list[int]],
    pattern: Mapping[Hashable, tuple[bool, ...]],
    previous: Protection,
) -> tuple[set[int], set[int]]:
    """The hidden cells carried forward from ``previous``, and the region the program may change.

    A variable whose pattern changed (or a new one) releases the cells hidden around it: those sharing a
    relation with it are shown again, but for the primary ones, and solved afresh with every cell of a
    relation touching them (and of a relation the carried cells no longer protect, one whose variables
    came or went). Every other hidden cell stays hidden, whatever the values around it: its pattern still
    protects it (the guarantee reads only the pattern), and a cell hidden in one publication and the next
    gives nothing away by differencing the two."""
    index = {name: v for v, name in enumerate(table.names)}
    first = primary(table)
    carried = {index[n] for n in previous.kept if n in index}
    changed = {v for v, name in enumerate(table.names) if previous.pattern.get(name) != pattern[name]}
    released = changed | {w for v in changed for r in holding.get(v, ()) for w in table.relations[r]}
    hidden = _follow(table, first | {v for v in carried - released if table.hideable(v)})
    seeds = released & (carried | first)
    for relation in table.relations:
        inside = [v for v in relation if v in hidden]
        if len(inside) == 1 and table.must_protect(inside[0]):
            seeds |= set(relation)
    region = {w for v in seeds for r in holding.get(v, ()) for w in table.relations[r]} | seeds
    return hidden, region


def _follow(table: Table, hidden: set[int]) -> set[int]:
    hidden = set(hidden)
    changed = True
    while changed:
        changed = False
        for a, b in table.follows:
            if b in hidden and a not in hidden:
                hidden.add(a)
                changed = True
    return hidden


def _holding(relations: Sequence[Mapping[int, int]]) -> dict[int, list[int]]:
    """variable -> the relations (by index) it takes part in."""
    holding: dict[int, list[int]] = defaultdict(list)
    for r, row in enumerate(relations):
        for v in row:
            holding[v].append(r)
    return holding


def _neighbours(table: Table, holding: Mapping[int, list[int]], hidden: set[int], v: int) -> set[int]:
    """Cells not yet hidden that share a relation with ``v`` and may be hidden."""
    return {
        w for r in holding.get(v, ()) for w in table.relations[r] if w not in hidden and table.hideable(w)
    }


class _Certificates:
    """For a hidden cell determined although every cell sharing a relation with it is hidden already: a
    combination of relations that fixes it (``y`` with ``A_hidden^T y = e_v``, by sparse least squares)
    and the published cells whose values that combination reads (a year's disposals, say, read through
    its quarters and the stock-flow identities from the stocks and the issued cases). Hiding one of them
    breaks this combination; without them the cell could only be protected by hiding everything around."""

    def __init__(self, table: Table, hidden: set[int]) -> None:
        self.table = table
        rows, columns, values = [], [], []
        for r, relation in enumerate(table.relations):
            for v, c in relation.items():
                rows.append(r)
                columns.append(v)
                values.append(float(c))
        shape = (len(table.relations), len(table.values))
        self.matrix = coo_matrix((values, (rows, columns)), shape=shape).tocsc()
        mask = np.zeros(len(table.values), bool)
        mask[list(hidden)] = True
        self.hidden = np.flatnonzero(mask)
        self.shown = np.flatnonzero(~mask)
        # the blocks of relations joined through hidden cells: a combination fixing a cell uses only the
        # relations of its block (the least-norm solution is 0 on the others), so each solve is that size
        n_rows = shape[0]
        linked = self.matrix[:, self.hidden].tocoo()
        graph = coo_matrix(
            (np.ones(linked.nnz), (linked.row, n_rows + linked.col)), shape=(n_rows + len(self.hidden),) * 2
        )
        _, self.label = connected_components(graph, directed=False)
        self.n_rows = n_rows
        self.by_row = self.matrix.tocsr()

    def cut(self, v: int) -> set[int]:
        """The published cells, hideable, that a combination fixing ``v`` reads (empty if none is found)."""
        block = self.label[self.n_rows + int(np.searchsorted(self.hidden, v))]
        block_rows = np.flatnonzero(self.label[: self.n_rows] == block)
        block_hidden = self.hidden[self.label[self.n_rows :] == block]
        part = self.by_row[block_rows]
        hidden_part = part[:, block_hidden].T.tocsr()
        target = (block_hidden == v).astype(float)
        y = lsqr(hidden_part, target, atol=1e-12, btol=1e-12, iter_lim=20000)[0]
        if np.abs(hidden_part @ y - target).max() > 1e-6:
            return set()
        read = np.abs(part[:, self.shown].T @ y)
        used = self.shown[read > 1e-6 * max(1.0, read.max(initial=0.0))]
        return {int(w) for w in used if self.table.hideable(int(w))}


def _component_cells(
    table: Table, holding: Mapping[int, list[int]], hidden: set[int], exposed: Iterable[int]
) -> set[int]:
    """Every hideable cell in a relation that reaches ``exposed`` through hidden cells."""
    reach, frontier = set(exposed), list(exposed)
    out: set[int] = set()
    while frontier:
        v = frontier.pop()
        for r in holding.get(v, ()):
            for w in table.relations[r]:
                if w in hidden and w not in reach:
                    reach.add(w)
                    frontier.append(w)
                elif w not in hidden and table.hideable(w):
                    out.add(w)
    return out


def _solve(
    table: Table,
    holding: Mapping[int, list[int]],
    hidden: set[int],
    cuts: list[set[int]],
    region: set[int] | None = None,
    solved: set[int] | None = None,
) -> set[int]:
    """Least-cost further cells so that every relation with a cell to protect hides at least two: cells of
    ``region`` (default: all) and of the ``cuts`` may be hidden, every other keeps its state. The cells
    offered are added to ``solved``."""
    pool = (v for row in table.relations for v in row) if region is None else region
    free = sorted(
        {v for v in pool if v not in hidden and table.hideable(v)}
        | {v for cut in cuts for v in cut if v not in hidden}
    )
    if solved is not None:
        solved.update(free)
    if not free:
        return set(hidden)
    column = {v: i for i, v in enumerate(free)}
    rows: list[tuple[dict[int, float], float, float]] = []  # (coefficients by column, lower, upper)
    n_columns = len(free)
    costs = [table.weights[v] for v in free]
    for r in sorted({r for v in free for r in holding.get(v, ())}):
        relation = table.relations[r]
        members = [column[v] for v in relation if v in column]
        fixed = sum(1 for v in relation if v in hidden)
        needed = any(v in hidden and table.must_protect(v) for v in relation)
        if not members:
            continue
        if needed:  # the relation already holds a hidden cell: at least two hidden in all
            if fixed < 2:
                rows.append(({c: 1.0 for c in members}, 2.0 - fixed, np.inf))
            continue
        z = n_columns  # "this relation hides something": then at least two
        n_columns += 1
        costs.append(0.0)
        for c in members:
            rows.append(({c: 1.0, z: -1.0}, -np.inf, 0.0))
        rows.append(({**{c: 1.0 for c in members}, z: -2.0}, -float(fixed), np.inf))
    for a, b in table.follows:
        if a in column and b in column:
            rows.append(({column[a]: 1.0, column[b]: -1.0}, 0.0, np.inf))
    for cut in cuts:
        members = [column[v] for v in cut if v in column]
        if members and not cut & hidden:
            rows.append(({c: 1.0 for c in members}, 1.0, np.inf))
    chosen = _binary_program(costs, rows, n_columns)
    return set(hidden) | {free[i] for i in chosen if i < len(free)}


def _binary_program(
    costs: list[float], rows: list[tuple[dict[int, float], float, float]], n: int
) -> list[int]:
    """Minimise costs . x over x in {0, 1}^n subject to lower <= row . x <= upper, with HiGHS."""
    if not rows:
        return []
    h = _quiet_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.02)
    h.setOptionValue("time_limit", 120.0)
    h.addCols(
        n,
        np.array(costs),
        np.zeros(n),
        np.ones(n),
        0,
        np.array([], np.int32),
        np.array([], np.int32),
        np.array([]),
    )
    h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.array([highspy.HighsVarType.kInteger] * n))
    starts, indices, values = [], [], []
    for coefficients, _, _ in rows:
        starts.append(len(indices))
        indices.extend(coefficients)
        values.extend(coefficients.values())
    h.addRows(
        len(rows),
        np.array([r[1] for r in rows]),
        np.array([r[2] for r in rows]),
        len(indices),
        np.array(starts, np.int32),
        np.array(indices, np.int32),
        np.array(values),
    )
    h.run()
    solution = h.getSolution()
    if not solution.value_valid:
        raise RuntimeError(
            f"secondary suppression found no solution: {h.modelStatusToString(h.getModelStatus())}"
        )
    return [i for i, x in enumerate(solution.col_value) if x > 0.5]


def _quiet_highs() -> highspy.Highs:
    """A solver; HiGHS prints its banner when constructed, before any option can be set, so that goes to
    standard error (``exchange worker --once --json`` prints only JSON on standard output)."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def determined(
    relations: Iterable[Mapping[int, int]],
    hidden: set[int],
    wanted: Callable[[int], bool] | None = None,
    answers: Answers | None = None,
    names: Sequence[Hashable] | None = None,
) -> set[int]:
    """The hidden variables whose value the relations fix once every other variable is known.

    With the shown variables moved to the right-hand side, a hidden variable is fixed exactly when its
    unit vector lies in the row space of the relations restricted to the hidden variables. Two exact
    reductions come first, and leave a small core: a relation with one unknown left fixes it (it is then
    known in every other relation); with ``wanted``, a relation holding an unknown ``wanted`` refuses
    that is in no other relation is set aside (it can always be met by that unknown, so it fixes none of
    the others; whether it fixes that unknown is not asked). The core is then tested per connected
    block of unknowns, on the projection onto the row space. Exact for every variable ``wanted`` accepts.
    ``answers`` keeps each block's answer by its content, written with the variables' ``names`` (default:
    their indices), for the next call: a block unchanged between the rounds of ``protect``, or since the
    previous protection, is not tested again.
    """
    rows = [{v: c for v, c in row.items() if v in hidden} for row in relations]
    rows = [row for row in rows if row]
    live = [set(row) for row in rows]  # the unknowns of each relation not yet fixed
    holding: dict[int, set[int]] = defaultdict(set)
    for r, row in enumerate(rows):
        for v in row:
            holding[v].add(r)
    known: set[int] = set()
    alive = set(range(len(rows)))
    todo = list(alive)
    while todo:
        r = todo.pop()
        if r not in alive:
            continue
        if len(live[r]) <= 1:  # one unknown: fixed; none: nothing more to learn from it
            alive.discard(r)
            for v in list(live[r]):
                known.add(v)
                for other in holding[v]:
                    live[other].discard(v)
                    todo.append(other)
            continue
        if wanted is not None and any(not wanted(v) and len(holding[v] & alive) == 1 for v in live[r]):
            alive.discard(r)
            for w in live[r]:
                todo.extend(holding[w] & alive)
    core = [{v: rows[r][v] for v in live[r]} for r in sorted(alive)]
    return known | _fixed_in(core, answers or Answers(), names)


def _fixed_in(
    restricted: list[dict[int, int]], answers: Answers, names: Sequence[Hashable] | None
) -> set[int]:
    """The unknowns of ``restricted`` whose unit vector lies in its row space, per connected block."""
    if not restricted:
        return set()
    variables = sorted({v for row in restricted for v in row})
    index = {v: i for i, v in enumerate(variables)}
    row_of, col_of, coefficient = [], [], []
    for r, row in enumerate(restricted):
        for v, c in row.items():
            row_of.append(r)
            col_of.append(index[v])
            coefficient.append(float(c))
    matrix = coo_matrix((coefficient, (row_of, col_of)), shape=(len(restricted), len(variables))).tocsr()
    n_rows = len(restricted)
    graph = coo_matrix(
        (np.ones(len(row_of)), (row_of, [n_rows + c for c in col_of])),
        shape=(n_rows + len(variables),) * 2,
    )
    _, label = connected_components(graph, directed=False)
    out: set[int] = set()
    # one BLAS thread: the blocks are small, and a thread per core fights the service's own processes
    # (eight times slower on a busy two-core machine)
    with threadpool_limits(limits=1, user_api="blas"):
        for block in np.unique(label[n_rows:]):
            columns = np.flatnonzero(label[n_rows:] == block)
            block_rows = np.flatnonzero(label[:n_rows] == block)
            part = matrix[block_rows][:, columns].tocsr()
            part.sort_indices()
            members = [variables[c] for c in columns]
            ids = np.array([answers.id(v if names is None else names[v]) for v in members], np.int64)
            sizes = np.array([*part.shape, part.nnz], np.int64)  # fixed-size first: the rest parses one way
            key = b"".join(a.tobytes() for a in (sizes, ids, part.indptr, part.indices, part.data))
            out |= {members[i] for i in answers.of(key, lambda part=part: _fixed_columns(part))}
    return out


def _fixed_columns(part: csr_matrix) -> list[int]:
    """Columns j whose unit vector e_j lies in the row space of ``part``: the diagonal of the projection
    onto the row space is 1 there (below 1 elsewhere).

    With fewer rows than columns (the large blocks of small data), from a pivoted Cholesky factorisation
    of the Gram matrix (LAPACK ``dpstrf``, the Gram matrix formed sparse): it picks independent rows R
    (the rank's worth) with R R^T = L L^T, and the projection's diagonal is r_j^T (L L^T)^-1 r_j over the
    columns r_j of R, read from the inverse (``dpotri``) and the sparse R; on a 2,660 x 3,858 block a
    third of the time of solving L^-1 R densely, with the same cells. Otherwise from the eigenvectors of
    the smaller Gram matrix."""
    if part.shape[0] == 0:
        return []
    if part.shape[1] <= part.shape[0]:
        dense = part.toarray()
        values, vectors = np.linalg.eigh(dense.T @ dense)
        keep = values > _TOLERANCE * max(1.0, values.max(initial=0.0))
        diagonal = np.sum(vectors[:, keep] ** 2, axis=1)
    else:
        gram = (part @ part.T).toarray()
        tolerance = _TOLERANCE * max(1.0, gram.diagonal().max(initial=0.0))
        factor, pivots, rank, _ = lapack.dpstrf(gram, tol=tolerance, lower=1)
        basis = part[pivots[:rank] - 1]  # LAPACK counts from 1
        inverse, _ = lapack.dpotri(factor[:rank, :rank], lower=1)  # its lower triangle
        inverse = np.tril(inverse) + np.tril(inverse, -1).T
        diagonal = np.asarray(basis.multiply((basis.T @ inverse).T).sum(axis=0)).ravel()
    return [int(j) for j in np.flatnonzero(diagonal > 1 - 1e-6)]
