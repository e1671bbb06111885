"""Generate the example site's SYNTHETIC sample data.

Everything this script writes is invented. No answer, name, e-mail address
or order comes from a real person: the responses are drawn from a seeded
random generator to tell a plausible story about Café Saulite, a small café
chain with three cafés (Rīga centre, Rīga mall, Jelgava), so that the
example scorecards have about two years of figures to show (1 December 2024
to 20 November 2026). The e-mail addresses use the reserved domains
example.com, example.org and .invalid.

Run it from the project directory:

    .venv/bin/python data/generate_sample.py

It rewrites `data/sample-responses.jsonl` (the responses, in sitegen's JSON
Lines interchange format), `data/orders.csv` (loyalty-card orders for the
repeat-rate metric) and `data/receipts.csv` (receipts printed per café and
day, for the QR response rate), then prints how many it wrote to stderr. Load the
responses into the store with:

    .venv/bin/sitegen responses import data/sample-responses.jsonl

The output is deterministic: the seed is fixed, each survey draws from its
own stream seeded with a string (hashed with SHA-512, not Python's salted
hash), only `random.Random.random()` is used (its sequence is the same in
every Python 3), and lines are written with sorted keys,
fixed separators, `ensure_ascii=False`, UTF-8 and "\\n" line endings, so
every run writes byte-identical files. It needs only the standard library
(Python 3.11+ with the Europe/Riga time zone available to `zoneinfo`).

The story built in (the figures the scorecards should show):

- after-visit: 35-100 answers a month per café (Rīga centre busiest, Jelgava
  smallest). Jelgava was closed for renovation most of February 2025, and
  its new till printed receipts without the QR code in most of January
  2026, so those two months have only 3 and 4 answers there. NPS climbs
  from about 30 to about 45, with a dip in summer 2025 (a heat wave and new
  seasonal staff: about 20 in July); Jelgava scores highest, Rīga mall
  lowest. Satisfaction (CSAT about 77% rising to about 83%), effort (about
  5.7 of 7), expectations (about a quarter exceeded) and the matrix follow
  each guest's NPS group; "greeted within 30 seconds" rises from about 80%
  to about 90%.
- journey-order: 15-30 answers a month, but only 3 in January 2025, when the
  ordering page was offline; a new ordering page in September 2025 lifts
  ease of ordering from about 5.1 to about 6 of 7.
- complaint-log: about 25 complaints a month (about 31 in summer 2025),
  falling to 20 a month over the last six months as the "Fast and right"
  programme (from May 2026) cuts waits and wrong orders (from about 43% of
  complaints to about 30%); the median time to resolve falls from about 10
  to about 5 hours; the guest is contacted afterwards more often.
- employee-annual: one wave in November 2025 (23 answers) and one in
  November 2026 (25 answers, the survey still open); Jelgava's team of four
  gave 2 answers each time, a group too small to show; every statement
  scores higher in the second wave.
- orders.csv: the loyalty card starts in December 2024 (so the first months
  have few repeat orders); a stamp card from March 2026 makes card holders
  come back more often (0.5-1.1 repeat orders per customer a month in
  2025, 1.0-1.2 in 2026).
- receipts.csv: the tills' receipts per café and day (about 3,000 a month in
  Rīga centre, 2,300 in the mall, 1,500 in Jelgava; more at weekends and in
  summer, none on closed days). Every receipt carries the survey's QR code, so
  answers per receipt is the QR response rate: about 2.5 %, but near 0 % in
  Jelgava in January 2026, when the new till printed receipts without it.

The last month, November 2026, holds only 20 days, so its counts (and
repeat orders) are lower than a full month's.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import random
import sys
from collections import Counter
from pathlib import Path
from statistics import NormalDist
from zoneinfo import ZoneInfo

SEED = 20261120
FIRST_DAY = dt.date(2024, 12, 1)
LAST_DAY = dt.date(2026, 11, 20)
ZONE = ZoneInfo("Europe/Riga")
LOCATIONS = ("riga-centre", "riga-mall", "jelgava")
HERE = Path(__file__).resolve().parent
RESPONSES_FILE = HERE / "sample-responses.jsonl"
ORDERS_FILE = HERE / "orders.csv"
RECEIPTS_FILE = HERE / "receipts.csv"
CASE_STEPS_FILE = HERE / "sample-case-steps.jsonl"

# Days a café was closed, or handed out receipts without the survey's QR code.
JELGAVA_RENOVATION = (dt.date(2025, 2, 3), dt.date(2025, 2, 26))
JELGAVA_NO_QR = (dt.date(2026, 1, 5), dt.date(2026, 1, 31))
ORDER_PAGE_OFFLINE = (dt.date(2025, 1, 6), dt.date(2025, 1, 27))
NEW_ORDER_PAGE = dt.date(2025, 9, 8)
STAMP_CARD = dt.date(2026, 3, 1)


# ---- random helpers (only Random.random(), whose sequence every Python keeps) ----------


class Draw:
    """A seeded random stream with the few draws the story needs."""

    def __init__(self, name: str) -> None:
        self._random = random.Random(f"{SEED}:{name}")

    def uniform(self) -> float:
        return self._random.random()

    def chance(self, probability: float) -> bool:
        return self._random.random() < probability

    def integer(self, low: int, high: int) -> int:
        """A whole number from low to high, both included."""
        return low + min(int(self._random.random() * (high - low + 1)), high - low)

    def pick(self, options):
        """One item of a sequence, or a key of a {option: weight} mapping by weight."""
        if not isinstance(options, dict):
            return options[self.integer(0, len(options) - 1)]
        total = sum(options.values())
        point = self._random.random() * total
        for option, weight in options.items():
            point -= weight
            if point < 0:
                return option
        return option

    def picks(self, weights: dict, count: int) -> list:
        """`count` different keys of `weights`, drawn by weight."""
        left = dict(weights)
        chosen = []
        for _ in range(min(count, len(left))):
            option = self.pick(left)
            chosen.append(option)
            del left[option]
        return chosen

    def normal(self, mean: float = 0.0, sd: float = 1.0) -> float:
        u1 = 1.0 - self._random.random()
        u2 = self._random.random()
        return mean + sd * math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)

    def poisson(self, mean: float) -> int:
        limit, count, product = math.exp(-mean), 0, self._random.random()
        while product > limit:
            count += 1
            product *= self._random.random()
        return count

    def shuffle(self, items: list) -> None:
        for i in range(len(items) - 1, 0, -1):
            j = self.integer(0, i)
            items[i], items[j] = items[j], items[i]

    def scale(self, mean: float, sd: float, low: int, high: int) -> int:
        return max(low, min(high, round(self.normal(mean, sd))))


# ---- calendar ------------------------------------------------------------------------


def months() -> list[tuple[int, int]]:
    result, (year, month) = [], (FIRST_DAY.year, FIRST_DAY.month)
    while (year, month) <= (LAST_DAY.year, LAST_DAY.month):
        result.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return result


MONTHS = months()


def month_days(year: int, month: int) -> list[dt.date]:
    day, days = dt.date(year, month, 1), []
    while day.month == month and day <= LAST_DAY:
        days.append(day)
        day += dt.timedelta(days=1)
    return days


def progress(year: int, month: int) -> float:
    """0 in the first month, 1 in the last."""
    return MONTHS.index((year, month)) / (len(MONTHS) - 1)


def full_month_share(year: int, month: int) -> float:
    """The part of the month inside the sample (the last month ends on LAST_DAY)."""
    days_in_month = ((dt.date(year + month // 12, month % 12 + 1, 1)) - dt.date(year, month, 1)).days
    return len(month_days(year, month)) / days_in_month


SEASON = {1: 0.85, 2: 0.85, 3: 0.95, 4: 1.0, 5: 1.05, 6: 1.1, 7: 1.15, 8: 1.1, 9: 1.0, 10: 0.95, 11: 0.95, 12: 1.15}
SUMMER_DIP = {(2025, 6): 0.4, (2025, 7): 1.0, (2025, 8): 0.6}
"""How hard the summer 2025 heat wave and new seasonal staff hit, by month."""


def is_open(location: str, day: dt.date) -> bool:
    if (day.month == 12 and day.day == 25) or (day.month == 1 and day.day == 1):
        return False
    return not (location == "jelgava" and JELGAVA_RENOVATION[0] <= day <= JELGAVA_RENOVATION[1])


def survey_days(location: str, year: int, month: int) -> list[dt.date]:
    """Days a guest could answer the after-visit survey (open, QR code on the receipt)."""
    days = [day for day in month_days(year, month) if is_open(location, day)]
    if location == "jelgava":
        days = [day for day in days if not JELGAVA_NO_QR[0] <= day <= JELGAVA_NO_QR[1]]
    return days


def day_weights(days: list[dt.date]) -> dict[dt.date, float]:
    return {day: 1.35 if day.weekday() >= 5 else 1.0 for day in days}


def utc_text(moment: dt.datetime) -> str:
    """A local (naive, Europe/Riga) moment as ISO 8601 UTC with Z."""
    return moment.replace(tzinfo=ZONE).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_minute(text_moment: dt.datetime) -> str:
    """A naive local moment as a datetime-local form value (2026-05-01T10:00)."""
    return text_moment.strftime("%Y-%m-%dT%H:%M")


def at(day: dt.date, hour: float) -> dt.datetime:
    return dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=round(hour * 3600))


def deck(shares: dict[str, float], count: int, draw: Draw) -> list[str]:
    """`count` labels in the given shares (largest remainders), shuffled: cells follow the trend closely."""
    exact = {label: share * count for label, share in shares.items()}
    numbers = {label: int(value) for label, value in exact.items()}
    for label in sorted(exact, key=lambda label: numbers[label] - exact[label])[: count - sum(numbers.values())]:
        numbers[label] += 1
    cards = [label for label, number in numbers.items() for _ in range(number)]
    draw.shuffle(cards)
    return cards


# ---- texts ---------------------------------------------------------------------------------

# After-visit: what would make it a 9 or 10 (theme -> lv, ru, en).
IMPROVE = {
    "queue": (
        "Rinda bija pārāk gara, kafiju gaidīju gandrīz 15 minūtes.",
        "Очередь была слишком длинной, кофе ждал почти 15 минут.",
        "The queue was too long; I waited almost 15 minutes for my coffee.",
    ),
    "faster": ("Ātrāka apkalpošana.", "Быстрее обслуживать.", "Faster service."),
    "seats": (
        "Nebija kur apsēsties — vajag vairāk galdiņu.",
        "Негде было сесть — нужно больше столиков.",
        "Nowhere to sit — you need more tables.",
    ),
    "prices": (
        "Cenas pēdējā laikā ir kāpušas, kafija kļūst dārga.",
        "Цены в последнее время выросли, кофе становится дорогим.",
        "Prices have gone up lately; the coffee is getting expensive.",
    ),
    "lukewarm": ("Kapučīno bija remdens.", "Капучино был едва тёплым.", "My cappuccino was lukewarm."),
    "vegan": (
        "Vairāk vegānisku un bezglutēna iespēju, lūdzu.",
        "Побольше веганских и безглютеновых вариантов, пожалуйста.",
        "More vegan and gluten-free options, please.",
    ),
    "ignored": (
        "Neviens mūs nepamanīja, kamēr stāvējām pie letes.",
        "Никто не обратил на нас внимания, пока мы стояли у стойки.",
        "Nobody noticed us while we stood at the counter.",
    ),
    "tables": (
        "Galdiņi bija netīri, neviens tos nenoslaucīja.",
        "Столики были грязные, их никто не протирал.",
        "The tables were sticky and nobody wiped them.",
    ),
    "music": (
        "Mūzika bija pārāk skaļa, grūti sarunāties.",
        "Музыка была слишком громкой, трудно разговаривать.",
        "The music was too loud to talk.",
    ),
    "wifi": ("Wi-Fi nedarbojās.", "Не работал Wi-Fi.", "The Wi-Fi did not work."),
    "sold-out": (
        "Vakarā vairs nebija kanēļmaizīšu.",
        "Вечером уже не было булочек с корицей.",
        "No cinnamon buns left in the evening.",
    ),
    "wrong-drink": (
        "Saņēmu nepareizu dzērienu — biju lūdzis auzu pienu.",
        "Мне дали не тот напиток — я просил овсяное молоко.",
        "I got the wrong drink — I had asked for oat milk.",
    ),
    "heat": (
        "Zālē bija ļoti karsts, vajag kondicionieri.",
        "В зале было очень жарко, нужен кондиционер.",
        "It was very hot inside; you need air conditioning.",
    ),
    "unfriendly": (
        "Barists izskatījās noguris un nelaipns.",
        "Бариста выглядел уставшим и неприветливым.",
        "The barista seemed tired and unfriendly.",
    ),
    "rarely-ten": (
        "Viss bija labi, vienkārši 10 lieku reti.",
        "Всё было хорошо, просто 10 я ставлю редко.",
        "All good, I just rarely give a 10.",
    ),
    "terminal": (
        "Kartes terminālis nestrādāja, nācās maksāt skaidrā naudā.",
        "Терминал не работал, пришлось платить наличными.",
        "The card terminal was down, so I had to pay cash.",
    ),
    "mall-noise": (
        "Tirdzniecības centrā ir ļoti trokšņaini, grūti atpūsties.",
        "В торговом центре очень шумно, трудно отдохнуть.",
        "It is very noisy in the mall; hard to relax.",
    ),
    "soup": (
        "Zupas porcija varētu būt lielāka.",
        "Порция супа могла бы быть побольше.",
        "The soup portion could be bigger.",
    ),
    "hours": (
        "Būtu jauki, ja vakaros strādātu ilgāk.",
        "Было бы здорово, если бы вечером вы работали подольше.",
        "It would be nice if you stayed open later in the evening.",
    ),
    "toilet": ("Tualete bija netīra.", "Туалет был грязный.", "The toilet was not clean."),
    "loyalty": (
        "Lojalitātes kartei vajadzētu vairāk bonusu.",
        "Карте лояльности не хватает бонусов.",
        "The loyalty card could give a bit more.",
    ),
    "parking": (
        "Pie kafejnīcas grūti atrast, kur novietot auto.",
        "Возле кафе трудно припарковаться.",
        "Hard to find parking near the café.",
    ),
}
IMPROVE_CLOSERS = (
    ("Citādi viss patika!", "В остальном всё понравилось!", "Otherwise lovely!"),
    ("Paldies!", "Спасибо!", "Thanks!"),
    ("Kafija gan ir lieliska.", "Кофе при этом отличный.", "The coffee itself is great, though."),
)

STOOD_OUT_GOOD = (
    (
        "Barists atcerējās manu ierasto pasūtījumu!",
        "Бариста запомнил мой обычный заказ!",
        "The barista remembered my usual order!",
    ),
    (
        "Bezmaksas cepumiņš bērnam — ļoti mīļi.",
        "Бесплатное печенье для ребёнка — очень мило.",
        "A free biscuit for my kid — so sweet.",
    ),
    ("Labākā kanēļmaizīte pilsētā.", "Лучшая булочка с корицей в городе.", "The best cinnamon bun in town."),
    (
        "Palīdzēja izvēlēties torti dzimšanas dienai.",
        "Помогли выбрать торт на день рождения.",
        "They helped us choose a birthday cake.",
    ),
    ("Ļoti ātri, lai gan bija rinda.", "Очень быстро, хотя была очередь.", "Very quick despite the queue."),
    ("Jaunā sezonas kafija ir izcila!", "Новый сезонный кофе — отличный!", "The new seasonal coffee is excellent!"),
    (
        "Uzmanīga apkalpošana, pajautāja par alerģijām.",
        "Внимательное обслуживание, спросили про аллергию.",
        "Attentive service; they asked about allergies.",
    ),
    (
        "Mājīgi un klusi, varēju mierīgi strādāt.",
        "Уютно и тихо, можно спокойно поработать.",
        "Cosy and quiet; I could work in peace.",
    ),
    ("Sveicināja uzreiz, tiklīdz ienācu.", "Поздоровались сразу, как только я вошёл.", "Greeted the moment I came in."),
)
STOOD_OUT_BAD = (
    ("Pusdienas gaidīju 25 minūtes.", "Обед ждал 25 минут.", "Waited 25 minutes for lunch."),
    ("Netīri galdi un pilna miskaste.", "Грязные столы и полная урна.", "Dirty tables and an overflowing bin."),
    ("Pasūtījums bija sajaukts.", "Заказ перепутали.", "My order was mixed up."),
    ("Neviens nesasveicinājās.", "Никто не поздоровался.", "Nobody said hello."),
    ("Kūka bija sausa.", "Торт был сухой.", "The cake was dry."),
    ("Karsti un smacīgi.", "Жарко и душно.", "Hot and stuffy."),
    ("Kafija bija rūgta un auksta.", "Кофе был горький и холодный.", "Bitter, cold coffee."),
)

EMAIL_NAMES = ("anna", "janis", "olga", "ivan", "marta", "peter", "liga", "sergey", "ilze", "kate", "andris", "natalia")

# Complaint log: what happened, by root cause ({n} is a number of minutes).
WHAT_HAPPENED = {
    "product-quality": (
        (
            "Viesis atgrieza kapučīno — kafija bija rūgta un remdena.",
            "Гость вернул капучино — кофе был горьким и едва тёплым.",
            "Guest returned a cappuccino — bitter and lukewarm.",
        ),
        (
            "Kanēļmaizīte bija sakaltusi, viesis teica, ka tā ir vakardienas.",
            "Булочка с корицей была чёрствой, гость сказал, что она вчерашняя.",
            "Cinnamon bun was stale; the guest said it was yesterday's.",
        ),
        ("Viesis zupā atrada matu.", "Гость нашёл в супе волос.", "Guest found a hair in the soup."),
        (
            "Siera kūka garšoja skāba, viesis to neapēda.",
            "Чизкейк был кислым, гость не стал его есть.",
            "Cheesecake tasted sour; the guest did not eat it.",
        ),
        ("Auzu piens kafijā sarecēja.", "Овсяное молоко в кофе свернулось.", "Oat milk curdled in a coffee."),
    ),
    "order-error": (
        (
            "Viesis pasūtīja kapučīno ar auzu pienu, saņēma ar govs pienu.",
            "Гость заказал капучино на овсяном молоке, получил на обычном.",
            "Guest ordered a cappuccino with oat milk and got cow's milk.",
        ),
        (
            "Tortes pasūtījumā bija nepareizs uzraksts.",
            "На заказанном торте была неправильная надпись.",
            "Wrong inscription on a cake order.",
        ),
        (
            "Līdzņemšanas pasūtījumā trūka vienas sviestmaizes.",
            "В заказе с собой не хватало одного сэндвича.",
            "A takeaway order was missing one sandwich.",
        ),
        (
            "Viesim ar laktozes nepanesību iedeva parastu pienu.",
            "Гостю с непереносимостью лактозы дали обычное молоко.",
            "A lactose-intolerant guest was given regular milk.",
        ),
        (
            "Divi viesi saņēma viens otra pasūtījumus.",
            "Двое гостей получили заказы друг друга.",
            "Two guests got each other's orders.",
        ),
    ),
    "wait-time": (
        (
            "Viesis gaidīja kafiju {n} minūtes, lai gan rindā bija tikai divi cilvēki.",
            "Гость ждал кофе {n} минут, хотя в очереди было всего два человека.",
            "Guest waited {n} minutes for coffee with only two people in the queue.",
        ),
        (
            "Pusdienu laikā ēdienu pasniedza pēc {n} minūtēm.",
            "В обед еду подали через {n} минут.",
            "At lunchtime the food came after {n} minutes.",
        ),
        (
            "Viesis aizgāja, jo neviens viņu neapkalpoja {n} minūtes.",
            "Гость ушёл, потому что его не обслуживали {n} минут.",
            "Guest left after not being served for {n} minutes.",
        ),
        (
            "Tortes pasūtījums nebija gatavs norunātajā laikā, viesis gaidīja {n} minūtes.",
            "Заказанный торт не был готов к назначенному времени, гость ждал {n} минут.",
            "Cake order was not ready at the agreed time; the guest waited {n} minutes.",
        ),
    ),
    "staff-behaviour": (
        (
            "Viesis sūdzējās, ka barists bija nelaipns un nesasveicinājās.",
            "Гость пожаловался, что бариста был неприветлив и не поздоровался.",
            "Guest said the barista was rude and did not greet them.",
        ),
        (
            "Darbinieks runāja pa telefonu, kamēr viesis gaidīja pie kases.",
            "Сотрудник разговаривал по телефону, пока гость ждал у кассы.",
            "A colleague was on the phone while the guest waited at the till.",
        ),
        (
            "Viesis jutās ignorēts, kad palūdza vēl vienu karoti.",
            "Гость почувствовал, что его проигнорировали, когда он попросил ещё одну ложку.",
            "Guest felt ignored when asking for another spoon.",
        ),
    ),
    "cleanliness": (
        (
            "Netīri galdiņi terasē, viesis tos nofotografēja.",
            "Грязные столики на террасе, гость их сфотографировал.",
            "Dirty tables on the terrace; the guest took a photo.",
        ),
        (
            "Tualetē nebija ne papīra, ne ziepju.",
            "В туалете не было ни бумаги, ни мыла.",
            "No paper or soap in the toilet.",
        ),
        (
            "Uz krūzes malas bija lūpu krāsas pēdas.",
            "На краю чашки был след помады.",
            "Lipstick mark on the rim of a cup.",
        ),
    ),
    "equipment": (
        (
            "Kafijas automāts sabojājās rīta sastrēgumā, pusstundu nevarējām gatavot espresso dzērienus.",
            "Кофемашина сломалась в утренний час пик, полчаса не могли готовить напитки на эспрессо.",
            "Espresso machine broke down in the morning rush; no espresso drinks for half an hour.",
        ),
        (
            "Kartes terminālis nedarbojās, viesim nebija skaidras naudas.",
            "Не работал терминал, у гостя не было наличных.",
            "Card terminal was down and the guest had no cash.",
        ),
        (
            "Vitrīnas ledusskapis nedzesēja, kūkas nācās izņemt no pārdošanas.",
            "Витрина-холодильник не охлаждала, пирожные пришлось снять с продажи.",
            "Display fridge stopped cooling; cakes had to be taken off sale.",
        ),
    ),
    "billing": (
        (
            "Viesim divreiz noņēma naudu par vienu pasūtījumu.",
            "С гостя дважды списали деньги за один заказ.",
            "Guest was charged twice for one order.",
        ),
        (
            "Cena kasē neatbilda cenai ēdienkartē.",
            "Цена на кассе не совпала с ценой в меню.",
            "The price at the till did not match the menu.",
        ),
        (
            "Netika piemērota lojalitātes kartes atlaide.",
            "Не применилась скидка по карте лояльности.",
            "Loyalty-card discount was not applied.",
        ),
    ),
    "other": (
        (
            "Viesis sūdzējās par pārāk skaļu mūziku.",
            "Гость пожаловался на слишком громкую музыку.",
            "Guest complained that the music was too loud.",
        ),
        (
            "Viesim nepatika, ka terasē smēķē.",
            "Гостю не понравилось, что на террасе курят.",
            "Guest objected to people smoking on the terrace.",
        ),
        ("Bērnu krēsliņš bija salūzis.", "Детский стульчик был сломан.", "The high chair was broken."),
    ),
}
WAIT_MINUTES = (12, 15, 18, 20, 25, 30, 35, 40)  # every one reads right with "minūtes" / "минут"

ACTION_TAKEN = {
    "product-quality": (
        (
            "Pagatavojām jaunu dzērienu un atvainojāmies.",
            "Приготовили новый напиток и извинились.",
            "Made a fresh drink and apologised.",
        ),
        (
            "Atmaksājām naudu un piedāvājām citu desertu.",
            "Вернули деньги и предложили другой десерт.",
            "Refunded and offered another dessert.",
        ),
        (
            "Nomainījām porciju un iedevām kuponu nākamajai kafijai.",
            "Заменили порцию и дали купон на следующий кофе.",
            "Replaced the portion and gave a voucher for the next coffee.",
        ),
    ),
    "order-error": (
        (
            "Bez maksas pagatavojām pareizo pasūtījumu.",
            "Бесплатно приготовили правильный заказ.",
            "Made the right order free of charge.",
        ),
        ("Atvainojāmies un iedevām kuponu.", "Извинились и дали купон.", "Apologised and gave a voucher."),
    ),
    "wait-time": (
        (
            "Atvainojāmies, kafija uz mājas rēķina.",
            "Извинились, кофе за счёт заведения.",
            "Apologised; coffee on the house.",
        ),
        (
            "Maiņas vadītājs atvainojās un piedāvāja desertu.",
            "Старший смены извинился и предложил десерт.",
            "Shift lead apologised and offered a dessert.",
        ),
    ),
    "staff-behaviour": (
        (
            "Maiņas vadītājs atvainojās viesim un pārrunāja gadījumu ar darbinieku.",
            "Старший смены извинился перед гостем и поговорил с сотрудником.",
            "Shift lead apologised to the guest and talked to the colleague.",
        ),
        ("Nosūtījām atvainošanās vēstuli.", "Отправили письмо с извинениями.", "Sent a letter of apology."),
    ),
    "cleanliness": (
        ("Uzreiz sakopām un atvainojāmies.", "Сразу убрали и извинились.", "Cleaned up at once and apologised."),
        (
            "Papildinājām krājumus un ieviesām pārbaudi ik stundu.",
            "Пополнили запасы и ввели ежечасную проверку.",
            "Restocked and started hourly checks.",
        ),
    ),
    "equipment": (
        (
            "Izsaucām servisu, pa to laiku viesiem piedāvājām filtra kafiju bez maksas.",
            "Вызвали сервис, а пока бесплатно предлагали гостям фильтр-кофе.",
            "Called the service engineer; offered free filter coffee meanwhile.",
        ),
        (
            "Atvainojāmies, viesis vēlāk samaksāja ar pārskaitījumu.",
            "Извинились, гость позже оплатил переводом.",
            "Apologised; the guest paid by bank transfer later.",
        ),
    ),
    "billing": (
        ("Atmaksājām pārmaksāto summu.", "Вернули переплаченную сумму.", "Refunded the overcharge."),
        (
            "Izlabojām cenu kasē un atmaksājām starpību.",
            "Исправили цену в кассе и вернули разницу.",
            "Fixed the price in the till and refunded the difference.",
        ),
    ),
    "other": (
        ("Atvainojāmies un situāciju atrisinājām.", "Извинились и решили вопрос.", "Apologised and sorted it out."),
        (
            "Pateicāmies par atsauksmi un nodevām to vadītājam.",
            "Поблагодарили за отзыв и передали его управляющему.",
            "Thanked the guest and passed it on to the manager.",
        ),
    ),
}
PREVENTION = {
    "product-quality": (
        (
            "Pārbaudīt piena temperatūru ar termometru.",
            "Проверять температуру молока термометром.",
            "Check the milk temperature with a thermometer.",
        ),
        (
            "Marķēt konditorejas izstrādājumus ar cepšanas datumu.",
            "Маркировать выпечку датой выпекания.",
            "Label pastries with the baking date.",
        ),
    ),
    "order-error": (
        (
            "Pirms maksāšanas atkārtot pasūtījumu viesim.",
            "Повторять заказ гостю перед оплатой.",
            "Read the order back before payment.",
        ),
        ("Uz krūzes rakstīt piena veidu.", "Писать на стакане вид молока.", "Write the milk type on the cup."),
    ),
    "wait-time": (
        (
            "Pusdienu laikā otrs barists pie kases.",
            "В обед второй бариста на кассе.",
            "A second barista on the till at lunchtime.",
        ),
        (
            "Sastrēguma stundās maiņā viens cilvēks vairāk.",
            "В часы пик в смене на одного человека больше.",
            "One extra person on peak shifts.",
        ),
    ),
    "staff-behaviour": (
        (
            "Atkārtot noteikumu 30/30 maiņas sapulcē.",
            "Повторить правило 30/30 на планёрке.",
            "Go over the 30/30 rule at the shift briefing.",
        ),
    ),
    "cleanliness": (
        (
            "Pārbaudīt galdus ik pēc 30 minūtēm.",
            "Проверять столы каждые 30 минут.",
            "Check the tables every 30 minutes.",
        ),
    ),
    "equipment": (
        (
            "Kafijas automāta apkope reizi mēnesī.",
            "Обслуживание кофемашины раз в месяц.",
            "Service the espresso machine every month.",
        ),
    ),
    "billing": (
        (
            "Pēc katras ēdienkartes maiņas pārbaudīt cenas kasē.",
            "Сверять цены в кассе после каждой смены меню.",
            "Check the till prices after every menu change.",
        ),
    ),
    "other": (("Pārrunāt komandas sapulcē.", "Обсудить на командной встрече.", "Discuss at the team meeting."),),
}
# Who logs complaints, by café: (first name as they type it, the language they write in).
STAFF = {
    "riga-centre": (
        ("Anna", "lv"),
        ("Jānis", "lv"),
        ("Marta", "lv"),
        ("Ольга", "ru"),
        ("Kristaps", "lv"),
        ("Sam", "en"),
    ),
    "riga-mall": (("Дмитрий", "ru"), ("Laura", "lv"), ("Сергей", "ru"), ("Elīna", "lv"), ("Artūrs", "lv")),
    "jelgava": (("Agnese", "lv"), ("Mārtiņš", "lv"), ("Инга", "ru")),
}

# Employee survey.
WHY_NOT = (
    ("Alga neatbilst slodzei.", "Зарплата не соответствует нагрузке.", "The pay does not match the workload."),
    ("Pārāk daudz maiņu nedēļas nogalēs.", "Слишком много смен в выходные.", "Too many weekend shifts."),
    (
        "Maiņās trūkst cilvēku, vienmēr jāsteidzas.",
        "В сменах не хватает людей, вечная спешка.",
        "Shifts are understaffed; we are always rushing.",
    ),
    ("Grafiku uzzinām pārāk vēlu.", "График узнаём слишком поздно.", "We get the rota too late."),
)
IDEAS = (
    (
        "Otrs kafijas automāts tirdzniecības centrā.",
        "Вторая кофемашина в торговом центре.",
        "A second espresso machine in the mall.",
    ),
    (
        "Īsa sapulce pirms katras maiņas.",
        "Короткая планёрка перед каждой сменой.",
        "A short briefing before every shift.",
    ),
    ("Ēdienkarte angļu valodā pie kases.", "Меню на английском у кассы.", "An English menu at the till."),
    (
        "Vairāk apmācību jaunajiem par kafijas pagatavošanu.",
        "Больше обучения новичков приготовлению кофе.",
        "More coffee training for new colleagues.",
    ),
    (
        "Atsevišķa vieta tortu izsniegšanai.",
        "Отдельное место для выдачи тортов.",
        "A separate spot for handing out cake orders.",
    ),
    (
        "Plāksnīte ar alergēniem pie vitrīnas.",
        "Табличка с аллергенами у витрины.",
        "An allergen sign by the display case.",
    ),
    (
        "Ļaut baristiem pašiem izvēlēties sezonas dzērienu.",
        "Разрешить бариста самим выбирать сезонный напиток.",
        "Let the baristas choose the seasonal drink.",
    ),
)

# Journey-order survey.
ORDER_PROBLEMS = (
    (
        "Torte nebija gatava norunātajā laikā.",
        "Торт не был готов к назначенному времени.",
        "The cake was not ready at the agreed time.",
    ),
    ("Uzrakstā uz tortes bija kļūda.", "В надписи на торте была ошибка.", "Spelling mistake in the cake inscription."),
    ("Trūka vienas kūciņas.", "Не хватало одного пирожного.", "One pastry was missing."),
    (
        "Pasūtīju bez riekstiem, bet bija ar riekstiem.",
        "Заказывал без орехов, а были с орехами.",
        "I asked for no nuts, but there were nuts.",
    ),
)
ORDER_SUGGESTIONS_OLD = (
    ("Lapa telefonā ir neērta.", "Сайт неудобный на телефоне.", "The page is awkward on a phone."),
    ("Pārāk daudz lauku jāaizpilda.", "Слишком много полей нужно заполнять.", "Too many fields to fill in."),
)
ORDER_SUGGESTIONS = (
    (
        "Iespēja izvēlēties precīzu saņemšanas laiku.",
        "Возможность выбрать точное время получения.",
        "Let me pick an exact pick-up time.",
    ),
    ("Apstiprinājums īsziņā.", "Подтверждение по SMS.", "A confirmation by text message."),
    ("Vairāk tortu fotogrāfiju.", "Больше фотографий тортов.", "More photos of the cakes."),
    ("Maksāšana ar Apple Pay.", "Оплата через Apple Pay.", "Pay with Apple Pay."),
    ("Saglabāt iepriekšējos pasūtījumus.", "Сохранять прошлые заказы.", "Remember my previous orders."),
)

LANG_INDEX = {"lv": 0, "ru": 1, "en": 2}


def say(texts: tuple[str, str, str], lang: str) -> str:
    return texts[LANG_INDEX[lang]]


# ---- after-visit ---------------------------------------------------------------------

AFTER_VISIT_BASE = {"riga-centre": 72, "riga-mall": 56, "jelgava": 40}
AFTER_VISIT_LANGS = {
    "riga-centre": {"lv": 0.55, "ru": 0.30, "en": 0.15},
    "riga-mall": {"lv": 0.55, "ru": 0.38, "en": 0.07},
    "jelgava": {"lv": 0.78, "ru": 0.18, "en": 0.04},
}
NPS_OFFSET = {"riga-centre": 2, "riga-mall": -6, "jelgava": 8}
REASONS = {
    "riga-centre": {
        "coffee-to-go": 30,
        "breakfast": 15,
        "lunch": 20,
        "meeting": 15,
        "work-study": 12,
        "cake-pickup": 8,
    },
    "riga-mall": {"coffee-to-go": 40, "breakfast": 8, "lunch": 25, "meeting": 15, "work-study": 5, "cake-pickup": 7},
    "jelgava": {"coffee-to-go": 20, "breakfast": 20, "lunch": 20, "meeting": 25, "work-study": 5, "cake-pickup": 10},
}
REASON_HOURS = {  # (earliest, latest) local hour of the visit
    "coffee-to-go": (7.5, 18.5),
    "breakfast": (8.0, 11.5),
    "lunch": (11.5, 15.0),
    "meeting": (10.0, 20.5),
    "work-study": (9.0, 19.0),
    "cake-pickup": (10.0, 19.5),
}
SATISFACTION = {
    "promoter": {5: 66, 4: 29, 3: 5},
    "passive": {5: 20, 4: 60, 3: 17, 2: 3},
    "detractor": {5: 3, 4: 22, 3: 35, 2: 28, 1: 12},
}
EFFORT = {
    "promoter": {7: 50, 6: 35, 5: 10, 4: 4, 3: 1},
    "passive": {7: 20, 6: 40, 5: 25, 4: 10, 3: 4, 2: 1},
    "detractor": {7: 5, 6: 15, 5: 25, 4: 25, 3: 15, 2: 10, 1: 5},
}
EXPECTATIONS = {
    "promoter": {"exceeded": 40, "met": 57, "below": 3},
    "passive": {"exceeded": 8, "met": 80, "below": 12},
    "detractor": {"exceeded": 1, "met": 39, "below": 60},
}
ASPECT_MEAN = {"promoter": 4.6, "passive": 3.9, "detractor": 2.8}
ASPECT_OFFSET = {"coffee": 0.3, "food": 0.0, "cleanliness": 0.1, "speed": -0.4, "friendliness": 0.2}
RECOMMEND = {
    "promoter": {9: 45, 10: 55},
    "passive": {7: 40, 8: 60},
    "detractor": {0: 2, 1: 1, 2: 1, 3: 2, 4: 3, 5: 5, 6: 8},
}
IMPROVE_THEMES = {
    "queue": 8,
    "faster": 5,
    "seats": 6,
    "prices": 7,
    "lukewarm": 5,
    "vegan": 5,
    "ignored": 4,
    "tables": 4,
    "music": 3,
    "wifi": 2,
    "sold-out": 4,
    "wrong-drink": 3,
    "unfriendly": 3,
    "rarely-ten": 6,
    "terminal": 1,
    "soup": 2,
    "hours": 3,
    "toilet": 2,
    "loyalty": 3,
}


def target_nps(location: str, year: int, month: int, wiggle: float) -> float:
    return 30 + 14 * progress(year, month) - 13 * SUMMER_DIP.get((year, month), 0) + NPS_OFFSET[location] + wiggle


def after_visit_count(location: str, year: int, month: int, draw: Draw) -> int:
    if location == "jelgava" and (year, month) == (2025, 2):
        return 3
    if location == "jelgava" and (year, month) == (2026, 1):
        return 4
    growth = 1 + 0.10 * progress(year, month)
    mean = AFTER_VISIT_BASE[location] * SEASON[month] * growth * full_month_share(year, month)
    if location == "riga-centre" and month in (6, 7, 8):
        mean *= 1.08  # tourists
    return max(1, round(mean + draw.normal(0, math.sqrt(mean) * 0.6)))


def after_visit(draw: Draw) -> list[dict]:
    responses = []
    for year, month in MONTHS:
        f = progress(year, month)
        dip = SUMMER_DIP.get((year, month), 0)
        wiggle = draw.normal(0, 2.5)  # the month's own luck, shared by the cafés
        for location in LOCATIONS:
            count = after_visit_count(location, year, month, draw)
            nps = target_nps(location, year, month, wiggle) / 100
            groups = deck({"promoter": (0.70 + nps) / 2, "passive": 0.30, "detractor": (0.70 - nps) / 2}, count, draw)
            days = day_weights(survey_days(location, year, month))
            for group in groups:
                responses.append(after_visit_one(draw, location, group, f, dip, days))
    return responses


def after_visit_one(draw: Draw, location: str, group: str, f: float, dip: float, days: dict) -> dict:
    lang = draw.pick(AFTER_VISIT_LANGS[location])
    reason = draw.pick(REASONS[location])
    day = draw.pick(days)
    earliest, latest = REASON_HOURS[reason]
    visit = at(day, earliest + draw.uniform() * (latest - earliest))
    delay = 5 + draw.uniform() * 40 if draw.chance(0.7) else 60 + draw.uniform() * 300
    submitted = min(visit + dt.timedelta(minutes=delay), at(day, 23.9))
    answers: dict = {}

    recommend = draw.pick(RECOMMEND[group])
    answers["recommend"] = recommend
    if recommend < 9 and draw.chance(0.6 if group == "detractor" else 0.28):
        answers["improve"] = improve_text(draw, lang, location, dip)

    if draw.chance(0.97):
        satisfaction = draw.pick(SATISFACTION[group])
        if reason == "lunch" and location == "riga-mall" and satisfaction > 1 and draw.chance(0.15):
            satisfaction -= 1
        if reason in ("meeting", "cake-pickup") and satisfaction < 5 and draw.chance(0.12):
            satisfaction += 1
        answers["satisfaction"] = satisfaction

    if draw.chance(0.92):
        greeted = 0.80 + 0.12 * f - 0.09 * dip + {"riga-centre": 0.01, "riga-mall": -0.05, "jelgava": 0.05}[location]
        greeted += {"promoter": 0.04, "passive": -0.02, "detractor": -0.12}[group]
        answers["greeted"] = "yes" if draw.chance(min(greeted, 0.99)) else "no"

    if draw.chance(0.82):
        matrix = {}
        for item, offset in ASPECT_OFFSET.items():
            skip = 0.6 if item == "food" and reason == "coffee-to-go" else 0.2 if item == "food" else 0.05
            if draw.chance(skip):
                continue
            if item == "speed":
                offset += -0.5 * dip - (0.3 if location == "riga-mall" else 0.0) + 0.2 * f
            matrix[item] = draw.scale(ASPECT_MEAN[group] + offset, 0.7, 1, 5)
        if matrix:
            answers["aspects"] = matrix

    if draw.chance(0.93):
        expectations = draw.pick(EXPECTATIONS[group])
        answers["expectations"] = expectations
        if expectations != "met" and draw.chance(0.35):
            answers["stood_out"] = say(draw.pick(STOOD_OUT_GOOD if expectations == "exceeded" else STOOD_OUT_BAD), lang)

    if draw.chance(0.90):
        answers["effort"] = draw.pick(EFFORT[group])
    if draw.chance(0.90):
        answers["visit_reason"] = reason
    if draw.chance(0.78):
        liked = {
            "coffee": 35,
            "pastries": 25,
            "lunch": 30 if reason == "lunch" else 8,
            "atmosphere": 22 if location != "riga-mall" else 10,
            "staff": (14 + 10 * f) * (1.4 if group == "promoter" else 0.6),
            "speed": 4 if location == "riga-mall" else 8,
            "prices": 6,
        }
        chosen = set(draw.picks(liked, draw.pick({1: 35, 2: 40, 3: 25})))
        answers["liked"] = [choice for choice in liked if choice in chosen]  # in the survey's order
    if draw.chance({"promoter": 0.02, "passive": 0.04, "detractor": 0.10}[group]):
        answers["email"] = email_address(draw)
    return {"survey": "after-visit", "at": submitted, "lang": lang, "meta": {"location": location}, "answers": answers}


def improve_text(draw: Draw, lang: str, location: str, dip: float) -> str:
    themes = dict(IMPROVE_THEMES)
    if dip:
        themes.update(heat=14 * dip, queue=8 + 10 * dip, unfriendly=3 + 5 * dip)
    if location == "riga-mall":
        themes.update({"mall-noise": 5, "queue": themes["queue"] + 4})
    if location == "jelgava":
        themes.update(parking=4, hours=6)
    parts = [say(IMPROVE[theme], lang) for theme in draw.picks(themes, 2 if draw.chance(0.25) else 1)]
    if draw.chance(0.2):
        parts.append(say(draw.pick(IMPROVE_CLOSERS), lang))
    text = " ".join(parts)
    if draw.chance(0.08):
        text = text.lower().rstrip(".!")  # typed quickly on a phone
    return text


def email_address(draw: Draw) -> str:
    name = draw.pick(EMAIL_NAMES)
    style = draw.integer(0, 2)
    if style == 0:
        return f"guest{draw.integer(100, 999)}@example.com"
    if style == 1:
        return f"{name}.{chr(ord('a') + draw.integer(0, 25))}@example.org"
    return f"{name}{draw.integer(1, 99)}@mail.invalid"


# ---- journey-order -------------------------------------------------------------------


def journey_order(draw: Draw) -> list[dict]:
    responses = []
    for year, month in MONTHS:
        mean = {12: 28, 1: 15, 2: 17, 3: 19, 4: 21, 5: 23, 6: 24, 7: 20, 8: 21, 9: 22, 10: 22, 11: 23}[month]
        count = round((mean + draw.normal(0, 2.5)) * full_month_share(year, month))
        if (year, month) == (2025, 1):
            count = 3  # the ordering page was offline while the payment provider changed
        days = day_weights(
            [
                day
                for day in month_days(year, month)
                if is_open("riga-centre", day) and not ORDER_PAGE_OFFLINE[0] <= day <= ORDER_PAGE_OFFLINE[1]
            ]
        )
        for _ in range(count):
            location = draw.pick({"riga-centre": 0.45, "riga-mall": 0.30, "jelgava": 0.25})
            if location == "jelgava" and (year, month) == (2025, 2):
                location = "riga-centre"  # Jelgava's orders went to Rīga while it was closed
            day = draw.pick(days)
            submitted = at(day, 9 + draw.uniform() * 13)
            lang = draw.pick({"lv": 0.6, "ru": 0.3, "en": 0.1})
            new_page = day >= NEW_ORDER_PAGE
            answers: dict = {}
            if draw.chance(0.82):
                answers["order_date"] = (day - dt.timedelta(days=draw.integer(1, 9))).isoformat()
            answers["ease"] = draw.scale(6.0 if new_page else 5.1, 1.1, 1, 7)
            if draw.chance(0.96):
                ok = 0.93 + 0.04 * progress(year, month) - (0.04 if month == 12 else 0.0)
                answers["order_ok"] = "yes" if draw.chance(ok) else "no"
                if answers["order_ok"] == "no" and draw.chance(0.75):
                    answers["problem"] = say(draw.pick(ORDER_PROBLEMS), lang)
            if draw.chance(0.28):
                old = not new_page and draw.chance(0.5)
                answers["suggestion"] = say(draw.pick(ORDER_SUGGESTIONS_OLD if old else ORDER_SUGGESTIONS), lang)
            responses.append(
                {
                    "survey": "journey-order",
                    "at": submitted,
                    "lang": lang,
                    "meta": {"location": location},
                    "answers": answers,
                }
            )
    return responses


# ---- complaint-log -------------------------------------------------------------------

CHANNELS = {"in-person": 44, "phone": 10, "email": 14, "social-media": 10, "review-site": 12, "survey": 10}
CHANNEL_SPEED = {"in-person": 0.5, "phone": 0.8, "email": 1.5, "social-media": 1.3, "review-site": 2.0, "survey": 1.8}
"""Time to resolve relative to the month's typical time: a complaint at the counter is sorted out at once."""
CAUSES = {
    "product-quality": 20,
    "order-error": 19,
    "wait-time": 23,
    "staff-behaviour": 9,
    "cleanliness": 9,
    "equipment": 8,
    "billing": 7,
    "other": 5,
}
COMPLAINT_SHARE = {"riga-centre": 0.45, "riga-mall": 0.38, "jelgava": 0.17}


