"""The office's settings for Mała Księgowość „Rzeczpospolitej” (`programs.mala_ksiegowosc`)."""

from konekto_pipeline.sources.files.program import FileProgram


class MalaKsiegowoscProgram(FileProgram):
    """Where MK RP keeps its data, as the office writes it (Windows, UNC or POSIX paths).

    `folder` is the data folder (the one holding FIRMY.DBF). When it is not set, the data folder
    named in the program's options file (`options_file`, default `C:\\MK\\MK.INI`) is used, and
    when that file does not exist or names none, `C:\\MK\\Biuro`.
    """

    folder: str | None = None
    options_file: str | None = None
