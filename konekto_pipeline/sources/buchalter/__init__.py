"""Buchalter (GrafSoft): a folder of dBASE files per company, read directly."""