def complaints_rate(year: int, month: int) -> float:
    """Complaints a full month, all cafés: about 25, more in summer 2025, down to 20 over the last six months."""
    index = MONTHS.index((year, month))
    decline_from = len(MONTHS) - 6
    rate = 25.0 + 8 * SUMMER_DIP.get((year, month), 0) + (2 if month == 12 else 0)
    if index >= decline_from:
        rate = 25.0 - 5.0 * min(index - decline_from + 1, 5) / 5
    return rate


def fast_and_right(year: int, month: int) -> float:
    """0 before the "Fast and right" programme (May 2026), rising to 1 by its sixth month."""
    index, start = MONTHS.index((year, month)), MONTHS.index((2026, 5))
    return max(0.0, min(1.0, (index - start) / 5))


def complaint_log(draw: Draw) -> list[dict]:
    responses = []
    for year, month in MONTHS:
        f = progress(year, month)
        total = round((complaints_rate(year, month) + draw.normal(0, 1.0)) * full_month_share(year, month))
        causes = dict(CAUSES)
        fix = fast_and_right(year, month)
        causes["wait-time"] *= (1 + 0.6 * SUMMER_DIP.get((year, month), 0)) * (1 - 0.4 * fix)
        causes["order-error"] *= 1 - 0.35 * fix
        causes = {cause: weight / sum(causes.values()) for cause, weight in causes.items()}
        drafts = []
        for location, cause in zip(deck(COMPLAINT_SHARE, total, draw), deck(causes, total, draw), strict=False):
            days = day_weights([day for day in month_days(year, month) if is_open(location, day)])
            drafts.append(complaint_draft(draw, location, days, cause, f))
        # The month's times to resolve are spread evenly around its typical time (9 hours falling to 4.5;
        # nothing is resolved before 7:00, which makes the medians about an hour longer) and handed
        # out in the order of the channels' pace, so the monthly median follows the trend.
        typical_hours = 9.0 - 4.5 * f
        hours = sorted(typical_hours * math.exp(NormalDist(0, 0.9).inv_cdf((i + 0.5) / total)) for i in range(total))
        order = sorted(range(total), key=lambda i: drafts[i]["pace"])
        for rank, i in enumerate(order):
            responses.append(complaint_done(draw, drafts[i], hours[rank]))
    return [response for response in responses if response is not None]


