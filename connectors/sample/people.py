"""The sample organisation's people: who they are, where they work and how they use Autodesk.

Everything is held column-wise in numpy arrays (one row per person, one column per product slot)
so that the month-by-month session generator can work vectorised at 20,000 people.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

import numpy as np

from . import catalogue as cat

OPEN = 10_000_000  # an epoch day far in the future: "no end" / "never"
SLOTS = 3  # products a person uses: primary, secondary, tertiary

# Personas (how a person uses Autodesk software)
(
    NONE,
    FLEX_HEAVY,
    FLEX_REGULAR,
    FLEX_OCCASIONAL,
    NAMED_DAILY,
    NAMED_IDLE,
    COLLECTION,
    DUPLICATE,
    TRIAL,
) = range(9)
PERSONA_NAMES: tuple[str, ...] = (
    "none",
    "flex_heavy",
    "flex_regular",
    "flex_occasional",
    "named_daily",
    "named_idle",
    "collection",
    "flex_and_named",
    "trial",
)
WORKDAY_PERSONAS = (FLEX_HEAVY, FLEX_REGULAR, NAMED_DAILY, NAMED_IDLE, COLLECTION, DUPLICATE, TRIAL)

# Coverage kinds of a product slot (F6/F6a)
COV_NONE, COV_NAMED, COV_TRIAL, COV_COLLECTION = range(4)

DEPARTMENTS: tuple[str, ...] = (
    "Architecture",
    "Structures",
    "Civil",
    "MEP",
    "Visualisation",
    "Mechanical",
    "Admin",
)
ARCHITECTURE, STRUCTURES, CIVIL, MEP, VISUALISATION, MECHANICAL, ADMIN = range(7)
_DEPT_WEIGHTS = (0.24, 0.14, 0.16, 0.14, 0.07, 0.10, 0.15)

COUNTRIES: tuple[str, ...] = ("GB", "IE", "DE", "FR")
_COUNTRY_WEIGHTS = (0.60, 0.12, 0.15, 0.13)
# office name, host prefix, country index
OFFICES: tuple[tuple[str, str, int], ...] = (
    ("London", "LON", 0),
    ("Manchester", "MAN", 0),
    ("Bristol", "BRS", 0),
    ("Dublin", "DUB", 1),
    ("Munich", "MUC", 2),
    ("Berlin", "BER", 2),
    ("Paris", "PAR", 3),
    ("Lyon", "LYS", 3),
)
_OFFICE_WEIGHTS_BY_COUNTRY = {0: (0.6, 0.25, 0.15), 1: (1.0,), 2: (0.6, 0.4), 3: (0.7, 0.3)}
HOT_DESKS_PER_OFFICE = 4

DOMAIN = "ACME"
EMAIL_DOMAIN = "acme.example"
CONTRACTOR_DOMAIN = "partner.example"
TEAM = "ACME Engineering"

_TITLES: dict[int, tuple[str, ...]] = {
    ARCHITECTURE: ("Architect", "Senior Architect", "Architectural Technologist", "Designer"),
    STRUCTURES: ("Structural Engineer", "Senior Structural Engineer", "Graduate Engineer"),
    CIVIL: ("Civil Engineer", "Senior Civil Engineer", "Highways Designer", "Graduate Engineer"),
    MEP: ("Mechanical Engineer", "Electrical Engineer", "Building Services Engineer"),
    VISUALISATION: ("3D Visualiser", "Senior Visualiser", "Animator"),
    MECHANICAL: ("Design Engineer", "Product Designer", "CAD Technician"),
    ADMIN: ("Office Manager", "Finance Analyst", "IT Technician", "HR Advisor", "Receptionist"),
}

# (primary, secondary, tertiary choices) per department; Mechanical differs for Flex users
_DEPT_PRODUCTS: dict[int, tuple[int, int, tuple[int, ...]]] = {
    ARCHITECTURE: (cat.REVIT, cat.AUTOCAD, (cat.NAVISWORKS, cat.MAX3DS)),
    STRUCTURES: (cat.REVIT, cat.AUTOCAD, (cat.NAVISWORKS,)),
    CIVIL: (cat.CIVIL3D, cat.AUTOCAD, (cat.INFRAWORKS, cat.NAVISWORKS)),
    MEP: (cat.REVIT, cat.AUTOCAD, (cat.NAVISWORKS,)),
    VISUALISATION: (cat.MAX3DS, cat.MAYA, (cat.REVIT,)),
    MECHANICAL: (cat.INVENTOR, cat.AUTOCAD, (cat.FUSION,)),
    ADMIN: (cat.AUTOCAD, -1, (-1,)),
}
_MECHANICAL_FLEX = (cat.FUSION, cat.AUTOCAD, (cat.INVENTOR,))
_TRIAL_PRODUCT = {
    ARCHITECTURE: cat.NAVISWORKS,
    STRUCTURES: cat.NAVISWORKS,
    CIVIL: cat.NAVISWORKS,
    MEP: cat.NAVISWORKS,
    VISUALISATION: cat.REVIT,
    MECHANICAL: cat.NAVISWORKS,
    ADMIN: cat.REVIT,
}

# Probability of use on a working day per slot, by persona
_USE_P: dict[int, tuple[float, float, float]] = {
    NONE: (0.0, 0.0, 0.0),
    FLEX_HEAVY: (0.85, 0.25, 0.06),
    FLEX_REGULAR: (0.42, 0.12, 0.03),
    FLEX_OCCASIONAL: (0.10, 0.04, 0.01),
    NAMED_DAILY: (0.90, 0.30, 0.08),
    NAMED_IDLE: (0.50, 0.0, 0.0),
    COLLECTION: (0.80, 0.40, 0.20),
    DUPLICATE: (0.70, 0.20, 0.05),
    TRIAL: (0.42, 0.10, 0.60),
}
_PERSONA_MIX_CAD = (0.04, 0.10, 0.14, 0.20, 0.28, 0.08, 0.07, 0.06, 0.03)
_PERSONA_MIX_ADMIN = (0.70, 0.0, 0.05, 0.25, 0.0, 0.0, 0.0, 0.0, 0.0)
_PERSONA_MIX_CONTRACTOR = (0.0, 0.3, 0.4, 0.3, 0.0, 0.0, 0.0, 0.0, 0.0)

_FIRST_NAMES_TEXT = (
    "James Oliver Jack Harry George Noah Charlie Jacob Thomas Oscar William Henry Leo Alfie "
    "Joshua Freddie Archie Ethan Isaac Alexander Daniel Samuel Lucas Adam Max Sean Liam Conor "
    "Cian Niamh Aoife Siobhán Seán Ciarán Olivia Amelia Isla Ava Emily Sophia Grace Lily Freya "
    "Ella Mia Evie Chloé Sophie Ruby Poppy Isabella Jessica Alice Hannah Zoë Matilda Lucy Anna "
    "Sarah Emma Laura Rachel Claire Helen Katie Priya Aisha Fatima Mohammed Omar Yusuf Arjun "
    "Ravi Wei Mei Hiroshi Yuki Lukas Jonas Felix Leon Paul Maximilian Julia Lena Marie Katharina "
    "Jürgen Björn Hélène Louis Hugo Jules Gabriel Raphaël Arthur Camille Léa Manon Inès Chloe "
    "François Noémie Renée Sam Jo Alex Kim Chris Pat Robin Jamie"
)
_SURNAMES_TEXT = (
    "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson "
    "Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson "
    "Wood Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan Allen "
    "James Scott Phillips Watson Davis Parker Price Bennett Young Griffiths Mitchell Kelly Cook "
    "Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan Marshall Anderson "
    "Simpson Ellis Adams Singh Begum Wilkinson Foster Chapman Powell Webb Rogers Gray Mason Ali "
    "Hunt Hussain Campbell Matthews Owen Palmer Holmes Mills Barnes Knight Lloyd Butler Russell "
    "Barker Fisher Stevens Jenkins O'Brien O'Connor O'Sullivan Byrne Ryan Walsh Doyle McCarthy "
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch "
    "Bauer Richter Klein Wolf Schröder Neumann Martin Bernard Dubois Thomas Robert Richard Petit "
    "Durand Leroy Moreau Simon Laurent Lefèvre Michel Garcia David Bertrand Roux Vincent Fournier "
    "Morel Girard André Lefebvre Mercier Dupont Lambert Bonnet François Martinez Nowak Kowalski"
)
_FIRST_NAMES: tuple[str, ...] = tuple(_FIRST_NAMES_TEXT.split())
_SURNAMES: tuple[str, ...] = tuple(_SURNAMES_TEXT.split())


def ascii_fold(text: str) -> str:
    """ASCII letters and digits of a name, lower case ('Müller' -> 'muller')."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in folded.lower() if ch.isalnum())


