"""Standard Webhooks signatures: ``webhook-id``, ``webhook-timestamp``, ``webhook-signature: v1,<base64>``.

The HMAC-SHA256 over ``"{id}.{timestamp}.{body}"`` is computed by the ``standardwebhooks`` package, the
specification's own reference library, so receivers can verify with the same code.
"""

from __future__ import annotations

from datetime import datetime

from standardwebhooks.webhooks import Webhook


def signed_headers(secret: str, webhook_id: str, at: datetime, body: str) -> dict[str, str]:
    """The three headers of one attempt; ``at`` becomes ``webhook-timestamp`` (whole seconds)."""
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, at, body),
        "content-type": "application/json",
    }