def complaint_draft(draw: Draw, location: str, days: dict, cause: str, f: float) -> dict:
    logger, lang = draw.pick(STAFF[location])
    channel = draw.pick(CHANNELS)
    day = draw.pick(days)
    if channel == "in-person":
        opened = at(
            day,
            draw.pick(
                {
                    8.0: 3,
                    9.0: 3,
                    10.0: 2,
                    11.0: 2,
                    12.0: 4,
                    13.0: 4,
                    14.0: 2,
                    15.0: 2,
                    16.0: 2,
                    17.0: 2,
                    18.0: 1,
                    19.0: 1,
                }
            )
            + draw.uniform(),
        )
    else:
        opened = at(day, 7.5 + draw.uniform() * 15)
    opened = opened.replace(second=0)
    answers: dict = {"opened_at": local_minute(opened), "channel": channel}

    text = say(draw.pick(WHAT_HAPPENED[cause]), lang)
    answers["what_happened"] = text.replace("{n}", str(draw.pick(WAIT_MINUTES)))
    severity = {1: 28 + 6 * f, 2: 36, 3: 22 - 3 * f, 4: 11 - 3 * f, 5: 3 - f}
    if cause in ("product-quality", "equipment"):
        severity.update({4: severity[4] * 1.8, 5: severity[5] * 2})
    answers["severity"] = draw.pick(severity)
    if draw.chance(0.8):
        answers["affected_customers"] = (
            draw.integer(5, 40) if cause == "equipment" else draw.pick({1: 82, 2: 10, 3: 5, 4: 3})
        )
    if draw.chance(0.96):
        answers["root_cause"] = cause
    if draw.chance(0.88):
        answers["action_taken"] = say(draw.pick(ACTION_TAKEN[cause]), lang)
    if draw.chance(0.85):
        answers["customer_contacted"] = "yes" if draw.chance(0.68 + 0.20 * f) else "no"
    return {
        "location": location,
        "lang": lang,
        "logger": logger,
        "cause": cause,
        "opened": opened,
        "answers": answers,
        "pace": CHANNEL_SPEED[channel] * math.exp(draw.normal(0, 0.4)),
    }


