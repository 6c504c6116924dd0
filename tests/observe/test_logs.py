"""One log format: the dictConfig `serve` hands to granian sends bondfloor's, granian's and
the access log's lines through one handler, as text or one JSON object a line."""

from __future__ import annotations

import json
import logging
import logging.config
from collections.abc import Iterator

import pytest

from server.config import LoggingSettings
from server.observe.logs import logging_dictconfig


@pytest.fixture
def captured(capsys: pytest.CaptureFixture[str]) -> Iterator[pytest.CaptureFixture[str]]:
    """The handler writes to stderr (captured); the loggers are put back after."""
    names = ["", "_granian", "granian.access", "uvicorn", "uvicorn.access", "bondfloor"]
    saved = {
        n: (
            logging.getLogger(n).handlers[:],
            logging.getLogger(n).level,
            logging.getLogger(n).propagate,
        )
        for n in names
    }
    yield capsys
    for name, (handlers, level, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate


def test_json_lines_carry_the_access_fields_and_the_exception(
    captured: pytest.CaptureFixture[str],
) -> None:
    logging.config.dictConfig(logging_dictconfig(LoggingSettings(format="json", level="info")))
    logging.getLogger("_granian").info("Listening at: http://127.0.0.1:8000")
    logging.getLogger("bondfloor.access").info(
        "GET /health 200", extra={"route": "/health", "status": 200, "user": "-"}
    )
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("bondfloor.web").exception("unexpected error")
    logging.getLogger("bondfloor").debug("below the level: not written")
    lines = [json.loads(line) for line in captured.readouterr().err.splitlines()]
    assert [(line["logger"], line["level"]) for line in lines] == [
        ("_granian", "info"),
        ("bondfloor.access", "info"),
        ("bondfloor.web", "error"),
    ]
    assert lines[1]["route"] == "/health" and lines[1]["status"] == 200
    assert "ValueError: boom" in lines[2]["exception"]


def test_text_lines_have_one_shape_for_granian_and_bondfloor(
    captured: pytest.CaptureFixture[str],
) -> None:
    logging.config.dictConfig(logging_dictconfig(LoggingSettings(format="text", level="warning")))
    logging.getLogger("_granian").warning("worker died")
    logging.getLogger("bondfloor.sync").warning("OMS delivery failing")
    logging.getLogger("bondfloor.access").info("below the level: not written")
    lines = captured.readouterr().err.splitlines()
    assert len(lines) == 2
    assert [line.split(" ")[2:4] for line in lines] == [
        ["WARNING", "_granian"],
        ["WARNING", "bondfloor.sync"],
    ]