@dataclass
class Population:
    """Everyone the sample knows: staff (rows ``0 .. n_staff-1``) then contractors."""

    n: int
    n_staff: int
    window_start: int  # epoch day of the first day of data
    end: int  # epoch day of the last day of data
    given: list[str]
    surname: list[str]
    display: list[str]
    sam: list[str]
    email: list[str]
    autodesk_email: list[str]
    hashed_id: list[str]
    dept: np.ndarray
    office: np.ndarray
    country: np.ndarray
    title: list[str]
    manager: np.ndarray  # person index or -1
    created_s: np.ndarray  # whenCreated (local wall clock, epoch seconds)
    start_day: np.ndarray  # first working day (initial staff: before the window)
    leave_day: np.ndarray  # first day gone (OPEN = stays)
    disabled_on_leave: np.ndarray
    expiry_day: np.ndarray  # AccountExpirationDate (OPEN = none)
    expiry_known_from: np.ndarray  # first day the expiry date shows in the directory
    delete_day: np.ndarray  # first snapshot day without the account (OPEN = kept)
    contractor: np.ndarray
    persona: np.ndarray
    prod: np.ndarray  # (n, SLOTS) product index, -1 = no product
    p_use: np.ndarray  # (n, SLOTS) probability of use on a working day
    use_from: np.ndarray  # (n, SLOTS) first day of possible use
    use_to: np.ndarray  # (n, SLOTS) first day without use
    cov_kind: np.ndarray  # (n, SLOTS) COV_*
    cov_from: np.ndarray  # (n, SLOTS) assignment date covering the slot (OPEN = none)
    cov_to: np.ndarray  # (n, SLOTS) unassigned date (OPEN = open-ended)
    collection: np.ndarray  # collection index or -1
    single_user_spelling: np.ndarray  # Access option "Single user" instead of "Named user"
    flex_from: np.ndarray  # Flex access assigned (OPEN = none)
    flex_to: np.ndarray  # Flex access unassigned (OPEN = open-ended)
    pre_last_use: np.ndarray  # (n, SLOTS) last use before the window (-1 = none known)
    p2025: np.ndarray  # share of sessions on the 2025 version
    cet: np.ndarray  # works on Central European Time (DE, FR)
    desktop: np.ndarray  # host index
    second_host: np.ndarray  # host index (laptop or hot desk)
    host_names: list[str]
    host_login_style: np.ndarray  # 0 DOMAIN\sam, 1 sam, 2 UPN
    host_offset_style: np.ndarray  # 0 naive local, 1 London offset, 2 CET offset
    host_blank_method: np.ndarray  # agent too old to report licence_method
    logins: np.ndarray  # (3n,) str: person*3 + login style

    @property
    def has_flex(self) -> np.ndarray:
        return self.flex_from < OPEN

    @property
    def is_starter(self) -> np.ndarray:
        return (self.start_day >= self.window_start) & ~self.contractor

    @property
    def is_leaver(self) -> np.ndarray:
        return self.leave_day < OPEN