def complaint_done(draw: Draw, draft: dict, hours: float) -> dict | None:
    answers, opened, lang = draft["answers"], draft["opened"], draft["lang"]
    resolved = None
    if draw.chance(0.96):
        resolved = opened + dt.timedelta(minutes=round(min(max(hours, 0.15), 72.0) * 60))
        if resolved.hour < 7:  # replies go out late in the evening at times, never in the small hours
            resolved = at(resolved.date(), 7 + draw.uniform()).replace(second=0)
        answers["resolved_at"] = local_minute(resolved)
    if draw.chance(0.5):
        answers["prevention"] = say(draw.pick(PREVENTION[draft["cause"]]), lang)
    if draw.chance(0.92):
        answers["logged_by"] = draft["logger"]
    # Logged once it is resolved (or at the end of the shift when it is not yet).
    logged = (resolved or opened) + dt.timedelta(minutes=10 + draw.uniform() * 170)
    if logged.date() > LAST_DAY:
        return None  # still open on the sample's last day: not in the log yet
    return {
        "survey": "complaint-log",
        "at": logged,
        "lang": lang,
        "meta": {"location": draft["location"]},
        "answers": answers,
    }


# ---- employee-annual -----------------------------------------------------------------

WAVES = {
    2025: {
        "days": (dt.date(2025, 11, 3), dt.date(2025, 12, 12)),
        "roles": {
            "riga-centre": {"manager": 1, "shift-lead": 2, "kitchen": 3, "barista": 6},
            "riga-mall": {"manager": 1, "shift-lead": 2, "kitchen": 2, "barista": 4},
            "jelgava": {"kitchen": 1, "barista": 1},
        },
        "means": {
            "standards_clear": 4.4,
            "standards_possible": 3.55,
            "training": 3.85,
            "tools": 3.4,
            "management_feedback": 3.8,
            "management_listens": 3.65,
        },
        "recommend": 0.68,
    },
    2026: {
        "days": (dt.date(2026, 11, 2), LAST_DAY),
        "roles": {
            "riga-centre": {"manager": 1, "shift-lead": 2, "kitchen": 3, "barista": 6, "other": 1},
            "riga-mall": {"manager": 1, "shift-lead": 2, "kitchen": 2, "barista": 5},
            "jelgava": {"manager": 1, "barista": 1},
        },
        "means": {
            "standards_clear": 4.7,
            "standards_possible": 3.95,
            "training": 4.05,
            "tools": 3.95,
            "management_feedback": 3.95,
            "management_listens": 3.9,
        },
        "recommend": 0.74,
    },
}
EMPLOYEE_OFFSET = {
    "riga-mall": {"standards_possible": -0.35, "tools": -0.2, "management_listens": -0.2},
    "jelgava": {"management_listens": 0.3, "management_feedback": 0.2},
}
YEARS = {"manager": (3, 9), "shift-lead": (2, 6), "kitchen": (0, 7), "barista": (0, 4), "other": (0, 3)}


