"""The hostile input corpus: XML attacks, malformed and oversized bodies, injection strings, path traversal.

Data only; ``test_hostile_input`` sends each item to every endpoint that could receive it. The XML
attacks are the classic ones (OWASP XXE Prevention Cheat Sheet); if any were expanded, it would be
gigabytes or a read of a local file, which the tests look for.
"""

from __future__ import annotations

import gzip

#: what a successful XXE file read would put in an answer
LEAK_MARKERS = (b"root:x:0:0", b"[boot loader]", b"BEGIN PRIVATE KEY")
#: what ``{{7*'7'}}`` renders as in Jinja2 (``${7*7}`` etc. would give 49, too common to look for)
TEMPLATE_RENDERED = "7777777"

_CIN_ROOT = "<Message><Header><CollectionDetails><Collection>CIN</Collection></CollectionDetails></Header>"

XML_ATTACKS: dict[str, bytes] = {
    "xxe_file": (
        b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<Message><Header>&x;</Header></Message>"
    ),
    "xxe_network": (
        b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "http://127.0.0.1:9/secret">]>'
        b"<Message>&x;</Message>"
    ),
    "xxe_parameter_entity": (
        b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><Message/>'
    ),
    "external_dtd": b'<?xml version="1.0"?><!DOCTYPE Message SYSTEM "http://127.0.0.1:9/cin.dtd"><Message/>',
    "billion_laughs": (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">'.encode()
            for n in range(1, 10)
        )
        + b"]><Message>&lol9;</Message>"
    ),
    # one 100 kB entity referenced 10,000 times: 1 GB if expanded, from a 160 kB body
    "quadratic_blowup": (
        b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "'
        + b"a" * 100_000
        + b'">]><Message>'
        + b"&a;" * 10_000
        + b"</Message>"
    ),
    "processing_instruction": b'<?xml version="1.0"?><?xml-stylesheet href="http://127.0.0.1:9/x.xsl"?><Message/>',
    "xinclude": (
        b'<Message xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="file:///etc/passwd" '
        b'parse="text"/></Message>'
    ),
    "deep_elements": b"<Message>" + b"<a>" * 50_000 + b"</a>" * 50_000 + b"</Message>",
    "unclosed": _CIN_ROOT.encode(),
    "not_utf8": b'<?xml version="1.0" encoding="UTF-8"?><Message>\xff\xfe\xc0\xaf</Message>',
    "utf16_declared_utf8": '<?xml version="1.0" encoding="UTF-8"?><Message/>'.encode("utf-16"),
}
#: the media types an XML attack is sent as, so each XML-reading adapter (and none) sees it
XML_MEDIA_TYPES = (
    "application/xml; profile=cin-census",
    "application/xml; profile=ssda903",
    "application/xml",
    "text/xml",
)

MALFORMED_JSON: dict[str, bytes] = {
    "truncated": b'{"reference": ',
    "empty": b"",
    "not_json": b"this is not json",
    "invalid_utf8": b'{"reference": "\xff\xfe"}',
    "overlong_utf8": b'{"reference": "\xc0\xaf\xe0\x80\xaf"}',
    "lone_surrogate": b'{"reference": "\\ud800"}',
    "bom": b'\xef\xbb\xbf{"reference": "x"}',
    "nan": b'{"reference": NaN, "value": Infinity}',
    "huge_number": b'{"reference": 1e999999, "n": ' + b"9" * 5000 + b"}",
    "huge_exponent": b'{"reference": "x", "n": 1e99999999999999999999}',
    "duplicate_keys": b'{"reference": "a", "reference": "b"}',
    "top_level_array": b'[{"reference": "x"}]',
    "top_level_string": b'"x"',
    "top_level_null": b"null",
    "deep_array": b"[" * 100_000 + b"]" * 100_000,
    "deep_object": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "many_keys": b"{" + b",".join(b'"k%d": 1' % n for n in range(100_000)) + b"}",
    "long_string": b'{"reference": "' + b"x" * 2_000_000 + b'"}',
    "wide_array": b'{"children": [' + b",".join([b"{}"] * 100_000) + b"]}",
    "nul_bytes": b'{"reference": "a\x00b"}',
}

INJECTIONS: dict[str, str] = {
    "sql_quote": "' OR '1'='1' --",
    "sql_union": "1 UNION SELECT password FROM oauth_clients--",
    "sql_stacked": "x'; DROP TABLE cases; --",
    "shell": "$(cat /etc/passwd); `id` | nc 127.0.0.1 9",
    "template_jinja": "{{7*'7'}}",
    "template_other": "${7*7}<%= 7*7 %>#{7*7}",
    "crlf": "x\r\nSet-Cookie: injected=1\r\nX-Injected: 1",
    "null_byte": "a\x00b",
    "long": "A" * 100_000,
    "unicode_rtl": "\u202egnp.exe",
    "unicode_zero_width": "a\u200b\u200c\u200d\ufeffb",
    "unicode_combining": "Z" + "\u0336\u0335\u0334" * 500,
    "unicode_astral": "\U0001f600\U0010ffff",
    "unicode_normalisation": "\ufb01\u212b\u2126",
    "html": "<script>alert(1)</script><img src=x onerror=alert(1)>",
    "csv_formula": '=HYPERLINK("http://127.0.0.1:9","x")',
    "path": "../../../../etc/passwd",
    "format_string": "%s%s%s%n{0}{__class__}",
    "ldap": "*)(uid=*))(|(uid=*",
    "json_in_string": '{"$ne": null}',
    "negative": "-1",
    "huge_integer": "9" * 400,
    "empty": "",
}

#: path-parameter values, sent as given in the request path (some pre-encoded, some raw)
TRAVERSALS: dict[str, str] = {
    "dotdot": "../../etc/passwd",
    "dotdot_encoded": "..%2F..%2Fetc%2Fpasswd",
    "dotdot_dots_encoded": "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "double_encoded": "%252e%252e%252fetc%252fpasswd",
    "overlong_utf8": "%c0%ae%c0%ae%c0%afetc%c0%afpasswd",
    "backslash": "..\\..\\windows\\win.ini",
    "absolute": "%2Fetc%2Fpasswd",
    "null_byte": "00000000-0000-4000-8000-000000000000%00.json",
    "crlf": "x%0d%0aSet-Cookie:%20injected=1",
    "sql": "1%27%20OR%20%271%27=%271",
    "long": "a" * 5000,
    "unicode": "%E2%80%AE%F0%9F%98%80",
    "nil_uuid": "00000000-0000-0000-0000-000000000000",
    "uuid_braces": "{00000000-0000-4000-8000-000000000000}",
    "template": "%7B%7B7*'7'%7D%7D",
}


def gzip_bomb(inflated_bytes: int) -> bytes:
    """A gzip body of a few kilobytes that inflates to ``inflated_bytes`` of zeros."""
    return gzip.compress(b"\0" * inflated_bytes, compresslevel=9)
