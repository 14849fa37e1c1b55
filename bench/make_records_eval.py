"""People records for the ``syncd dupes --columns`` evaluation (see ``bench/make_dupes_eval.py``).

A contact list merged from several systems: the same person typed again with a nickname or an
initial, "Last, First", a street type abbreviated, the phone in another format, the e-mail in capitals,
a date of birth written another way, fields left empty. Hard negatives are the people a contact list
really holds side by side: family members at one address and phone, namesakes in other cities,
neighbours on the same street, a father and son with the same name and address.
"""

from __future__ import annotations

import datetime as dt
import random

from bench.retyping import strip_accents, typo

FIRST = ["John", "Robert", "William", "Elizabeth", "Katherine", "Michael", "James", "Jennifer", "Margaret",
         "Richard", "Thomas", "Christopher", "Daniel", "Joseph", "Susan", "Patricia", "Anthony", "Alexander",
         "Nicholas", "Jonathan", "Samuel", "Andrew", "Catherine", "María", "José", "Zoë", "Chloé", "Søren",
         "Anna", "Laura", "David", "Sarah", "Emily", "Olivia", "Lucas", "Noah", "Mei", "Hiroshi", "Fatima"]
NICKNAMES = {"Robert": ["Bob", "Rob", "Bobby"], "William": ["Bill", "Will", "Billy"], "Elizabeth": ["Liz", "Beth"],
             "Katherine": ["Kate", "Katie", "Kathy"], "Michael": ["Mike"], "James": ["Jim", "Jimmy"],
             "Jennifer": ["Jen", "Jenny"], "Margaret": ["Maggie", "Peggy"], "Richard": ["Rick", "Dick"],
             "Thomas": ["Tom"], "Christopher": ["Chris"], "Daniel": ["Dan", "Danny"], "Joseph": ["Joe"],
             "Susan": ["Sue"], "Patricia": ["Pat", "Trish"], "Anthony": ["Tony"], "Alexander": ["Alex"],
             "Nicholas": ["Nick"], "Jonathan": ["Jon"], "Samuel": ["Sam"], "Andrew": ["Andy", "Drew"],
             "Catherine": ["Cathy", "Kate"], "David": ["Dave"], "Sarah": ["Sally"]}
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
        "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee",
        "Müller", "Schröder", "Nguyễn", "O'Brien", "Kowalski", "Dubois", "Rossi", "Tanaka", "Novák", "Fernández",
        "Okafor", "Haddad", "Svensson", "Byrne", "Walsh", "Kim", "Patel", "Cohen", "Silva", "Ivanova"]
STREETS = ["Main", "Oak", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park", "Pine", "Sunset",
           "Highland", "River", "Church", "Mill", "Spring", "Lincoln", "Jackson", "Franklin", "Chestnut"]
STREET_TYPES = {"Street": ["St", "St."], "Avenue": ["Ave", "Ave.", "Av"], "Road": ["Rd", "Rd."],
                "Boulevard": ["Blvd", "Blvd."], "Drive": ["Dr", "Dr."], "Lane": ["Ln"], "Court": ["Ct"],
                "Place": ["Pl"]}
CITIES = ["Springfield", "Riverside", "Fairview", "Madison", "Georgetown", "Salem", "Franklin", "Clinton",
          "Greenville", "Bristol", "Dover", "Oxford", "Ashland", "Burlington", "Manchester", "Milton"]
DOMAINS = ["example.com", "mail.example.org", "corp.example.net", "post.example"]


class Person:
    def __init__(self, rng: random.Random, last: str | None = None, home: "Person | None" = None) -> None:
        self.first = rng.choice(FIRST)
        self.middle = rng.choice("ABCDEFGHJKLMNPRSTW") if rng.random() < 0.3 else ""
        self.last = last or rng.choice(LAST)
        if home is not None:
            self.number, self.street, self.kind, self.city, self.phone = (home.number, home.street, home.kind,
                                                                           home.city, home.phone)
        else:
            self.number = rng.randint(1, 2400)
            self.street, self.kind = rng.choice(STREETS), rng.choice(list(STREET_TYPES))
            self.city = rng.choice(CITIES)
            self.phone = f"{rng.randint(201, 989)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
        self.unit = f"Apt {rng.randint(1, 40)}" if rng.random() < 0.2 else ""
        self.born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(365 * 62))
        self.new_email(rng)

    def new_email(self, rng: random.Random) -> None:
        local = strip_accents(f"{self.first}.{self.last}").lower().replace("'", "")
        self.email = f"{local}{rng.randint(1, 99) if rng.random() < 0.3 else ''}@{rng.choice(DOMAINS)}"


