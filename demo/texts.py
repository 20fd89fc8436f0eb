"""Label-consistent message templates (Dutch and English) and the slot fills that vary them.

Every inbound template carries one planted sentiment label and is worded so that a
reader (or a sentiment model) cannot doubt it: complaints are clearly negative, praise
clearly positive, questions and news plainly neutral. ``{b}`` is where the brand is
named, either as ``@handle`` or by name; the other slots (product, city, amounts,
times, emojis) make thousands of distinct texts. No template contains a line break, so
a CSV record is always one line.
"""

from __future__ import annotations

import random

from demo.catalogue import NEGATIVE, NEUTRAL, POSITIVE

ALL = ("bank", "telecom", "insurer")
B, T, INS = ("bank",), ("telecom",), ("insurer",)

# (sectors, template) per language and label.
INBOUND: dict[tuple[str, int], tuple[tuple[tuple[str, ...], str], ...]] = {
    ("nl", NEGATIVE): (
        (T, "Alweer een storing bij {b}! Al {hours} uur geen {product} in {city}. Belachelijk{en}"),
        (
            T,
            "{b} de hele dag geen {product} in {city} door een storing. Slechte service{en}",
        ),
        (T, "Mijn factuur van {b} is deze maand {amount} hoger zonder uitleg. Dit pik ik niet{en}"),
        (
            T,
            "Geen {product} meer sinds de verhuizing naar {city} en {b} doet niets. Waardeloos{en}",
        ),
        (B, "Pinnen bij {b} werkt weer niet. Sta hier in {city} bij de kassa, wat een ellende{en}"),
        (B, "Internetbankieren van {b} ligt er alweer uit. Kan niets betalen, heel vervelend{en}"),
        (B, "De spaarrente van {b} is alweer verlaagd naar {rate}. Schandalig, ik stap over{en}"),
        (B, "{b} rekent {amount} kosten voor mijn {product}. Wat een graaiers{en}"),
        (
            INS,
            "{b} behandelt mijn schadeclaim al {weeks} weken niet. Niemand belt, waardeloos{en}",
        ),
        (INS, "Mijn declaratie bij {b} is zonder reden afgewezen. Wat een slechte verzekeraar{en}"),
        (INS, "Premie van mijn {product} bij {b} weer met {amount} omhoog. Belachelijk{en}"),
        (ALL, "Al {minutes} minuten in de wacht bij de klantenservice van {b}. Waardeloos{en}"),
        (ALL, "{b} ik wacht nu al {days} dagen op antwoord op mijn mail. Slechte service{en}"),
        (ALL, "Weer {amount} te veel afgeschreven door {b}. Diep teleurgesteld{en}"),
        (ALL, "De app van {b} crasht steeds bij het inloggen. Zo irritant{en}"),
        (ALL, "{b} jullie nieuwe app is een drama, niets werkt meer sinds de update{en}"),
        (ALL, "Drie keer gebeld met {b} en drie keer een ander verhaal. Ik ben er klaar mee{en}"),
        (
            ALL,
            "Slechtste klantenservice ooit, {b}. Al {days} dagen geen oplossing voor {product}{en}",
        ),
    ),
    ("nl", NEUTRAL): (
        (T, "{b} geldt het nieuwe abonnement ook voor bestaande klanten?"),
        (T, "{b} hoe zet ik mijn {product} over naar mijn nieuwe adres in {city}?"),
        (B, "{b} wat is op dit moment de rente op een spaarrekening?"),
        (B, "{b} hoe kan ik een tweede pinpas aanvragen?"),
        (INS, "{b} hoe dien ik een declaratie in voor mijn {product}?"),
        (INS, "{b} valt schade aan een fiets onder de {product}?"),
        (ALL, "{b} wat zijn de openingstijden van jullie kantoor in {city}?"),
        (ALL, "{b} hoe kan ik mijn adres wijzigen?"),
        (ALL, "{b} kan ik mijn {product} ook online aanpassen?"),
        (ALL, "Vraag aan {b}: waar vind ik mijn jaaroverzicht van {year}?"),
        (ALL, "{b} ik ben verhuisd naar {city}, moet ik dat ergens doorgeven?"),
        (ALL, "Morgen om {time} een afspraak bij {b} in {city} over mijn {product}."),
        (ALL, "{b} welk telefoonnummer moet ik bellen voor vragen over mijn {product}?"),
    ),
    ("nl", POSITIVE): (
        (T, "Eindelijk supersnel internet van {b} in {city}. Super tevreden{ep}"),
        (B, "Fijn dat {b} de spaarrente verhoogt naar {rate}. Goed nieuws{ep}"),
        (INS, "Mijn schadeclaim bij {b} binnen {days} dagen uitbetaald. Geweldig geregeld{ep}"),
        (ALL, "Wat een goede hulp van {b}! Binnen {short} minuten was ik geholpen{ep}"),
        (ALL, "Dank je wel {b}, mijn probleem met mijn {product} is snel opgelost. Heel blij{ep}"),
        (ALL, "De nieuwe app van {b} werkt echt prima, heel handig{ep}"),
        (ALL, "Complimenten aan {agent} van {b}, wat een vriendelijke en snelle hulp{ep}"),
        (ALL, "{b} bedankt voor het snelle antwoord, echt top{ep}"),
        (ALL, "Al {years} jaar klant bij {b} en nog steeds heel tevreden{ep}"),
        (ALL, "Wat een fijne klantenservice heeft {b}, in {city} meteen goed geholpen{ep}"),
        (ALL, "Heel tevreden over mijn {product} bij {b}, een aanrader{ep}"),
    ),
    ("en", NEGATIVE): (
        (T, "Another outage at {b}! No {product} in {city} for {hours} hours now. Ridiculous{en}"),
        (
            T,
            "My {b} bill is {amount} higher this month without any explanation. Not acceptable{en}",
        ),
        (B, "Card payments at {b} are down again. Stuck at the checkout in {city}, terrible{en}"),
        (B, "{b} cut the savings rate to {rate} again. Shameful, I am switching banks{en}"),
        (INS, "{b} has ignored my claim for {weeks} weeks. Nobody calls back, awful service{en}"),
        (INS, "My {product} premium at {b} went up by {amount} again. Outrageous{en}"),
        (ALL, "On hold with {b} customer service for {minutes} minutes. Useless{en}"),
        (ALL, "{b} I have been waiting {days} days for a reply to my email. Terrible service{en}"),
        (ALL, "The {b} app keeps crashing when I log in. So annoying{en}"),
        (
            ALL,
            "Worst customer service ever, {b}. Still no fix for my {product} after {days} days{en}",
        ),
        (ALL, "{b} charged me {amount} twice. Very disappointed{en}"),
    ),
    ("en", NEUTRAL): (
        (T, "{b} does the new plan also apply to existing customers?"),
        (B, "{b} what is the current interest rate on a savings account?"),
        (INS, "{b} how do I submit a claim for my {product}?"),
        (ALL, "{b} what are the opening hours of your office in {city}?"),
        (ALL, "{b} how do I change my address?"),
        (ALL, "{b} can I change my {product} online?"),
        (ALL, "Question for {b}: where can I find my annual statement for {year}?"),
        (ALL, "{b} I moved to {city}, do I need to let you know?"),
        (ALL, "Appointment at {b} in {city} tomorrow at {time} about my {product}."),
    ),
    ("en", POSITIVE): (
        (T, "Finally fast internet from {b} in {city}. Very happy{ep}"),
        (B, "Great that {b} raised the savings rate to {rate}. Good news{ep}"),
        (INS, "My claim with {b} was paid within {days} days. Brilliant{ep}"),
        (ALL, "Great service from {b}! Helped within {short} minutes{ep}"),
        (ALL, "Thank you {b}, my {product} problem was solved quickly. Very happy{ep}"),
        (ALL, "The new {b} app works really well, very handy{ep}"),
        (ALL, "Kudos to {agent} at {b}, friendly and fast help{ep}"),
        (ALL, "{b} thanks for the quick answer, excellent{ep}"),
        (ALL, "Customer of {b} for {years} years and still very satisfied{ep}"),
    ),
}