def _unique_names(base: list[str], limit: int | None = None) -> list[str]:
    """Make names unique in order: the second 'jsmith' becomes 'jsmith2' (cut to `limit`)."""
    used: set[str] = set()
    next_k: dict[str, int] = {}
    out = []
    for b in base:
        b = b[:limit] if limit else b
        name, k = b, next_k.get(b, 1)
        while name in used:
            k += 1
            suffix = str(k)
            name = (b[: limit - len(suffix)] if limit else b) + suffix
        next_k[b] = k
        used.add(name)
        out.append(name)
    return out


def build_population(people: int, window_start: int, end: int, seed: int) -> Population:
    """Draw the organisation (deterministic in its arguments)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    span = end - window_start + 1
    years = span / 365.0
    n_starters = round(people * 0.08 * years)
    n_leavers = round(people * 0.07 * years)
    if people >= 10 and span >= 28:
        n_starters, n_leavers = max(n_starters, 2), max(n_leavers, 2)
    n_starters = min(n_starters, people // 4)
    n_leavers = min(n_leavers, (people - n_starters) // 4)
    n_contractors = max(2, round(people * 0.015))
    n_staff = people
    n = n_staff + n_contractors
    contractor = np.arange(n) >= n_staff

    # --- who and where
    dept = rng.choice(len(DEPARTMENTS), size=n, p=_DEPT_WEIGHTS)
    dept[contractor] = rng.choice([ARCHITECTURE, STRUCTURES, CIVIL, MEP], size=n_contractors)
    country = rng.choice(len(COUNTRIES), size=n, p=_COUNTRY_WEIGHTS)
    country[contractor] = 0
    office = np.zeros(n, dtype=np.int64)
    office_rand = rng.random(n)
    for c, weights in _OFFICE_WEIGHTS_BY_COUNTRY.items():
        idx = [i for i, o in enumerate(OFFICES) if o[2] == c]
        edges = np.cumsum(weights)
        pick = np.searchsorted(edges, office_rand, side="right").clip(0, len(idx) - 1)
        office = np.where(country == c, np.array(idx)[pick], office)
    cet = np.isin(country, [2, 3])

    first_i = rng.integers(0, len(_FIRST_NAMES), size=n)
    last_i = rng.integers(0, len(_SURNAMES), size=n)
    given = [_FIRST_NAMES[i] for i in first_i]
    surname = [_SURNAMES[i] for i in last_i]
    display_base = [f"{g} {s}" for g, s in zip(given, surname, strict=True)]
    display = display_base
    local_parts = _unique_names(
        [f"{ascii_fold(g)}.{ascii_fold(s)}" for g, s in zip(given, surname, strict=True)]
    )
    sam_base = [
        (("ext." if contractor[i] else "") + ascii_fold(given[i])[:1] + ascii_fold(surname[i]))
        for i in range(n)
    ]
    sam = _unique_names(sam_base, limit=20)
    email = [
        f"{lp}@{CONTRACTOR_DOMAIN if contractor[i] else EMAIL_DOMAIN}"
        for i, lp in enumerate(local_parts)
    ]
    capitalised = rng.random(n) < 0.03
    autodesk_email = [
        (
            ".".join(part[:1].upper() + part[1:] for part in e.split("@")[0].split("."))
            + "@"
            + e.split("@")[1]
            if capitalised[i]
            else e
        )
        for i, e in enumerate(email)
    ]
    hashed_id = [hashlib.blake2b(f"{seed}|{e}".encode(), digest_size=16).hexdigest() for e in email]

    # --- joiners and leavers
    staff_idx = np.arange(n_staff)
    starters = staff_idx[n_staff - n_starters :] if n_starters else staff_idx[:0]
    start_day = window_start - rng.integers(20, 3000, size=n)
    lo = window_start + max(1, span // 4)
    hi = max(lo + 1, end - 5)
    start_day[starters] = rng.integers(lo, hi, size=len(starters))
    created_day = start_day - rng.integers(1, 11, size=n)
    created_s = created_day * 86400 + rng.integers(8 * 3600, 17 * 3600, size=n)

    # --- personas
    persona = np.zeros(n, dtype=np.int64)
    mix_draw = rng.random(n)
    for mask, mix in (
        ((dept != ADMIN) & ~contractor, _PERSONA_MIX_CAD),
        ((dept == ADMIN) & ~contractor, _PERSONA_MIX_ADMIN),
        (contractor, _PERSONA_MIX_CONTRACTOR),
    ):
        edges = np.cumsum(mix)
        edges[-1] = 1.0
        persona = np.where(mask, np.searchsorted(edges, mix_draw, side="right"), persona)
    # Make sure the demo has every behaviour at least once (small organisations).
    cad_staff = np.flatnonzero((dept != ADMIN) & ~contractor & (start_day < window_start))
    for k, wanted in enumerate(
        (FLEX_HEAVY, FLEX_OCCASIONAL, NAMED_IDLE, COLLECTION, DUPLICATE, TRIAL)
    ):
        if not (persona[cad_staff] == wanted).any() and k < len(cad_staff):
            persona[cad_staff[k]] = wanted

    # leavers: initial staff, people using Autodesk more likely
    initial = np.flatnonzero(~contractor & (start_day < window_start))
    weights = np.where(persona[initial] == NONE, 1.0, 3.0)
    leavers = rng.choice(initial, size=n_leavers, replace=False, p=weights / weights.sum())
    leavers.sort()
    leave_day = np.full(n, OPEN, dtype=np.int64)
    leave_lo = window_start + min(10, span // 3)
    leave_hi = max(leave_lo + 1, end - 3)
    leave_day[leavers] = rng.integers(leave_lo, leave_hi, size=len(leavers))
    disabled_on_leave = rng.random(n) < 0.85
    expiry_set = (rng.random(n) < 0.5) | ~disabled_on_leave
    expiry_day = np.where(expiry_set & (leave_day < OPEN), leave_day, OPEN)
    expiry_known_from = np.where(expiry_day < OPEN, leave_day - rng.integers(3, 30, size=n), OPEN)
    deleted = rng.random(n) < 0.45
    delete_day = np.where(
        deleted & disabled_on_leave & (leave_day < OPEN),
        leave_day + rng.integers(14, 60, size=n),
        OPEN,
    )

    # --- titles and managers
    title = [_TITLES[int(d)][int(rng.integers(0, len(_TITLES[int(d)])))] for d in dept]
    manager = np.full(n, -1, dtype=np.int64)
    admin_initial = [i for i in initial if dept[i] == ADMIN]
    md = admin_initial[0] if admin_initial else int(initial[0])
    title[md] = "Managing Director"
    for d, dname in enumerate(DEPARTMENTS):
        members = [int(i) for i in initial if dept[i] == d and i != md]
        if not members:
            continue
        head, rest = members[0], members[1:]
        title[head] = f"Head of {dname}"
        manager[head] = md
        n_leads = max(1, len(rest) // 12)
        leads = rest[:n_leads]
        for lead in leads:
            title[lead] = f"{dname} Team Lead" if d != ADMIN else "Operations Lead"
            manager[lead] = head
        not_managed = {head, md, *leads}
        for i in np.flatnonzero((dept == d) & ~contractor).tolist():
            if i not in not_managed:
                manager[i] = leads[int(rng.integers(0, len(leads)))] if leads else head

    # --- products, access and use
    prod = np.full((n, SLOTS), -1, dtype=np.int64)
    p_use = np.zeros((n, SLOTS))
    cov_kind = np.zeros((n, SLOTS), dtype=np.int64)
    cov_from = np.full((n, SLOTS), OPEN, dtype=np.int64)
    cov_to = np.full((n, SLOTS), OPEN, dtype=np.int64)
    use_to = np.full((n, SLOTS), OPEN, dtype=np.int64)
    pre_last_use = np.full((n, SLOTS), -1, dtype=np.int64)
    collection = np.full(n, -1, dtype=np.int64)
    flex_from = np.full(n, OPEN, dtype=np.int64)
    flex_to = np.full(n, OPEN, dtype=np.int64)
    access_day = np.where(
        start_day < window_start,
        window_start - rng.integers(15, 900, size=n),
        start_day + rng.integers(0, 6, size=n),
    )
    jitter = rng.uniform(0.75, 1.15, size=(n, SLOTS))
    tert_pick = rng.integers(0, 2, size=n)
    coin = rng.random((n, 4))
    trial_start = window_start + rng.integers(0, max(1, span - 30), size=n)
    dup_mid = window_start + (span * rng.uniform(0.25, 0.75, size=n)).astype(np.int64)
    idle_stop = end - rng.integers(95, 200, size=n)
    for i in range(n):
        pe = int(persona[i])
        if pe == NONE:
            continue
        d = int(dept[i])
        flexy = pe in (FLEX_HEAVY, FLEX_REGULAR, FLEX_OCCASIONAL)
        if pe == COLLECTION:
            coll = {MECHANICAL: cat.PDM, VISUALISATION: cat.MNE}.get(d, cat.AEC)
            collection[i] = coll
            slots = {
                cat.AEC: (cat.REVIT, cat.AUTOCAD, cat.NAVISWORKS),
                cat.PDM: (cat.INVENTOR, cat.AUTOCAD, cat.FUSION),
                cat.MNE: (cat.MAX3DS, cat.MAYA, -1),
            }[coll]
        else:
            primary, secondary, tertiaries = (
                _MECHANICAL_FLEX
                if (d == MECHANICAL and (flexy or pe == TRIAL))
                else _DEPT_PRODUCTS[d]
            )
            tertiary = tertiaries[int(tert_pick[i]) % len(tertiaries)]
            if pe == TRIAL:
                tertiary = (
                    _TRIAL_PRODUCT[d] if _TRIAL_PRODUCT[d] not in (primary, secondary) else -1
                )
            slots = (primary, secondary, tertiary)
        probs = _USE_P[pe]
        for s in range(SLOTS):
            if slots[s] >= 0:
                prod[i, s] = slots[s]
                p_use[i, s] = min(0.97, probs[s] * jitter[i, s])
        acc = int(access_day[i])
        if flexy:
            flex_from[i] = acc
        elif pe == NAMED_DAILY:
            cov_kind[i, :2], cov_from[i, :2] = COV_NAMED, acc
            if coin[i, 0] < 0.5:
                cov_kind[i, 2], cov_from[i, 2] = COV_NAMED, acc
            else:
                flex_from[i] = acc
        elif pe == NAMED_IDLE:
            cov_kind[i, 0], cov_from[i, 0] = COV_NAMED, acc
            p_use[i, 1:] = 0.0
            if coin[i, 1] < 0.4 or start_day[i] >= window_start:
                p_use[i, 0] = 0.0  # never used
            else:
                use_to[i, 0] = idle_stop[i]
                if idle_stop[i] <= window_start:
                    pre_last_use[i, 0] = max(acc, int(idle_stop[i]) - 1 - int(coin[i, 2] * 6))
        elif pe == COLLECTION:
            cov_kind[i, :], cov_from[i, :] = COV_COLLECTION, acc
        elif pe == DUPLICATE:
            flex_from[i] = acc
            cov_kind[i, 0] = COV_NAMED
            cov_from[i, 0] = acc if coin[i, 0] < 0.5 else max(acc, int(dup_mid[i]))
        elif pe == TRIAL:
            flex_from[i] = acc
            if prod[i, 2] >= 0:
                t0 = max(int(trial_start[i]), acc)
                cov_kind[i, 2], cov_from[i, 2], cov_to[i, 2] = COV_TRIAL, t0, t0 + 30
                use_to[i, 2] = t0 + 30
        if leave_day[i] < OPEN and coin[i, 3] < 0.3:
            # a leaver whose access was cleaned up a few days after leaving
            off = int(leave_day[i]) + int(coin[i, 2] * 10)
            flex_to[i] = off if flex_from[i] < OPEN else OPEN
            cov_to[i] = np.where(cov_from[i] < OPEN, np.minimum(cov_to[i], off), cov_to[i])
    cov_kind[cov_from >= OPEN] = COV_NONE
    cov_kind[(prod < 0) & (cov_kind != COV_COLLECTION)] = COV_NONE
    # a slot can only be used while some access covers it
    slot_access = np.minimum(cov_from, np.where(cov_kind == COV_TRIAL, OPEN, flex_from[:, None]))
    slot_access = np.where(cov_kind == COV_TRIAL, cov_from, slot_access)
    use_from = np.maximum(slot_access, start_day[:, None])
    use_to = np.minimum(use_to, leave_day[:, None])
    p_use[(prod < 0) | (slot_access >= OPEN)] = 0.0
    single_user_spelling = rng.random(n) < 0.25
    p2025 = rng.uniform(0.2, 1.0, size=n)

    # --- hosts
    host_names: list[str] = []
    host_office: list[int] = []
    counters: dict[str, int] = {}

    def new_host(prefix: str, kind: str, office_idx: int) -> int:
        key = f"{prefix}-{kind}"
        counters[key] = counters.get(key, 0) + 1
        host_names.append(f"{prefix}-{kind}-{counters[key]:04d}")
        host_office.append(office_idx)
        return len(host_names) - 1

    desktop = np.zeros(n, dtype=np.int64)
    second_host = np.zeros(n, dtype=np.int64)
    hot_desks = {
        o: [new_host(OFFICES[o][1], "HD", o) for _ in range(HOT_DESKS_PER_OFFICE)]
        for o in range(len(OFFICES))
    }
    has_laptop = rng.random(n) < 0.3
    hot_pick = rng.integers(0, HOT_DESKS_PER_OFFICE, size=n)
    for i in range(n):
        o = int(office[i])
        prefix = "EXT" if contractor[i] else OFFICES[o][1]
        desktop[i] = new_host(prefix, "WS", o)
    for i in range(n):
        o = int(office[i])
        if has_laptop[i] or contractor[i]:
            second_host[i] = new_host("EXT" if contractor[i] else OFFICES[o][1], "LT", o)
        else:
            second_host[i] = hot_desks[o][int(hot_pick[i])]
    n_hosts = len(host_names)
    style_draw = rng.random(n_hosts)
    host_login_style = np.where(style_draw < 0.82, 0, np.where(style_draw < 0.94, 1, 2))
    host_login_style[desktop[contractor]] = 0
    host_login_style[second_host[contractor]] = 1
    explicit = rng.random(n_hosts) < 0.03
    host_cet = np.isin(np.array(host_office), [i for i, o in enumerate(OFFICES) if o[2] in (2, 3)])
    host_offset_style = np.where(explicit, np.where(host_cet, 2, 1), 0)
    host_blank_method = rng.random(n_hosts) < 0.07

    logins = np.empty(3 * n, dtype=object)
    for i in range(n):
        logins[3 * i] = f"{DOMAIN}\\{sam[i]}"
        logins[3 * i + 1] = sam[i]
        logins[3 * i + 2] = email[i] if not contractor[i] else f"{DOMAIN}\\{sam[i]}"
    logins_arr = np.array(logins.tolist(), dtype=str)

    return Population(
        n=n,
        n_staff=n_staff,
        window_start=window_start,
        end=end,
        given=given,
        surname=surname,
        display=display,
        sam=sam,
        email=email,
        autodesk_email=autodesk_email,
        hashed_id=hashed_id,
        dept=dept,
        office=office,
        country=country,
        title=title,
        manager=manager,
        created_s=created_s,
        start_day=start_day,
        leave_day=leave_day,
        disabled_on_leave=disabled_on_leave,
        expiry_day=expiry_day,
        expiry_known_from=expiry_known_from,
        delete_day=delete_day,
        contractor=contractor,
        persona=persona,
        prod=prod,
        p_use=p_use,
        use_from=use_from,
        use_to=use_to,
        cov_kind=cov_kind,
        cov_from=cov_from,
        cov_to=cov_to,
        collection=collection,
        single_user_spelling=single_user_spelling,
        flex_from=flex_from,
        flex_to=flex_to,
        pre_last_use=pre_last_use,
        p2025=p2025,
        cet=cet,
        desktop=desktop,
        second_host=second_host,
        host_names=host_names,
        host_login_style=host_login_style,
        host_offset_style=host_offset_style,
        host_blank_method=host_blank_method,
        logins=logins_arr,
    )
