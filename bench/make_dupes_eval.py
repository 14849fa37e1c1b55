"""Generate the labelled evaluation sets for duplicate detection (deterministic, seeded).

``python -m bench.make_dupes_eval`` writes ``bench/data/dupes_eval.csv`` (a marketing team's task
tracker) and ``bench/data/records_eval.csv`` (people records, for ``syncd dupes --columns``). Each row
carries an ``Entity`` label: rows with the same label are the same task (or person), rows with
different labels are not. The benchmark drops that column before scoring.

The variations are written from how people retype a task in their own copy of a tracker — typos,
words moved around, their own abbreviations, qualifiers such as "(v2)" or "- draft", articles added or
dropped, accents lost, a verb swapped for a synonym — and the hard negatives from how a team's tasks
really differ: the next quarter's budget review, the next issue of a newsletter, the same banner for
another campaign or channel, "Banner v2" next to "Banner v3", the same person's two tasks. None of it
looks at how syncd scores, so the figures measure the scorer rather than the generator.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

from bench.retyping import edited, strip_accents

SEED = 20260601
DATA = Path(__file__).resolve().parent / "data"

CAMPAIGNS = [
    "Spring Sale", "Summer Launch", "Back to School", "Black Friday", "Cyber Monday", "Holiday Gift Guide",
    "Brand Refresh", "Partner Summit", "Customer Stories", "Loyalty Program", "Earth Day", "Mother's Day",
    "Valentine's Day", "Year in Review", "Employer Branding", "Recruiting Drive", "Community Meetup",
    "Café Opening", "Fête de la Musique", "Oktoberfest", "São Paulo Roadshow", "Zürich Office Launch",
    "App 2.0 Launch", "Product Hunt Launch", "Trade Show Berlin", "Webinar Series", "Free Trial Push",
    "Referral Program", "Pricing Update", "Winter Clearance", "東京 Launch", "Kraków Hackathon",
    "Nordic Expansion", "Green Week", "Developer Days", "Retail Partners", "Ramadan Offers", "Diwali Sale",
]
CHANNELS = ["Email", "Instagram", "LinkedIn", "Facebook", "TikTok", "YouTube", "Blog", "Website", "Print",
            "Podcast", "Events", "PR", "Paid Search", "Newsletter", "Twitter"]
OWNERS = ["Ann", "Bob", "Cleo", "Dev", "Eve", "Farid", "Grace", "Hiro", "Inès", "Jonas", "Kasia", "Lena",
          "Marco", "Nadia", "Omar", "Priya", "Quentin", "Rosa", "Sven", "Tomás"]
TOPICS = ["remote work", "pricing", "onboarding", "sustainability", "customer support", "AI features",
          "café culture", "data privacy", "team rituals", "product roadmap", "mobile app", "security",
          "hiring", "integrations", "analytics", "accessibility"]
PARTNERS = ["Acme Corp", "Müller GmbH", "Nguyễn Trading", "Globex", "Initech", "Ørsted", "Umbrella Ltd",
            "Stark Industries", "Wayne Enterprises", "Société Lumière", "Hooli", "Soylent"]
LANGUAGES = ["German", "French", "Spanish", "Italian", "Japanese", "Polish", "Portuguese", "Dutch"]
DOCS = ["brochure", "product sheet", "press kit", "FAQ page", "onboarding guide", "price list"]
SWAG = ["t-shirts", "tote bags", "stickers", "mugs", "badges", "roll-up banners"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
STATUSES = ["Not started", "In progress", "Blocked", "Done", "Waiting"]

#: (template, verbs that fit it, synonyms people use for those verbs). Slots: {verb} {period}
#: {campaign} {channel} {topic} {partner} {language} {doc} {swag} {n} {v}
TEMPLATES = [
    ("{verb} {period} newsletter", ["Draft", "Send", "Proofread", "Schedule"], {"Draft": "Write"}),
    ("{verb} {campaign} landing page", ["Design", "Build", "Update", "Review"], {"Design": "Create"}),
    ("{verb} {channel} ads for {campaign}", ["Create", "Launch", "Pause", "Review"], {"Create": "Make"}),
    ("{period} budget review", [""], {}),
    ("{verb} venue for {campaign}", ["Book", "Pay", "Visit"], {"Book": "Reserve"}),
    ("{verb} press release for {campaign}", ["Draft", "Approve", "Send out"], {"Draft": "Write"}),
    ("Blog post: {topic}", [""], {}),
    ("Newsletter #{n}", [""], {}),
    ("Record podcast episode {n} on {topic}", [""], {}),
    ("{campaign} kickoff meeting", [""], {}),
    ("Weekly status report - week {n}", [""], {}),
    ("{channel} banner v{v} for {campaign}", [""], {}),
    ("Translate {doc} into {language}", [""], {}),
    ("Order {swag} for {campaign}", [""], {}),
    ("Follow up with {partner} about {topic}", [""], {}),
    ("{period} social media calendar", [""], {}),
    ("{verb} product photos for {campaign}", ["Shoot", "Edit", "Select"], {"Shoot": "Take"}),
    ("Case study: {partner}", [""], {}),
    ("{verb} webinar on {topic}", ["Host", "Promote", "Record"], {"Host": "Run"}),
    ("Send invoice to {partner}", [""], {}),
    ("{period} report for the board", [""], {}),
    ("A/B test subject lines for {campaign} email", [""], {}),
    ("Set up tracking for {campaign}", [""], {}),
    ("Write {n} blog posts about {topic}", [""], {}),
    ("Brief agency on {campaign}", [""], {}),
    ("{verb} {period} customer survey", ["Send", "Analyse"], {"Analyse": "Analyze"}),
    ("Prepare booth for {campaign}", [""], {}),
    ("Renew {channel} ad account", [""], {}),
]

def _period(rng: random.Random) -> str:
    kind = rng.random()
    year = rng.choice([2025, 2026, 2027])
    if kind < 0.45:
        q = f"Q{rng.randint(1, 4)}"
        return f"{q} {year}" if rng.random() < 0.25 else q
    if kind < 0.8:
        month = rng.choice(MONTHS)
        return f"{month} {year}" if rng.random() < 0.3 else month
    if kind < 0.9:
        return f"H{rng.randint(1, 2)} {year}"
    return str(year)


#: For big trackers (timing runs): markets and client names multiply the campaigns and partners, as
#: an agency's tracker with hundreds of clients has them.
MARKETS = ["Berlin", "Paris", "Madrid", "Milan", "Warsaw", "Lisbon", "Vienna", "Dublin", "Oslo", "Prague",
           "Athens", "Lyon", "Munich", "Porto", "Seville", "Krakow", "Gdansk", "Bergen", "Graz", "Cork", "US",
           "UK", "DACH", "Nordics", "Benelux", "LATAM", "APAC", "Canada", "Mexico", "Brazil"]
_SYLLABLES = ["ka", "lo", "mi", "ra", "ven", "tor", "zu", "bel", "nor", "qui", "sa", "dex", "ly", "ma", "ron",
              "ti", "vo", "gra", "pen", "sol"]


def _client(rng: random.Random) -> str:
    name = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
    return f"{name} {rng.choice(['Ltd', 'GmbH', 'Inc', 'Group', 'Labs', 'Foods', 'Bank', 'Media'])}"


def _slots(rng: random.Random, wide: bool = False) -> dict[str, str]:
    campaign = rng.choice(CAMPAIGNS)
    partner = rng.choice(PARTNERS)
    extra = {}
    if wide:
        campaign = f"{campaign} {rng.choice(MARKETS)}"
        partner = _client(rng)
        extra["client"] = _client(rng)
    return {**extra,
        "period": _period(rng), "campaign": campaign, "channel": rng.choice(CHANNELS),
        "topic": rng.choice(TOPICS), "partner": partner, "language": rng.choice(LANGUAGES),
        "doc": rng.choice(DOCS), "swag": rng.choice(SWAG), "n": str(rng.randint(2, 400 if wide else 60)),
        "v": str(rng.randint(1, 4)),
    }


class Task:
    """One real task: a template filled in, plus the columns the team fills."""

    def __init__(self, rng: random.Random, template: int | None = None, slots: dict | None = None,
                 verb: str | None = None, wide: bool = False) -> None:
        self.template = rng.randrange(len(TEMPLATES)) if template is None else template
        text, verbs, _ = TEMPLATES[self.template]
        self.verb = verb if verb is not None else rng.choice(verbs)
        self.slots = dict(slots) if slots is not None else _slots(rng, wide)
        self.campaign = self.slots["campaign"] if "{campaign}" in text or rng.random() < 0.5 else ""
        self.channel = self.slots["channel"] if "{channel}" in text else rng.choice(CHANNELS + [""] * 4)
        self.owner = rng.choice(OWNERS)
        self.due = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(365))
        self.status = rng.choice(STATUSES)

    def title(self) -> str:
        text = TEMPLATES[self.template][0].replace("{verb}", self.verb).strip()
        if "client" in self.slots and "{campaign}" not in text and "{partner}" not in text:
            text += " - {client}"  # an agency's tracker says which client every task is for
        return " ".join(text.format(**self.slots).split())

    def uses(self, slot: str) -> bool:
        return "{" + slot + "}" in TEMPLATES[self.template][0]


def retype(rng: random.Random, task: Task) -> str:
    """A duplicate's title: the same task typed again by someone else (one to three edits)."""
    verb = task.verb
    synonyms = TEMPLATES[task.template][2]
    if verb in synonyms and rng.random() < 0.12:
        verb = synonyms[verb]
    title = edited(rng, Task.title(_Retitled(task, verb)))
    return " ".join(title.split()) if rng.random() < 0.9 else title


