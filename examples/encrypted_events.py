"""Encrypted Platform Events: seal an order into Long Text Area fields, open it once on the subscriber's side.

The publisher seals a payload for one tenant; the dict it gets back is the body of
``POST /services/data/vXX.X/sobjects/Order_Sync__e/``. The subscriber opens the fields it receives. The message
is bound to the tenant, the event, the schema version, its message id and its issue time, and a replay cache
refuses a second delivery of the same message.

Run: python examples/encrypted_events.py
"""

import json
import tempfile
from pathlib import Path

from sfshield.crypto import EnvelopeCipher, EventOpener, EventSealer, SQLiteReplayCache
from sfshield.exceptions import DecryptionError, ReplayError
from sfshield.testing import InMemoryKeyProvider

# Publisher and subscribers share the tenant's data keys. In production that means one KEK provider
# (KeyFileProvider, an HSM) and one SQLiteKeyStore; InMemoryKeyProvider keeps this example self-contained.
cipher = EnvelopeCipher(InMemoryKeyProvider())
EVENT = "Order_Sync__e"
PAYLOAD_FIELDS = ("Payload__c", "Payload_2__c")  # Long Text Area (131,072) fields of Order_Sync__e

# -- publisher ---------------------------------------------------------------------------------------------------
sealer = EventSealer(cipher, event=EVENT, schema_version="1", payload_fields=PAYLOAD_FIELDS)
order = {
    "order": "00012345",
    "account": {"name": "Nordhavn AB", "contact": "Åsa Lindqvist", "email": "asa@nordhavn.example"},
    "lines": [{"sku": "XZO-5", "qty": 2, "price": 1499.0}],
    "delivery_notes": "Deliver to dock 4, ring twice. " * 4500,  # long enough to need both fields
}
body = sealer.seal(order, tenant="nordhavn-eu")
print({name: f"{value[:60]}... ({len(value):,} chars)" for name, value in body.items()})
assert list(body) == list(PAYLOAD_FIELDS)
assert all(len(value) <= 131_072 for value in body.values())
assert "Nordhavn" not in json.dumps(body)
# tenant_client.post(f"/services/data/v66.0/sobjects/{EVENT}/", json=body)  # to retry, resend this same body

# -- subscriber --------------------------------------------------------------------------------------------------
with tempfile.TemporaryDirectory() as tmp:
    cache = SQLiteReplayCache(Path(tmp) / "replay.db")  # shared by every subscriber process on this host
    opener = EventOpener(cipher, event=EVENT, schema_versions="1", payload_fields=PAYLOAD_FIELDS, replay_cache=cache)
    # What a subscription delivers: the event's fields, standard ones included.
    received = {"CreatedDate": "2026-03-01T12:00:00.000Z", "CreatedById": "0055g00000XyZaBAAZ", **body}

    event = opener.open(received, tenant="nordhavn-eu")
    print(event)  # ids and times only: the payload never appears in a repr
    assert event.payload == order

    try:
        opener.open(received, tenant="nordhavn-eu")
    except ReplayError as error:
        print("second delivery refused:", error)
    else:
        raise AssertionError("a replayed event must not open twice")

    # Fields moved to another tenant or edited on the way do not decrypt; the error says nothing about why.
    fresh = sealer.seal(order, tenant="nordhavn-eu")
    tampered = {**fresh, "Payload__c": fresh["Payload_2__c"], "Payload_2__c": fresh["Payload__c"]}
    for fields, tenant in [(fresh, "globex-us"), (tampered, "nordhavn-eu")]:
        try:
            opener.open(fields, tenant=tenant)
        except DecryptionError as error:
            print("refused:", error)
        else:
            raise AssertionError("a moved or tampered event must not open")
    cache.close()