# Sarcastic complaints: negative in meaning, positive in words. Used only when the demo
# is asked for them (`sarcastic_share`): a classifier that reads the words gets them
# wrong the same way every time, the bias the adjusted shares exist to correct.
SARCASTIC: dict[str, tuple[str, ...]] = {
    "nl": (
        "Wat een fantastische service weer van {b} 🙃 Bedankt hoor!",
        "Dank je {b}, echt super geregeld weer. Complimenten 😉",
        "Ik ben echt dol op de klantenservice van {b}. Altijd een feestje 🙃",
        "Heerlijk hoor {b}, weer een verrassing op mijn rekening. Top!",
        "Bravo {b}, wat een prestatie weer 👏👏",
        "Geweldig {b}, jullie weten me elke keer weer te verbazen 🙃",
    ),
    "en": (
        "Wow {b}, amazing service as always 🙃 Thanks so much!",
        "Love how {b} always keeps things so exciting. Best service ever 😉",
        "Thank you {b}, truly outstanding work again 👏",
        "Great job {b}, another wonderful surprise on my bill. Brilliant!",
        "Oh I just adore the {b} helpdesk. Such a treat 🙃",
        "Fantastic {b}, you never fail to amaze me 🙃",
    ),
}

NEWS: dict[str, tuple[str, ...]] = {
    "nl": (
        "{b} publiceert op {weekday} de jaarcijfers over {year}.",
        "{b} opent een nieuw kantoor in {city}.",
        "{b} benoemt een nieuwe directeur klantenservice.",
        "{b} past per 1 {month_name} de voorwaarden van de {product} aan.",
        "Aandeelhoudersvergadering van {b} op {weekday} in {city}.",
        "{b} verhuist het hoofdkantoor naar {city}.",
    ),
    "en": (
        "{b} will publish its annual results for {year} on {weekday}.",
        "{b} opens a new office in {city}.",
    ),
}

