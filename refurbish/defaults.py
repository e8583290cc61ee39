"""The checklists Remise ships with, per category: what a refurbishing workshop checks.

Plain data (the step model is in `refurbish.checklists`). Computers get a maintained
Linux distribution; phones a factory reset, their OS version noted, and their
Google (FRP) or iCloud lock removed, without which nobody else can use them.
"""

from __future__ import annotations

from typing import Any

from db.enums import Category

Step = dict[str, Any]


def yes_no(key: str, fr: str, en: str, *, required: bool = True) -> Step:
    return {"key": key, "kind": "yes_no", "required": required, "label": {"fr": fr, "en": en}}


def measure(key: str, fr: str, en: str, unit: str, low: float, high: float) -> Step:
    return {
        "key": key,
        "kind": "measure",
        "required": True,
        "unit": unit,
        "min": low,
        "max": high,
        "label": {"fr": fr, "en": en},
    }


def choice(key: str, fr: str, en: str, options: list[tuple[str, str, str, bool]]) -> Step:
    return {
        "key": key,
        "kind": "choice",
        "required": True,
        "label": {"fr": fr, "en": en},
        "options": [
            {"key": k, "label": {"fr": f, "en": e}, "passes": passes} for k, f, e, passes in options
        ],
    }


def note(key: str, fr: str, en: str, *, required: bool = False) -> Step:
    return {"key": key, "kind": "note", "required": required, "label": {"fr": fr, "en": en}}


PHOTO: Step = {
    "key": "photo",
    "kind": "photo",
    "required": False,
    "label": {
        "fr": "Photo (défaut visible, état général)",
        "en": "Photo (visible defect, overall)",
    },
}
NOTES = note("notes", "Remarques", "Notes")
CLEANING = yes_no(
    "cleaning", "Nettoyage effectué (boîtier, écran, clavier)", "Cleaned (casing, screen, keyboard)"
)
CASING = choice(
    "casing",
    "État du boîtier",
    "Casing condition",
    [
        ("good", "Bon état", "Good", True),
        ("worn", "Traces d'usure", "Signs of wear", True),
        ("damaged", "Abîmé (fissure, charnière cassée)", "Damaged (crack, broken hinge)", False),
    ],
)
SCREEN = choice(
    "screen",
    "État de l'écran",
    "Screen condition",
    [
        ("perfect", "Parfait", "Perfect", True),
        ("scratches", "Rayures légères", "Light scratches", True),
        ("cracked", "Fêlé ou cassé", "Cracked or broken", False),
    ],
)
DEAD_PIXELS = yes_no("no_dead_pixels", "Aucun pixel mort", "No dead pixels")
BACKLIGHT = yes_no("backlight", "Rétroéclairage uniforme", "Even backlight")
STORAGE = choice(
    "storage_health",
    "Santé du stockage (SMART)",
    "Storage health (SMART)",
    [
        ("good", "Bonne", "Good", True),
        ("warning", "À surveiller (secteurs réalloués)", "Watch (reallocated sectors)", True),
        ("failing", "Défaillant : à remplacer", "Failing: replace it", False),
    ],
)
LINUX = choice(
    "os_install",
    "Système installé",
    "Operating system installed",
    [
        ("emmabuntus", "Emmabuntüs", "Emmabuntüs", True),
        ("linux_mint", "Linux Mint", "Linux Mint", True),
        ("debian", "Debian", "Debian", True),
        ("ubuntu", "Ubuntu", "Ubuntu", True),
        ("none", "Aucun (à installer)", "None (to install)", False),
    ],
)
AUDIO = yes_no("audio", "Haut-parleurs et micro", "Speakers and microphone")
WIFI = yes_no("wifi", "Wi-Fi", "Wi-Fi")
BLUETOOTH = yes_no("bluetooth", "Bluetooth", "Bluetooth", required=False)
FACTORY_RESET = yes_no("factory_reset", "Réinitialisation d'usine faite", "Factory reset done")
OS_VERSION = note(
    "os_version",
    "Version du système (ex. Android 13)",
    "OS version (e.g. Android 13)",
    required=True,
)
ACCOUNT_LOCK = yes_no(
    "account_lock_removed",
    "Compte Google (FRP) ou iCloud retiré",
    "Google (FRP) or iCloud lock removed",
)
CHARGER = yes_no("charger_included", "Chargeur fourni", "Charger included")
# The battery's health is measured here and judged by grading (a phone under 80 % gets
# no grade until its battery is replaced; a laptop under 60 % is not A): any reading
# from 0 to 100 % is a measure, and the reasons the grade gives name it.
PHONE_BATTERY = measure("battery_health", "Santé de la batterie", "Battery health", "%", 0, 100)