HELP_MOST = {
    "barista": {"staffing": 5, "schedule": 3, "training": 2, "equipment": 2},
    "kitchen": {"equipment": 5, "staffing": 3, "schedule": 2, "training": 1},
    "shift-lead": {"staffing": 4, "training": 4, "schedule": 2, "equipment": 2},
    "manager": {"training": 4, "staffing": 3, "equipment": 2, "schedule": 1},
}
"""Weights by role of what would help most, for the ranking question (`help_most`): first by weight, and so on."""
CONSENT_VERSION = "2026-11"
"""The version of the text every employee agreed to (the survey's `consent` question is required)."""


def employee_annual(draw: Draw) -> list[dict]:
    # The ranking draws from its own stream, so adding it left every other sample answer as it was.
    priorities = Draw("employee-annual-help-most")
    responses = []
    for wave in WAVES.values():
        first, last = wave["days"]
        days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
        days = {
            day: (3 if day - first < dt.timedelta(days=7) else 1) * (0.3 if day.weekday() >= 5 else 1) for day in days
        }
        for location, roles in wave["roles"].items():
            for role, count in roles.items():
                for _ in range(count):
                    responses.append(employee_one(draw, priorities, wave, location, role, days))
    return responses


def employee_one(draw: Draw, priorities: Draw, wave: dict, location: str, role: str, days: dict) -> dict:
    lang = draw.pick({"lv": 0.65, "ru": 0.33, "en": 0.02})
    mood = draw.normal(0, 0.5)
    answers: dict = {}
    if draw.chance(0.88):
        answers["role"] = role
    if draw.chance(0.85):
        answers["years"] = draw.integer(*YEARS[role])
    for question, mean in wave["means"].items():
        mean += EMPLOYEE_OFFSET.get(location, {}).get(question, 0.0)
        answers[question] = draw.scale(mean + mood, 0.6, 1, 5)
    if draw.chance(0.95):
        answers["recommend_workplace"] = "yes" if draw.chance(wave["recommend"] + 0.3 * mood) else "no"
        if answers["recommend_workplace"] == "no" and draw.chance(0.6):
            answers["recommend_why_not"] = say(draw.pick(WHY_NOT), lang)
    if draw.chance(0.45):
        answers["ideas"] = say(draw.pick(IDEAS), lang)
    if priorities.chance(0.7):
        answers["help_most"] = priorities.picks(HELP_MOST.get(role, HELP_MOST["barista"]), len(HELP_MOST["barista"]))
    answers["consent"] = CONSENT_VERSION
    # An anonymous survey keeps only the day: the moment is local midnight, as the store keeps it.
    return {
        "survey": "employee-annual",
        "at": at(draw.pick(days), 0),
        "lang": lang,
        "meta": {"location": location},
        "answers": answers,
    }