class _Retitled:
    def __init__(self, task: Task, verb: str) -> None:
        self.template, self.slots, self.verb = task.template, task.slots, verb


# ---- what makes two tasks different ----------------------------------------------------------------

def _other_period(rng: random.Random, period: str) -> str:
    parts = period.split()
    head = parts[0]
    if head.startswith("Q") and len(head) == 2:
        parts[0] = f"Q{rng.choice([q for q in range(1, 5) if q != int(head[1])])}"
    elif head.startswith("H") and len(head) == 2:
        parts[0] = "H2" if head == "H1" else "H1"
    elif head in MONTHS:
        parts[0] = rng.choice([m for m in MONTHS if m != head])
    elif head.isdigit():
        parts[0] = str(int(head) + rng.choice([-1, 1]))
    if len(parts) > 1 and rng.random() < 0.3:  # same quarter, another year
        parts = [head, str(int(parts[1]) + 1)]
    return " ".join(parts)


def sibling(rng: random.Random, task: Task) -> Task | None:
    """Another task that differs from ``task`` in the one thing that makes it another task."""
    changes = []
    if task.uses("period"):
        changes.append(("period", lambda s: _other_period(rng, s["period"])))
    for slot in ("n", "v", "campaign", "channel", "language", "partner", "topic", "doc", "swag"):
        if task.uses(slot):
            pool = {"n": None, "v": None, "campaign": CAMPAIGNS, "channel": CHANNELS, "language": LANGUAGES,
                    "partner": PARTNERS, "topic": TOPICS, "doc": DOCS, "swag": SWAG}[slot]
            if pool is None:
                changes.append((slot, lambda s, k=slot: str(int(s[k]) + rng.choice([1, 1, 2, -1]))))
            else:
                changes.append((slot, lambda s, k=slot, p=pool: rng.choice([x for x in p if x != s[k]])))
    verbs = TEMPLATES[task.template][1]
    if len(verbs) > 1:
        changes.append(("verb", None))
    if not changes:
        return None
    slot, change = rng.choice(changes)
    slots = dict(task.slots)
    verb = task.verb
    if slot == "verb":
        verb = rng.choice([v for v in verbs if v != task.verb])
    else:
        slots[slot] = change(slots)
    other = Task(rng, task.template, slots, verb)
    if rng.random() < 0.6:  # the next one of a series usually stays with the same people
        other.owner, other.campaign, other.channel = task.owner, task.campaign if slot != "campaign" else other.campaign, \
            task.channel if slot != "channel" else other.channel
    return other