DEFAULTS: dict[Category, list[Step]] = {
    Category.LAPTOP: [
        CLEANING,
        CASING,
        SCREEN,
        DEAD_PIXELS,
        BACKLIGHT,
        yes_no("keyboard", "Toutes les touches fonctionnent", "Every key works"),
        yes_no("touchpad", "Pavé tactile et clics", "Touchpad and buttons"),
        yes_no("usb_ports", "Ports USB", "USB ports"),
        yes_no("video_out", "Sortie vidéo (HDMI, VGA)", "Video output (HDMI, VGA)", required=False),
        AUDIO,
        yes_no("webcam", "Webcam", "Webcam", required=False),
        WIFI,
        BLUETOOTH,
        measure("battery_health", "Santé de la batterie", "Battery health", "%", 0, 100),
        STORAGE,
        LINUX,
        CHARGER,
        NOTES,
        PHOTO,
    ],
    Category.DESKTOP: [
        CLEANING,
        CASING,
        yes_no("usb_ports", "Ports USB", "USB ports"),
        yes_no("video_out", "Sorties vidéo", "Video outputs"),
        yes_no("network", "Réseau filaire (Ethernet)", "Wired network (Ethernet)"),
        yes_no("audio", "Sortie audio", "Audio output", required=False),
        yes_no("wifi", "Wi-Fi (carte ou clé)", "Wi-Fi (card or dongle)", required=False),
        STORAGE,
        LINUX,
        yes_no("power_cable", "Câble d'alimentation fourni", "Power cable included"),
        NOTES,
        PHOTO,
    ],
    Category.SMARTPHONE: [
        CLEANING,
        CASING,
        SCREEN,
        yes_no("touch", "Tactile sur tout l'écran", "Touch works on the whole screen"),
        yes_no("buttons", "Boutons (marche, volume)", "Buttons (power, volume)"),
        yes_no("charging_port", "Charge par le port", "Charges through its port"),
        AUDIO,
        yes_no("cameras", "Appareils photo avant et arrière", "Front and back cameras"),
        WIFI,
        BLUETOOTH,
        yes_no("cellular", "Réseau mobile (carte SIM de test)", "Mobile network (test SIM)"),
        PHONE_BATTERY,
        FACTORY_RESET,
        OS_VERSION,
        ACCOUNT_LOCK,
        yes_no("charger_included", "Chargeur fourni", "Charger included", required=False),
        NOTES,
        PHOTO,
    ],
    Category.TABLET: [
        CLEANING,
        CASING,
        SCREEN,
        yes_no("touch", "Tactile sur tout l'écran", "Touch works on the whole screen"),
        yes_no("buttons", "Boutons (marche, volume)", "Buttons (power, volume)"),
        yes_no("charging_port", "Charge par le port", "Charges through its port"),
        AUDIO,
        yes_no("cameras", "Appareils photo", "Cameras", required=False),
        WIFI,
        PHONE_BATTERY,
        FACTORY_RESET,
        OS_VERSION,
        ACCOUNT_LOCK,
        CHARGER,
        NOTES,
        PHOTO,
    ],
    Category.BASIC_PHONE: [
        CLEANING,
        CASING,
        yes_no("screen_readable", "Écran lisible", "Screen readable"),
        yes_no("keypad", "Toutes les touches", "Every key"),
        yes_no("charging_port", "Charge par le port", "Charges through its port"),
        yes_no("call_test", "Appel test (émis et reçu)", "Test call (made and received)"),
        PHONE_BATTERY,
        FACTORY_RESET,
        CHARGER,
        NOTES,
    ],
    Category.OTHER: [
        CLEANING,
        CASING,
        yes_no("works", "Fonctionne", "Works"),
        NOTES,
        PHOTO,
    ],
}