# ---- orders.csv ----------------------------------------------------------------------


def orders(draw: Draw) -> list[tuple[str, dt.datetime]]:
    """Loyalty-card purchases: many try the card once, regulars come back at their own pace."""
    rows: list[tuple[str, dt.datetime]] = []
    holders: list[tuple[str, float]] = []  # (card, purchases a month)
    number = 1000
    for year, month in MONTHS:
        days = [day for day in month_days(year, month) if is_open("riga-centre", day)]
        boost = 1.25 if dt.date(year, month, 1) >= STAMP_CARD else 1.0
        share = full_month_share(year, month)
        counts: list[tuple[str, int]] = []
        for card, pace in holders:
            counts.append((card, draw.poisson(pace * boost * share)))
        joining = round((160 if (year, month) == (2024, 12) else 55 + draw.normal(0, 6)) * share)
        for _ in range(joining):
            number += 1
            card = f"card-{number}"
            pace = 0.03 if draw.chance(0.45) else 0.5 * math.exp(draw.normal(0, 0.6))
            holders.append((card, pace))
            counts.append((card, 1 + draw.poisson(pace * boost * share * 0.5)))  # the first purchase, with the new card
        for card, count in counts:
            for _ in range(count):
                rows.append((card, at(draw.pick(days), 7.5 + draw.uniform() * 13).replace(second=0)))
        holders = [(card, pace) for card, pace in holders if not draw.chance(0.08)]  # moved away, lost the card
    rows.sort(key=lambda row: (row[1], row[0]))
    return rows