def _name(rng: random.Random, p: Person, retyped: bool) -> str:
    first, last, middle = p.first, p.last, p.middle
    if retyped:
        r = rng.random()
        if r < 0.25 and first in NICKNAMES:
            first = rng.choice(NICKNAMES[first])
        elif r < 0.4:
            first = first[0] + "."
        elif r < 0.5:
            middle = "" if middle else rng.choice("ABCDEFGHJKLMNPRSTW")
        if rng.random() < 0.2:
            first, last = strip_accents(first), strip_accents(last)
    full = f"{first} {middle + '. ' if middle else ''}{last}"
    if retyped and rng.random() < 0.25:
        full = f"{last}, {first}"
    if retyped and rng.random() < 0.2:
        full = typo(rng, full)
    if retyped and rng.random() < 0.1:
        full = full.upper()
    return full


def _address(rng: random.Random, p: Person, retyped: bool) -> str:
    kind = p.kind
    if retyped and rng.random() < 0.5:
        kind = rng.choice(STREET_TYPES[kind])
    elif not retyped and rng.random() < 0.3:
        kind = STREET_TYPES[kind][0]
    text = f"{p.number} {p.street} {kind}"
    if p.unit and (not retyped or rng.random() < 0.7):
        text += rng.choice([f", {p.unit}", f" {p.unit.replace('Apt ', '#')}", f" {p.unit}"]) if retyped else f", {p.unit}"
    if retyped and rng.random() < 0.15:
        text = typo(rng, text)
    return text


def _phone(rng: random.Random, digits: str, retyped: bool) -> str:
    if retyped and rng.random() < 0.05:
        i = rng.randrange(3, 10)
        digits = digits[:i] + str((int(digits[i]) + 1) % 10) + digits[i + 1:]
    a, b, c = digits[:3], digits[3:6], digits[6:]
    return rng.choice([f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"{a}.{b}.{c}", f"+1 {a} {b} {c}", digits]) if retyped \
        else f"({a}) {b}-{c}"


def _born(rng: random.Random, d: dt.date, retyped: bool) -> str:
    if not retyped:
        return d.isoformat()
    if rng.random() < 0.04 and d.day <= 12:
        d = dt.date(d.year, d.day, d.month)
    return rng.choice([d.isoformat(), f"{d.month}/{d.day}/{d.year}", f"{d:%B} {d.day}, {d.year}", d.isoformat()])


def record(rng: random.Random, p: Person, retyped: bool) -> dict[str, str]:
    def maybe(value: str, keep: float) -> str:
        return value if not retyped or rng.random() < keep else ""

    email = p.email.upper() if retyped and rng.random() < 0.15 else p.email
    return {
        "Name": _name(rng, p, retyped),
        "Address": maybe(_address(rng, p, retyped), 0.85),
        "City": maybe(p.city, 0.85),
        "Phone": maybe(_phone(rng, p.phone, retyped), 0.75),
        "Email": maybe(email, 0.6),
        "Born": maybe(_born(rng, p.born, retyped), 0.7),
    }


def record_rows(seed: int, people: int) -> list[dict]:
    rng = random.Random(seed)
    persons: list[Person] = []
    while len(persons) < people:
        p = Person(rng)
        persons.append(p)
        r = rng.random()
        if r < 0.15:  # family member: same surname, address and phone
            persons.append(Person(rng, last=p.last, home=p))
        elif r < 0.22:  # father and son: same name, same home
            son = Person(rng, last=p.last, home=p)
            son.first, son.middle = p.first, p.middle
            son.new_email(rng)
            persons.append(son)
        elif r < 0.32:  # a namesake elsewhere
            other = Person(rng, last=p.last)
            other.first = p.first
            other.new_email(rng)
            persons.append(other)
        elif r < 0.4:  # a neighbour on the same street
            n = Person(rng)
            n.street, n.kind, n.city = p.street, p.kind, p.city
            n.number = p.number + rng.choice([2, 4, -2, 10])
            persons.append(n)
    rows = []
    for n, p in enumerate(persons, 1):
        rows.append({**record(rng, p, False), "Entity": f"P{n}"})
        if rng.random() < 0.35:
            for _ in range(rng.choice([1, 1, 2])):
                rows.append({**record(rng, p, True), "Entity": f"P{n}"})
    rng.shuffle(rows)
    return rows
