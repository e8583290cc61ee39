"""Checks on identifiers that donors and workshops type: IMEI and SIRET (both Luhn)."""

from __future__ import annotations


def luhn_check_digit(digits: str) -> str:
    """The digit that makes `digits` + it pass the Luhn check."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def luhn_valid(digits: str) -> bool:
    return digits.isdigit() and len(digits) > 1 and luhn_check_digit(digits[:-1]) == digits[-1]


def normalise_imei(text: str) -> str:
    """Digits only: scanners and spreadsheets add spaces, hyphens or slashes."""
    return "".join(ch for ch in text if ch.isdigit())


def imei_valid(text: str) -> bool:
    """15 digits whose last is the Luhn check digit of the first 14."""
    digits = normalise_imei(text)
    return len(digits) == 15 and luhn_valid(digits)


def siret_valid(text: str) -> bool:
    """14 digits passing the Luhn check (La Poste's SIRETs follow another rule)."""
    digits = "".join(ch for ch in text if not ch.isspace())
    if len(digits) != 14 or not digits.isdigit():
        return False
    if digits.startswith("356000000"):  # La Poste: the digit sum is a multiple of 5
        return sum(int(d) for d in digits) % 5 == 0
    return luhn_valid(digits)