RECEIPTS_BASE = {"riga-centre": 92, "riga-mall": 72, "jelgava": 47}
"""Receipts on an ordinary weekday, before the season and the growth of the business."""


def receipts(draw: Draw) -> list[tuple[dt.date, str, int]]:
    """(day, café, receipts printed) for every day of the sample, 0 on days a café was closed."""
    rows = []
    for year, month in MONTHS:
        growth = 1 + 0.10 * progress(year, month)
        for day in month_days(year, month):
            for location in LOCATIONS:
                mean = RECEIPTS_BASE[location] * SEASON[month] * growth * (1.35 if day.weekday() >= 5 else 1.0)
                rows.append((day, location, draw.poisson(mean) if is_open(location, day) else 0))
    return rows


# ---- output --------------------------------------------------------------------------


# ---- case steps ----------------------------------------------------------------------

CASE_NOTES = {
    "contacted": (
        ("Piezvanīju viesim un atvainojos.", "Позвонил(а) гостю и извинился(ась).", "Called the guest and apologised."),
        ("Atbildēju e-pastā.", "Ответил(а) по электронной почте.", "Replied by e-mail."),
    ),
    "resolved": (
        (
            "Cēlonis: rinda pie kases. Izdarīts: kafija par brīvu. Novērsīs: otrs kasieris brīvdienās.",
            "Причина: очередь на кассе. Сделано: кофе бесплатно. Предотвратит: второй кассир в выходные.",
            "Root cause: the queue at the till. Done: a free coffee. Prevents it: a second cashier at weekends.",
        ),
        (
            "Cēlonis: kļūda pasūtījumā. Izdarīts: jauns pasūtījums. Novērsīs: pasūtījumu nolasa skaļi.",
            "Причина: ошибка в заказе. Сделано: новый заказ. Предотвратит: заказ повторяют вслух.",
            "Root cause: a wrong order. Done: a new order. Prevents it: orders are read back aloud.",
        ),
    ),
    "dismissed": (("Viesis atbildi negaida.", "Гость не ждёт ответа.", "The guest expects no reply."),),
}
"""Notes staff write on each step (the complaint log's resolution note names its root cause, action, prevention)."""
MANAGERS = {"riga-centre": "Ilze", "riga-mall": "Jānis", "jelgava": "Marta"}