CRISIS: dict[str, tuple[str, ...]] = {
    "nl": (
        "Landelijke storing bij {b}! Al sinds {time} geen {product} in {city}. Onacceptabel{en}",
        "{b} alles ligt eruit, geen {product} en niemand weet waarom. Schandalig{en}",
        "Weer geen {product} in {city}. {b} dit is de slechtste storing ooit{en}",
        "{b} al {hours} uur zonder {product} door jullie storing. Ik wil mijn geld terug{en}",
    ),
    "en": (
        "Nationwide outage at {b}! No {product} in {city} since {time}. Unacceptable{en}",
        "{b} everything is down, no {product} and nobody explains why. Disgraceful{en}",
    ),
}

ESCALATION: dict[str, tuple[str, ...]] = {
    "nl": (
        "{b} {days} dagen geleden gebeld over mijn {product}, nog steeds niets gehoord. Slecht{en}",
        "Klacht per brief gestuurd naar {b}, nooit antwoord gekregen. Schandalig{en}",
        "Webformulier ingevuld bij {b} over mijn {product}, geen reactie. Slechte service{en}",
        "Mijn klacht bij {b} wordt genegeerd. Dan maar via Twitter, heel teleurgesteld{en}",
    ),
    "en": (
        "Called {b} {days} days ago about my {product} and still nothing. Useless{en}",
        "My complaint to {b} is being ignored. Trying Twitter now, very disappointed{en}",
    ),
}

RECOVERY: dict[str, tuple[str, ...]] = {
    "nl": (
        "{b} het probleem met mijn {product} is eindelijk opgelost, dank jullie wel{ep}",
        "Toch nog goed geholpen door {b}, alles werkt weer. Tevreden{ep}",
        "Excuses aan {b} voor mijn boze tweet, jullie hebben het super opgelost{ep}",
        "Na contact met {b} is alles netjes voor mij geregeld. Heel fijn{ep}",
    ),
    "en": (
        "{b} my {product} issue is finally fixed, thank you so much{ep}",
        "Thanks {b}, everything works again. Happy customer{ep}",
    ),
}

