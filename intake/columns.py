"""The columns of an asset list: which header names which device field.

Donors export their lists from Excel, GLPI, Snipe-IT or OCS Inventory, in French or
English. A header is matched exactly once normalised (lower case, no accents, runs of
punctuation and spaces made one space): a column we cannot name for sure stays an
attribute of the device rather than being guessed.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from db.errors import N_

FIELDS: tuple[str, ...] = (
    "category",
    "brand",
    "model",
    "serial",
    "imei",
    "asset_tag",
    "purchase_date",
    "description",
)

# What a volunteer reads for each field, in messages about columns.
FIELD_LABELS: dict[str, str] = {
    "category": N_("category"),
    "brand": N_("brand"),
    "model": N_("model"),
    "serial": N_("serial number"),
    "imei": N_("IMEI"),
    "asset_tag": N_("inventory number"),
    "purchase_date": N_("purchase date"),
    "description": N_("description"),
}

# Headers as people and tools write them. Left out on purpose, because they are
# ambiguous and a wrong guess would either misfile a value or make two columns clash:
# "Nom"/"Name" (a host name), "Référence", "Désignation", "Libellé", "Model No."
# (Snipe-IT's model number, next to its "Model"), "IMEI 2", "N° d'immobilisation".
_HEADERS: dict[str, tuple[str, ...]] = {
    "category": (
        "Catégorie",
        "Categorie",
        "Catégorie de matériel",
        "Type",
        "Type de matériel",
        "Type d'appareil",
        "Type d'équipement",
        "Type d'ordinateur",
        "Type de téléphone",
        "Category",
        "Device type",
        "Asset type",
        "Equipment type",
        "Computer type",
        "Phone type",
        "Famille",
        "Famille de matériel",
    ),
    "brand": (
        "Marque",
        "Fabricant",
        "Constructeur",
        "Marque / Fabricant",
        "Manufacturer",
        "Manufacturer name",
        "Brand",
        "Make",
        "SMANUFACTURER",
    ),
    "model": (
        "Modèle",
        "Modele",
        "Nom du modèle",
        "Référence modèle",
        "Modèle d'ordinateur",
        "Modèle de téléphone",
        "Model",
        "Model name",
        "Computer model",
        "Phone model",
        "SMODEL",
    ),
    "serial": (
        "N° de série",
        "N° série",
        "Nº de série",
        "No de série",
        "No série",
        "Num série",
        "Num de série",
        "Numéro de série",
        "Numéro série",
        "Numero de serie",
        "Numéro de série constructeur",
        "Serial",
        "Serial number",
        "Serial No",
        "Serial #",
        "Serial num",
        "SerialNumber",
        "S/N",
        "SN",
        "SSN",
        "Service tag",
    ),
    "imei": (
        "IMEI",
        "IMEI 1",
        "IMEI1",
        "N° IMEI",
        "No IMEI",
        "Num IMEI",
        "Numéro IMEI",
        "IMEI number",
        "IMEI / MEID",
    ),
    "asset_tag": (
        "N° d'inventaire",
        "N° inventaire",
        "No d'inventaire",
        "No inventaire",
        "Num inventaire",
        "Numéro d'inventaire",
        "Numéro inventaire",
        "Inventaire",
        "Code inventaire",
        "Étiquette",
        "Asset tag",
        "Asset tag number",
        "AssetTag",
        "Asset number",
        "Asset No",
        "Inventory number",
        "Inventory No",
        "Inventory tag",
        "Tag",
    ),
    "purchase_date": (
        "Date d'achat",
        "Date achat",
        "Date d'achat (jj/mm/aaaa)",
        "Date d'acquisition",
        "Date de mise en service",
        "Purchase date",
        "Date of purchase",
        "Acquisition date",
    ),
    "description": (
        "Description",
        "Commentaire",
        "Commentaires",
        "Remarque",
        "Remarques",
        "Observation",
        "Observations",
        "Note",
        "Notes",
        "Comment",
        "Comments",
        "Remarks",
    ),
}

_SEPARATORS = re.compile(r"[\W_]+")


# A file repeats a handful of headers and category names on every row: read each once.
# Bounded, since a category cell may hold anything.
@lru_cache(maxsize=1024)
def normalise_header(text: str) -> str:
    """Lower case, unaccented, punctuation and spaces as one: "N° de série" -> "n de serie"."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SEPARATORS.sub(" ", bare.casefold()).strip()


SYNONYMS: dict[str, str] = {
    normalise_header(header): field for field, headers in _HEADERS.items() for header in headers
}


def field_for(header: str) -> str | None:
    """The canonical field a header names, or None when the column is not one of ours."""
    return SYNONYMS.get(normalise_header(header))