def duplicate_row(rng: random.Random, task: Task) -> dict[str, str]:
    """The same task entered again in another copy: retyped title, the other columns as people fill them."""
    due = task.due
    r = rng.random()
    if r < 0.3:
        due = due + dt.timedelta(days=rng.choice([-7, -3, -1, 1, 2, 7]))
    elif r < 0.55:
        due = None
    return {
        "Task": retype(rng, task),
        "Campaign": task.campaign if rng.random() < 0.85 else "",
        "Channel": task.channel if rng.random() < 0.8 else "",
        "Owner": task.owner if rng.random() < 0.55 else rng.choice(OWNERS + [""] * 4),
        "Due": due.isoformat() if due else "",
        "Status": rng.choice(STATUSES),
    }


def row_of(task: Task) -> dict[str, str]:
    return {"Task": task.title(), "Campaign": task.campaign, "Channel": task.channel, "Owner": task.owner,
            "Due": task.due.isoformat(), "Status": task.status}


def tracker_rows(seed: int, entities: int, *, dup_share: float = 0.4, sibling_share: float = 0.35,
                 unique: bool = True) -> list[dict]:
    """A shuffled tracker of about ``entities`` distinct tasks (more with siblings), each row labelled
    with its task in ``Entity``. ``unique=False`` (for timing runs of 100,000 rows) draws campaigns per
    market and partners from hundreds of clients, and lets two tasks share a title (labels are then
    not to be trusted)."""
    rng = random.Random(seed)
    seen: set[str] = set()
    tasks: list[Task] = []

    def add(task: Task | None, *, drawn: bool) -> bool:
        if task is None:
            return False
        key = strip_accents(task.title()).casefold()
        # A task drawn at random must differ from every other in more than a year added or left out
        # ("Send Q3 customer survey" / "Send Q3 2026 customer survey" is one task to any reader);
        # a sibling differs on purpose.
        loose = " ".join(w for w in key.split() if not (w.isdigit() and len(w) == 4))
        if unique and (key in seen or (drawn and loose in seen)):
            return False
        seen.update({key, loose})
        tasks.append(task)
        return True

    while len(tasks) < entities:
        task = Task(rng, wide=not unique)
        if add(task, drawn=True) and rng.random() < sibling_share:
            add(sibling(rng, task), drawn=False)
    rows = []
    for n, task in enumerate(tasks, 1):
        label = f"T{n}"
        rows.append({**row_of(task), "Entity": label})
        if rng.random() < dup_share:
            for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
                rows.append({**duplicate_row(rng, task), "Entity": label})
    rng.shuffle(rows)
    return rows


def write_csv(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    from bench.make_records_eval import record_rows

    write_csv(DATA / "dupes_eval.csv", tracker_rows(SEED, 700))
    write_csv(DATA / "records_eval.csv", record_rows(SEED + 1, 500))
    print(f"wrote {DATA / 'dupes_eval.csv'} and {DATA / 'records_eval.csv'}")


if __name__ == "__main__":
    main()