FOLLOW_UP: dict[tuple[str, int], tuple[str, ...]] = {
    ("nl", NEGATIVE): (
        "{h} Nog steeds niet opgelost. Dit duurt echt veel te lang{en}",
        "{h} Ik heb al een DM gestuurd maar krijg geen antwoord. Slecht{en}",
        "{h} Dit is al de derde keer dat jullie dit zeggen. Waardeloos{en}",
    ),
    ("nl", NEUTRAL): (
        "{h} DM gestuurd met mijn klantnummer.",
        "{h} Oké, ik bel morgen wel even.",
        "{h} Mijn postcode staat in de DM.",
    ),
    ("nl", POSITIVE): (
        "{h} Dank je wel, het werkt weer{ep}",
        "{h} Top, snel opgelost. Bedankt{ep}",
        "{h} Super, heel fijn geholpen{ep}",
    ),
    ("en", NEGATIVE): (
        "{h} Still not fixed. This is taking far too long{en}",
        "{h} I sent a DM but got no answer. Bad{en}",
    ),
    ("en", NEUTRAL): (
        "{h} Sent you a DM with my customer number.",
        "{h} OK, I will call tomorrow.",
    ),
    ("en", POSITIVE): (
        "{h} Thank you, it works again{ep}",
        "{h} Great, solved quickly. Thanks{ep}",
    ),
}

REPLY: dict[tuple[str, int], tuple[str, ...]] = {
    ("nl", NEGATIVE): (
        "{u} Vervelend om te horen! Stuur je ons een DM met je klantnummer? Dan zoeken we het uit.",
        "{u} Sorry voor het ongemak. We kijken er meteen naar, wil je ons een DM sturen?",
        "{u} Wat vervelend dat dit gebeurt. Onze collega's werken aan een oplossing.",
        "{u} Excuses hiervoor! Kun je ons via DM je postcode en huisnummer sturen?",
        "{u} Dat is niet de bedoeling. We bellen je vandaag nog terug, stuur je je nummer via DM?",
    ),
    ("nl", NEUTRAL): (
        "{u} Goede vraag! Je vindt dit in de app onder Instellingen.",
        "{u} Dat kan! Kijk even op onze website bij Service, daar staat het stap voor stap.",
        "{u} Bedankt voor je vraag. Stuur je ons een DM? Dan zoeken we het voor je uit.",
        "{u} Dank voor je bericht, we hebben het doorgezet naar de juiste afdeling.",
    ),
    ("nl", POSITIVE): (
        "{u} Dank je wel voor het compliment! Fijne dag nog.",
        "{u} Wat leuk om te horen, dank je wel!",
        "{u} Graag gedaan! Fijn dat het is opgelost.",
    ),
    ("en", NEGATIVE): (
        "{u} Sorry to hear that! Could you DM us your customer number? We will look into it.",
        "{u} Apologies for the trouble. Our team is working on a fix.",
        "{u} That should not happen. Please send us a DM and we will call you back today.",
    ),
    ("en", NEUTRAL): (
        "{u} Good question! You can find this in the app under Settings.",
        "{u} Thanks for asking. Please DM us and we will find out for you.",
    ),
    ("en", POSITIVE): (
        "{u} Thank you for the kind words! Have a nice day.",
        "{u} Great to hear, thanks!",
    ),
}

BOT_REPLY: dict[str, str] = {
    "nl": "{u} Bedankt voor je bericht aan {name}. Dit is een automatisch antwoord: een "
    "medewerker reageert zo snel mogelijk (ticket {ticket}).",
    "en": "{u} Thanks for your message to {name}. This is an automated reply: an agent will "
    "get back to you as soon as possible (ticket {ticket}).",
}

