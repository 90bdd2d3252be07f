"""Months are the unit of work: every ZUS, tax and summary item belongs to one month."""

import dagster as dg

PERIOD_FORMAT = "%Y-%m"

monthly = dg.MonthlyPartitionsDefinition(
    start_date="2020-01",
    fmt=PERIOD_FORMAT,
    timezone="Europe/Warsaw",
    end_offset=1,  # the current month is open for syncing while its figures are being booked
)
