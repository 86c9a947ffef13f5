"""Sample areas and measures shared by the store tests (conformance, SQLite, PostgreSQL, I/O)."""

from __future__ import annotations

from shapely.geometry import MultiPolygon, Polygon, box

from lagesbild_geo.errors import ValidationError
from lagesbild_geo.measures import MeasureStore

# ~1.1 km x 0.56 km rectangle in Exempelstad (lon/lat)
SQUARE = Polygon([(17.10, 59.37), (17.12, 59.37), (17.12, 59.375), (17.10, 59.375)])
TWO = MultiPolygon([box(17.13, 59.38, 17.14, 59.385), box(17.15, 59.38, 17.16, 59.385)])
BOWTIE = "POLYGON ((17.10 59.37, 17.12 59.38, 17.12 59.37, 17.10 59.38, 17.10 59.37))"


def fields(exc: ValidationError) -> list[str]:
    return [f for f, _, _ in exc.problems]


def fill(store: MeasureStore) -> MeasureStore:
    """Three areas (one without measures), four measures (one deleted)."""
    a = store.add_area(name="Stationsområdet", geometry=SQUARE, description="Kvällar, helger",
                       source_cells=[0x89089A4C263FFFF, "89089a4c267ffff"], source_cluster="c7",
                       drawn_kommun="9999", drawn_dataset="sha256:" + "ab" * 32,
                       drawn_dataset_label="incidents.csv (1 januari 2024–31 december 2025)")
    b = store.add_area(name="Centrum", geometry=TWO)
    store.add_area(name="Tomt område", geometry=SQUARE.buffer(0.002))
    store.add_measure(area_id=a.id, title="Belysning i tunneln",
                      target_categories=["ran", "vald"], description="LED-armaturer",
                      problem="Mörkt", cause_tags=["belysning"], responsible="forvaltning",
                      partners=["Polisen", "Bostadsbolaget"], start_date="2024-03-01",
                      end_date="2024-12-31", status="pågående", indicator="Rån per månad",
                      next_followup="2024-09-01", cost=125000.5, agreement="Samverkan 2024")
    store.add_measure(area_id=a.id, title="Väktare", target_categories=["stold"],
                      start_date="2024-01-15", status="genomförd", responsible="naringsliv")
    store.add_measure(area_id=b.id, title="Klotterplank", target_categories=["skadegorelse"],
                      status="planerad")
    gone = store.add_measure(area_id=b.id, title="Struken", target_categories=["brand"],
                             status="avbruten")
    store.delete_measure(gone.id)
    return store