NPS_COMMENT: dict[tuple[str, int], tuple[str, ...]] = {
    ("nl", NEGATIVE): (
        "Veel te lange wachttijd aan de telefoon.",
        "Slechte service, alles duurt veel te lang.",
        "Te hoge kosten voor mijn {product}.",
        "De app werkt slecht.",
        "Niet geholpen bij mijn probleem, teleurgesteld.",
        "Klachten worden slecht afgehandeld.",
    ),
    ("nl", NEUTRAL): (
        "Geen bijzonderheden.",
        "Ik heb weinig contact met ze.",
        "Ik ben pas net klant.",
        "Geen mening over mijn {product}.",
    ),
    ("nl", POSITIVE): (
        "Altijd snel en vriendelijk geholpen.",
        "Prima service en een goede app.",
        "Zeer tevreden over mijn {product}.",
        "Goede prijs en fijne klantenservice.",
    ),
    ("en", NEGATIVE): (
        "Far too long waiting times on the phone.",
        "Bad service, everything takes too long.",
        "Too expensive for my {product}.",
    ),
    ("en", NEUTRAL): (
        "Nothing special to report.",
        "I have only just become a customer.",
    ),
    ("en", POSITIVE): (
        "Always helped quickly and friendly.",
        "Very satisfied with my {product}.",
    ),
}

PRODUCTS: dict[tuple[str, str], tuple[str, ...]] = {
    ("nl", "bank"): (
        "betaalrekening",
        "spaarrekening",
        "creditcard",
        "hypotheek",
        "pinpas",
        "lening",
        "zakelijke rekening",
    ),
    ("nl", "telecom"): (
        "internet",
        "tv",
        "mobiel internet",
        "bereik",
        "vaste telefoon",
        "glasvezel",
        "3G",
    ),
    ("nl", "insurer"): (
        "autoverzekering",
        "inboedelverzekering",
        "zorgverzekering",
        "reisverzekering",
        "opstalverzekering",
        "aansprakelijkheidsverzekering",
    ),
    ("en", "bank"): (
        "current account",
        "savings account",
        "credit card",
        "mortgage",
        "debit card",
        "loan",
    ),
    ("en", "telecom"): ("internet", "TV", "mobile data", "signal", "landline", "fibre"),
    ("en", "insurer"): (
        "car insurance",
        "home insurance",
        "health insurance",
        "travel insurance",
        "contents insurance",
    ),
}

CITIES: tuple[str, ...] = (
    "Amsterdam",
    "Rotterdam",
    "Utrecht",
    "Zwolle",
    "Groningen",
    "Eindhoven",
    "Tilburg",
    "Almere",
    "Breda",
    "Nijmegen",
    "Apeldoorn",
    "Haarlem",
    "Arnhem",
    "Enschede",
    "Amersfoort",
    "Leiden",
    "Maastricht",
    "Delft",
    "Deventer",
    "Alkmaar",
    "Leeuwarden",
    "Den Bosch",
    "Venlo",
    "Assen",
    "Middelburg",
    "Hoorn",
)
AGENT_NAMES: tuple[str, ...] = (
    "Suzanne",
    "Diane",
    "Jeroen",
    "Mark",
    "Ilse",
    "Sanne",
    "Pieter",
    "Fatima",
    "Kevin",
    "Lotte",
    "Bram",
    "Anouk",
    "Mehmet",
    "Eva",
    "Ruben",
    "Naima",
    "Joost",
    "Lisa",
)
SURNAME_INITIALS = "BDHJKMPSTVW"
NEG_EMOJI = ("", "", "", "", " 😡", " 😤", " 🙄", " 👎", " #fail", "!!")
POS_EMOJI = ("", "", "", "", " 👍", " 😊", " 🙏", " 👏", " ❤️", "!")
WEEKDAYS = {
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"),
}
MONTH_NAMES = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)


