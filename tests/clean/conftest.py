from tests.stagekit import write_dump  # noqa: F401  (fixture)