def case_steps(lines: list[dict], draw: Draw) -> list[dict]:
    """The later steps of the cases the sample's answers open (complaint-log entries; after-visit detractors who
    left an e-mail), as `sitegen cases import` reads them; a step after the sample's last day is not taken yet."""
    steps = []
    end = dt.datetime.combine(LAST_DAY + dt.timedelta(days=1), dt.time(), ZONE)
    for line in lines:
        answers = line["answers"]
        if line["survey"] == "complaint-log":
            took = complaint_hours(answers)
            if took is None:
                continue  # not resolved yet: the case stays open
        elif line["survey"] == "after-visit" and answers.get("recommend", 10) <= 6 and "email" in answers:
            took = 4 + draw.uniform() * 60 if draw.chance(0.93) else None
        else:
            continue
        opened = dt.datetime.fromisoformat(line["submitted_at"].replace("Z", "+00:00"))
        who = MANAGERS[line["meta"]["location"]]
        lang = line["lang"]
        if took is None:
            taken = [("dismissed", opened + dt.timedelta(hours=1 + draw.uniform() * 20))]
        else:
            contacted = opened + dt.timedelta(hours=took * (0.2 + 0.3 * draw.uniform()))
            taken = [("contacted", contacted), ("resolved", opened + dt.timedelta(hours=took))]
        for step, moment in taken:
            if moment >= end:
                break
            steps.append(
                {
                    "response": line["id"],
                    "step": step,
                    "who": who,
                    "at": moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "note": say(draw.pick(CASE_NOTES[step]), lang),
                }
            )
    return steps


def complaint_hours(answers: dict) -> float | None:
    """Hours from receiving a complaint to resolving it, as its log entry gives them (None: not resolved)."""
    if "resolved_at" not in answers:
        return None
    opened, resolved = (dt.datetime.fromisoformat(answers[key]) for key in ("opened_at", "resolved_at"))
    return (resolved - opened).total_seconds() / 3600


def numbered(responses: list[dict], survey: str) -> list[dict]:
    """Interchange lines in time order, with ids sample-<survey>-000001, ..."""
    responses.sort(
        key=lambda response: (response["at"], json.dumps(response["answers"], sort_keys=True, ensure_ascii=False))
    )
    lines = []
    for index, response in enumerate(responses, start=1):
        lines.append(
            {
                "id": f"sample-{survey}-{index:06d}",
                "survey": survey,
                "submitted_at": utc_text(response["at"]),
                "lang": response["lang"],
                "meta": response["meta"],
                "answers": response["answers"],
            }
        )
    return lines


def main() -> None:
    generators = {
        "after-visit": after_visit,
        "journey-order": journey_order,
        "complaint-log": complaint_log,
        "employee-annual": employee_annual,
    }
    lines = []
    counts = Counter()
    for survey, generate in generators.items():
        survey_lines = numbered(generate(Draw(survey)), survey)
        counts[survey] = len(survey_lines)
        lines += survey_lines
    lines.sort(key=lambda line: (line["submitted_at"], line["id"]))
    with RESPONSES_FILE.open("w", encoding="utf-8", newline="\n") as out:
        for line in lines:
            out.write(json.dumps(line, sort_keys=True, ensure_ascii=False, separators=(", ", ": ")) + "\n")

    steps = case_steps(lines, Draw("case-steps"))
    with CASE_STEPS_FILE.open("w", encoding="utf-8", newline="\n") as out:
        for step in steps:
            out.write(json.dumps(step, sort_keys=True, ensure_ascii=False, separators=(", ", ": ")) + "\n")

    order_rows = orders(Draw("orders"))
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(("customer", "ordered_at"))
    writer.writerows((card, moment.strftime("%Y-%m-%dT%H:%M:%S")) for card, moment in order_rows)
    ORDERS_FILE.write_bytes(text.getvalue().encode("utf-8"))

    receipt_rows = receipts(Draw("receipts"))
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(("date", "location", "count"))
    writer.writerows((day.isoformat(), location, count) for day, location, count in receipt_rows)
    RECEIPTS_FILE.write_bytes(text.getvalue().encode("utf-8"))

    for survey in generators:
        print(f"{survey}: {counts[survey]} responses", file=sys.stderr)
    print(f"{RESPONSES_FILE.name}: {len(lines)} responses (synthetic)", file=sys.stderr)
    print(f"{CASE_STEPS_FILE.name}: {len(steps)} case steps (synthetic)", file=sys.stderr)
    print(
        (
            f"{ORDERS_FILE.name}: {len(order_rows)} orders by {len({card for card, _ in order_rows})} card holders "
            "(synthetic)"
        ),
        file=sys.stderr,
    )
    print(f"{RECEIPTS_FILE.name}: {sum(row[2] for row in receipt_rows)} receipts (synthetic)", file=sys.stderr)


if __name__ == "__main__":
    main()