class TextFactory:
    """Renders templates with slot fills drawn from one seeded `random.Random`."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._inbound_cache: dict[tuple[str, int, str], list[str]] = {}

    def _slots(self, language: str, sector: str, year: int) -> dict[str, str]:
        r = self.rng
        amount = r.randint(3, 180) + r.choice((0, 0.5, 0.95, 0.25))
        rate = r.choice((0.8, 1.0, 1.2, 1.5, 1.75, 2.0, 2.25, 2.5, 3.1, 4.2, 4.8, 5.3))
        if language == "nl":
            amount_text = f"€ {amount:.2f}".replace(".", ",")
            rate_text = f"{rate:.2f}".rstrip("0").rstrip(".").replace(".", ",") + "%"
        else:
            amount_text = f"€{amount:.2f}"
            rate_text = f"{rate:.2f}".rstrip("0").rstrip(".") + "%"
        return {
            "product": r.choice(PRODUCTS[(language, sector)]),
            "city": r.choice(CITIES),
            "hours": str(r.randint(2, 14)),
            "minutes": str(r.choice((15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 75, 90))),
            "short": str(r.randint(2, 15)),
            "days": str(r.randint(2, 21)),
            "weeks": str(r.randint(2, 9)),
            "years": str(r.randint(2, 30)),
            "amount": amount_text,
            "rate": rate_text,
            "time": f"{r.randint(7, 21):02d}:{r.choice((0, 15, 30, 45)):02d}",
            "year": str(year - r.choice((0, 1))),
            "weekday": r.choice(WEEKDAYS[language]),
            "month_name": r.choice(MONTH_NAMES),
            "agent": r.choice(AGENT_NAMES),
            "en": r.choice(NEG_EMOJI),
            "ep": r.choice(POS_EMOJI),
        }

    def _templates(self, language: str, label: int, sector: str) -> list[str]:
        key = (language, label, sector)
        if key not in self._inbound_cache:
            self._inbound_cache[key] = [
                text for sectors, text in INBOUND[(language, label)] if sector in sectors
            ]
        return self._inbound_cache[key]

    def inbound(
        self, kind: str, language: str, label: int, sector: str, ref: str, year: int
    ) -> str:
        """A customer message of `kind` (base, news, crisis, escalation, recovery) naming `ref`."""
        if kind == "news":
            pool = NEWS[language]
        elif kind == "crisis":
            pool = CRISIS[language]
        elif kind == "escalation":
            pool = ESCALATION[language]
        elif kind == "recovery":
            pool = RECOVERY[language]
        else:
            pool = self._templates(language, label, sector)
        slots = self._slots(language, sector, year)
        slots["b"] = ref
        return _tidy(self.rng.choice(pool).format(**slots))

    def sarcastic(self, language: str, ref: str) -> str:
        """A sarcastic complaint naming `ref` (planted label: negative)."""
        return _tidy(self.rng.choice(SARCASTIC[language]).format(b=ref))

    def follow_up(self, language: str, label: int, sector: str, handle: str, year: int) -> str:
        """A customer's answer to a brand reply, addressed to the brand account."""
        slots = self._slots(language, sector, year)
        slots["h"] = "@" + handle
        return _tidy(self.rng.choice(FOLLOW_UP[(language, label)]).format(**slots))

    def reply(self, language: str, label: int, customer: str, signature: str | None) -> str:
        """A human brand reply to a message of `label`, signed when `signature` is given."""
        text = self.rng.choice(REPLY[(language, label)]).format(u="@" + customer)
        return text + " " + signature if signature else text

    def bot_reply(self, language: str, customer: str, brand_name: str) -> str:
        """The auto-responder's acknowledgement."""
        ticket = f"{self.rng.randint(100000, 999999)}"
        return BOT_REPLY[language].format(u="@" + customer, name=brand_name, ticket=ticket)

    def nps_comment(self, language: str, label: int, sector: str) -> str:
        """A short survey comment with the label of the score band."""
        slots = self._slots(language, sector, 2010)
        return self.rng.choice(NPS_COMMENT[(language, label)]).format(**slots)


def signature(style: str, rng: random.Random, agents: list[tuple[str, str]], language: str) -> str:
    """An agent signature in the brand's style: ``^JV``, ``/Suzanne``, ``-AB``, ``Groet, Diane``."""
    name, initials = agents[rng.randrange(len(agents))]
    if style == "caret_initials":
        return "^" + initials
    if style == "slash_name":
        return "/" + name
    if style == "dash_initials":
        return "-" + initials
    return ("Groet, " if language == "nl" else "Regards, ") + name


def agent_roster(rng: random.Random, size: int) -> list[tuple[str, str]]:
    """Distinct (first name, initials) pairs for one brand's webcare team."""
    names = rng.sample(AGENT_NAMES, size)
    return [(name, name[0] + rng.choice(SURNAME_INITIALS)) for name in names]


def _tidy(text: str) -> str:
    return " ".join(text.split())
