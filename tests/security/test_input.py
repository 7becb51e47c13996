"""Hostile and careless input: every one refused with a JSON error, nothing stored or submitted."""

from __future__ import annotations

import pytest

Q = "/v1/queries"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02\x00\x00\x00"


@pytest.mark.parametrize("question", [
    "\u200b\u200c\u200d\u2060\ufeff",  # zero-width only
    "\x00\x01\x07\x1b",  # control characters only
    "  \u3164\u3164  ",  # Hangul fillers draw nothing
    "\u202e\u202d",  # bidi overrides only
    "",
])
def test_question_without_visible_text_is_refused(harness, question: str) -> None:  # type: ignore[no-untyped-def]
    h = harness()
    h.assert_refused(h.client.post(Q, json={"question": question}), 422, "invalid_input")


def test_zero_width_characters_are_stripped_before_submitting(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness()
    resp = h.client.post(Q, json={"question": "생\u200b수병\u0007"})
    assert resp.status_code == 200 and h.bus.submitted[0].question == "생수병"


def test_decomposed_hangul_is_composed(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness()
    decomposed = "\u1109\u1162\u11bc\u1109\u116e\u1107\u1167\u11bc"  # 생수병, NFD
    assert h.client.post(Q, json={"question": decomposed}).status_code == 200
    assert h.bus.submitted[0].question == "생수병"


def test_invalid_utf8_in_multipart_question_is_422(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness()
    body = (b"--xx\r\nContent-Disposition: form-data; name=\"question\"\r\n\r\n\xff\xfe\xc3(\r\n--xx--\r\n")
    resp = h.client.post(Q, content=body, headers={"content-type": "multipart/form-data; boundary=xx"})
    h.assert_refused(resp, 422, "invalid_encoding")


def test_invalid_utf8_in_json_is_422(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness()
    resp = h.client.post(Q, content=b'{"question": "\xff\xfe"}', headers={"content-type": "application/json"})
    h.assert_refused(resp, 422, "invalid_encoding")


def test_invalid_utf8_in_urlencoded_is_422(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness()
    resp = h.client.post(Q, content=b"question=%ff%fe", headers={"content-type": "application/x-www-form-urlencoded"})
    h.assert_refused(resp, 422, "invalid_encoding")


def test_two_question_fields_in_multipart_are_422(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness()
    resp = h.client.post(Q, data={"question": ["페트병", "유리병"]}, files={"image": ("a.png", PNG, "image/png")})
    h.assert_refused(resp, 422, "duplicate_field")


def test_two_question_fields_in_urlencoded_are_422(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness()
    resp = h.client.post(Q, content=b"question=a&question=b",
                         headers={"content-type": "application/x-www-form-urlencoded"})
    h.assert_refused(resp, 422, "duplicate_field")


def test_duplicate_json_keys_are_422(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness()
    resp = h.client.post(Q, content=b'{"question": "a", "question": "b"}', headers={"content-type": "application/json"})
    h.assert_refused(resp, 422, "duplicate_field")


def test_two_images_are_refused(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness()
    resp = h.client.post(Q, data={"question": "이건?"},
                         files=[("image", ("a.png", PNG, "image/png")), ("image", ("b.png", PNG, "image/png"))])
    h.assert_refused(resp, 422)


@pytest.mark.parametrize("ctype", ["application/jsonx", "text/plain", "application/xml", "image/png",
                                   "application/json-seq", "multipart/mixed; boundary=x", ""])
def test_other_media_types_are_415(harness, ctype: str) -> None:  # type: ignore[no-untyped-def]
    h = harness()
    resp = h.client.post(Q, content=b'{"question": "a"}', headers={"content-type": ctype} if ctype else {})
    h.assert_refused(resp, 415, "unsupported_media_type")


def test_raw_utf8_form_post_is_read_as_utf8(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness()  # what `curl -d question=생수병` sends: raw UTF-8, not percent-encoded
    resp = h.client.post(Q, content="question=생수병&region=강남구".encode(),
                         headers={"content-type": "application/x-www-form-urlencoded"})
    assert resp.status_code == 200, resp.text
    assert h.bus.submitted[0].question == "생수병"


def test_percent_encoded_form_post_is_read_as_utf8(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness()
    resp = h.client.post(Q, data={"question": "유리병 뚜껑"})
    assert resp.status_code == 200 and h.bus.submitted[0].question == "유리병 뚜껑"


def test_deeply_nested_json_is_a_json_422(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness()
    resp = h.client.post(Q, content=b"[" * 100_000 + b"]" * 100_000, headers={"content-type": "application/json"})
    h.assert_refused(resp, 413)  # over the text-body limit before any parsing


def test_nested_json_under_the_size_limit_is_a_json_422(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness()
    resp = h.client.post(Q, content=b'{"question": ' + b"[" * 5000 + b"]" * 5000 + b"}",
                         headers={"content-type": "application/json"})
    h.assert_refused(resp, 422, "invalid_input")


def test_huge_json_body_is_413_without_reading_it(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness()
    resp = h.client.post(Q, content=b'{"question": "' + b"a" * 2_000_000 + b'"}',
                         headers={"content-type": "application/json"})
    h.assert_refused(resp, 413, "payload_too_large")


def test_chunked_body_over_the_limit_is_413(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness()

    def chunks():  # type: ignore[no-untyped-def]
        yield b'{"question": "'
        for _ in range(40):
            yield b"a" * 1024
        yield b'"}'

    resp = h.client.post(Q, content=chunks(), headers={"content-type": "application/json"})
    h.assert_refused(resp, 413, "payload_too_large")


def test_oversized_headers_are_a_json_431(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness()
    resp = h.client.post(Q, json={"question": "생수병"}, headers={"x-junk": "a" * 200_000})
    h.assert_refused(resp, 431, "headers_too_large")


@pytest.mark.parametrize("body", [b"[]", b'"question"', b"null", b"42", b'{"question": 5}',
                                  b'{"question": "a", "image": "raw/x"}', b'{"question": "a", "region": []}',
                                  b"{bad json"])
def test_wrong_json_shapes_are_422(harness, body: bytes) -> None:  # type: ignore[no-untyped-def]
    h = harness()
    h.assert_refused(h.client.post(Q, content=body, headers={"content-type": "application/json"}), 422)


def test_unknown_multipart_field_is_422(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness()
    resp = h.client.post(Q, data={"question": "a", "image_key": "raw/../../etc/passwd"})
    h.assert_refused(resp, 422, "invalid_input")


def test_question_sent_as_a_file_is_422(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness()
    resp = h.client.post(Q, files={"question": ("q.txt", b"hello", "text/plain")})
    h.assert_refused(resp, 422, "invalid_input")


def test_unexpected_errors_are_json_with_an_error_id(harness, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    import gateway.routes

    async def boom(*_a, **_k):  # type: ignore[no-untyped-def]
        raise RuntimeError("secret detail <object at 0xdeadbeef>")

    monkeypatch.setattr(gateway.routes, "read_query_input", boom)
    h = harness()
    body = h.assert_refused(h.client.post(Q, json={"question": "a"}), 500, "internal")
    assert "secret" not in str(body) and "RuntimeError" not in str(body)
    assert body["error"]["error_id"] in caplog.text and "secret detail" in caplog.text


@pytest.mark.parametrize(("name", "data", "ctype"), [
    ("cat.png", b"<html><script>alert(1)</script></html>", "image/png"),  # HTML claiming to be a PNG
    ("x.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "image/svg+xml"),
    ("gifar.gif", b"GIF89a" + b"\x00" * 20 + b"PK\x03\x04 polyglot", "image/gif"),  # GIF + ZIP polyglot
    ("a.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3 <script>", "application/pdf"),
])
def test_files_that_are_not_our_images_are_415_and_not_stored(harness, name, data, ctype) -> None:  # type: ignore[no-untyped-def]
    h = harness()
    resp = h.client.post(Q, data={"question": "이건 뭐예요?"}, files={"image": (name, data, ctype)})
    h.assert_refused(resp, 415, "unsupported_image")


@pytest.mark.parametrize("filename", ["../../etc/passwd", "..\\..\\boot.ini", "/abs/path.png", "a\x00b.png",
                                      "%2e%2e%2fraw%2fother.png"])
def test_path_traversal_file_names_never_become_paths(harness, filename: str) -> None:  # type: ignore[no-untyped-def]
    h = harness()
    resp = h.client.post(Q, data={"question": "이건?"}, files={"image": (filename, PNG, "image/png")})
    assert resp.status_code in (200, 422), resp.text
    stored = h.stored()
    for path in stored:  # only ever raw/<query id>, inside the data dir, whatever the name said
        assert path.resolve().is_relative_to(h.data_dir.resolve())
        assert path.parent.name == "raw" and path.name == str(h.bus.submitted[0].envelope.query_id)
