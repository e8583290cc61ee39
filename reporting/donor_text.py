"""What a donor's report says, as msgids (English; French in the catalogs). Every
environmental figure is an estimate and says so; nothing claims neutrality, offsetting
or a "green" product."""

from __future__ import annotations

from db.errors import N_

TITLE = N_("Reuse and environmental impact report")
PERIOD = N_("From %(start)s to %(end)s")
ISSUED_ON = N_("Report issued on %(date)s")
FOOTER = N_("Reuse and environmental impact report — %(donor)s")
LEDGER = N_("Ledger: entry %(seq)s, hash %(hash)s")
PAGE = N_("Page %(page)s / %(pages)s")

HEADINGS = {
    "devices": N_("What became of the devices given"),
    "publics": N_("Devices reused, by the public the receiving structures serve"),
    "impact": N_("Estimated environmental impact of reuse"),
    "per_year": N_("Estimated impact per year of use"),
    "certificates": N_("Certificates of data erasure"),
    "sources": N_("Sources"),
}

CATEGORY = N_("Category")
TOTAL = N_("Total")
DEVICE_COLUMNS = (
    N_("Devices received"),
    N_("Devices refurbished"),
    N_("Devices reused"),
    N_("Devices dismantled for parts"),
    N_("Devices recycled (WEEE)"),
)
HARVESTED = N_("Parts harvested from the dismantled devices, to repair others: %(count)s.")
RETURNED = N_(
    "Handed over in the period, then returned under warranty (not counted as reused): %(count)s."
)
LOST = N_("Lost in the period (not counted as reused, dismantled or recycled): %(count)s.")
PERIOD_RULE = N_(
    "How the period applies: devices received by the pickup date of their batch; "
    "refurbished by the end of their refurbishment; reused by the date they were handed "
    "over to a structure; dismantled, recycled and lost by the date they reached that "
    "status; certificates by their date of issue."
)
NO_DEVICE = N_("None of this donor's devices is concerned by the period.")

PUBLIC = N_("Public served")
DEVICES_REUSED = N_("Devices reused")
PUBLICS_NOTE = N_(
    "Structures are grouped by the public they serve: no structure and no person is named."
)
PUBLIC_NOT_STATED = N_("Not stated by the structure")
NO_REUSE = N_("No device was reused in the period.")

METHOD = N_(
    "Method: each reused device is assumed to replace the purchase of a new device of the "
    "same category, whose manufacturing and distribution footprint is counted as avoided "
    "(ADEME Impact CO2, %(vintage)s values)."
)
FACTOR_PER_DEVICE = N_("Factor per device")
ESTIMATED_AVOIDED = N_("Estimated avoided")
ABOUT = N_("about %(amount)s %(unit)s")
IMPACT_TOTAL = N_("Estimated total avoided: %(amount)s.")
INDICATOR = N_("Indicator")
DEVICES_COUNTED = N_("Devices counted")
ESTIMATED_PER_YEAR = N_("Estimated, per year of use")
PER_YEAR_NOTE = N_(
    "Figures per year of use compare a refurbished device used instead of a new one, for "
    "each year it is used (see their sources below): they are not multiplied by an assumed "
    "length of use, and are not to be added to the total above."
)
NOT_COUNTED = N_("Not counted, for lack of a factor: %(devices)s.")
ROUNDING = N_(
    "Amounts are computed exactly from the factors, then rounded to the kilogram (e-waste: "
    "to 0.1 kg); a total may differ by one unit from the sum of its rounded lines."
)
ESTIMATES = N_(
    "These figures are estimates made with average factors for new devices of each "
    "category: they are not a measurement of the devices given, and are not to be deducted "
    "from any other emission."
)

FACTORS_HEADING = N_("Factors used: version %(version)s")
FACTOR = N_("Factor")
VALUE = N_("Value")
SOURCE = N_("Source")
VINTAGE = N_("Vintage")

COVERS_BATCH = N_("Batch no. %(id)s")
COVERS_DEVICE = N_("Device %(code)s")
CERTIFICATE_COLUMNS = (
    N_("Verification code"),
    N_("Covers"),
    N_("Issued on"),
    N_("Devices"),
    N_("Waiting for erasure"),
)
CERTIFICATES_NOTE = N_("Anyone can check a certificate with its verification code at %(url)s.")
NO_CERTIFICATE = N_("No certificate of data erasure was issued in the period.")
