"""CSV import of shipping demands: every row checked, errors by row and column, all or nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from pooling.csv_import import COLUMNS, MAX_ROWS
from pooling.models import ShippingDemand

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
HEADER = "reference,origin,destination,mode,gross_kg,volume_cbm,ready_from,deliver_by,incoterm"


def _day(offset: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=offset)).isoformat()


def _row(n: int, **changes: str) -> str:
    cells = {"reference": f"PO-{n}", "origin": "CNSZX", "destination": "USLAX",
             "mode": "sea_lcl", "gross_kg": "1200", "volume_cbm": "6.5",
             "ready_from": _day(7), "deliver_by": _day(40), "incoterm": "FOB"}
    cells.update(changes)
    return ",".join(cells[c] for c in HEADER.split(","))


def _upload(api, text: str | bytes):  # type: ignore[no-untyped-def]
    data = text.encode() if isinstance(text, str) else text
    return api.post("/api/v1/demands/import/",
                    {"file": SimpleUploadedFile("demands.csv", data, "text/csv")},
                    format="multipart")


def test_a_file_of_good_rows_is_imported(api, firm) -> None:
    response = _upload(api, "\n".join([HEADER, _row(1), _row(2, mode="air")]) + "\n")

    assert response.status_code == 201, response.content
    assert response.json() == {"created": 2}
    air = ShippingDemand.objects.get(reference="PO-2")
    assert air.firm == firm
    assert str(air.chargeable_kg) == "1200.000"  # 6.5 CBM x 166.667 = 1083.3 < 1200 kg


def test_one_bad_row_stores_nothing_and_names_row_and_column(api) -> None:
    text = "\n".join([HEADER, _row(1), _row(2, gross_kg="0", origin="XXABC"), _row(3)])

    response = _upload(api, text)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "csv_invalid"
    assert error["fields"] == {
        "row 3.origin": ["'XXABC' starts with 'XX', which is not an ISO 3166-1 country."],
        "row 3.gross_kg": ["Gross weight must be above zero kg; got 0."],
    }
    assert error["message"].startswith("1 of 3 rows has errors; nothing was imported.")
    assert not ShippingDemand.objects.exists()


def test_a_missing_column_is_named(api) -> None:
    response = _upload(api, "origin,destination,mode,gross_kg\nCNSZX,USLAX,air,10\n")

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["columns"] == [
        "Missing column: volume_cbm.", "Missing column: ready_from.",
        "Missing column: deliver_by."]
    assert not ShippingDemand.objects.exists()


def test_an_unknown_column_is_named(api) -> None:
    response = _upload(api, HEADER + ",colour\n" + _row(1) + ",red\n")
    assert response.json()["error"]["fields"]["columns"] == ["Unknown column: colour."]
    assert not ShippingDemand.objects.exists()


def test_a_file_that_is_not_utf8_is_refused(api) -> None:
    data = (HEADER + "\n" + _row(1, reference="Müller") + "\n").encode("latin-1")

    response = _upload(api, data)

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["file"] == [
        f"Not UTF-8: byte 0xfc at position {data.index(bytes([0xFC]))}."]
    assert not ShippingDemand.objects.exists()


def test_a_byte_order_mark_is_fine(api) -> None:
    response = _upload(api, b"\xef\xbb\xbf" + (HEADER + "\n" + _row(1)).encode())
    assert response.status_code == 201, response.content


def test_a_row_with_too_few_cells_is_named(api) -> None:
    response = _upload(api, HEADER + "\n" + _row(1) + "\nCNSZX,USLAX\n")
    assert response.json()["error"]["fields"] == {"row 3": ["Expected 9 cells, found 2."]}
    assert not ShippingDemand.objects.exists()


def test_an_empty_file_and_a_header_alone_are_refused(api) -> None:
    assert _upload(api, "").json()["error"]["fields"] == {"file": ["No header row."]}
    assert _upload(api, HEADER + "\n").json()["error"]["fields"] == {"file": ["No rows."]}
    assert api.post("/api/v1/demands/import/", {}, format="multipart").status_code == 400


def test_more_than_the_row_limit_is_refused(api) -> None:
    response = _upload(api, "\n".join([HEADER] + [_row(i) for i in range(MAX_ROWS + 1)]))
    assert response.status_code == 400
    assert "rows, more than 10,000; split it" in response.json()["error"]["message"]
    assert not ShippingDemand.objects.exists()


def test_ten_thousand_rows_are_imported(api) -> None:
    response = _upload(api, "\n".join([HEADER] + [_row(i) for i in range(MAX_ROWS)]))
    assert response.status_code == 201, response.content
    assert ShippingDemand.objects.count() == MAX_ROWS


def test_the_documented_sample_imports_and_uses_every_column(api) -> None:
    sample = (ROOT / "docs" / "sample-demands.csv").read_bytes()
    assert sample.decode().splitlines()[0].split(",") == list(COLUMNS)

    response = _upload(api, sample)

    assert response.status_code == 201, response.content
    assert response.json()["created"] == len(sample.decode().strip().splitlines()) - 1


def test_another_firms_user_imports_into_their_own_firm_only(api, other_api, firm) -> None:
    _upload(other_api, HEADER + "\n" + _row(1))
    assert not ShippingDemand.objects.filter(firm=firm).exists()
    assert ShippingDemand.objects.count() == 1
