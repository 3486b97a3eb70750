"""Keep a tenant's OAuth tokens and connected-app secret encrypted on disk, bound to whom they belong.

Each value is encrypted under the tenant's ``oauth`` key and bound to its org, user, connected app, kind and
instance host, so a row copied to another user does not decrypt. The in-memory key provider keeps the example
self-contained; production passes a KeyFileProvider or Pkcs11KeyProvider and a SQLiteKeyStore to the cipher.

Run: python examples/token_store.py
"""

import sqlite3
import tempfile
from contextlib import closing
from datetime import timedelta
from pathlib import Path

from sfshield.crypto import EnvelopeCipher, TokenKind, TokenRef, TokenStore
from sfshield.exceptions import TokenStoreError
from sfshield.secret import Secret
from sfshield.testing import InMemoryKeyProvider

cipher = EnvelopeCipher(InMemoryKeyProvider())
app = {"tenant": "nordhavn-eu", "org_id": "00D5i00000CIhxb", "client_id": "3MVG9nordhavn.integration.app"}
refresh = TokenRef(**app, user_id="0055i00000AbCdE", kind=TokenKind.REFRESH_TOKEN)
client_secret = TokenRef(**app, kind=TokenKind.CLIENT_SECRET)  # belongs to the app, not to a user

with tempfile.TemporaryDirectory() as tmp, TokenStore(cipher, Path(tmp) / "tokens.db") as store:
    store.put(refresh, Secret("5Aep861TaNQ1example.refresh.token"), instance_url="https://nordhavn.my.salesforce.com")
    store.put(client_secret, Secret("8A1F1E2D3C4B5A69"))

    token = store.get(refresh)
    print(token)  # metadata only; the value comes out through reveal()
    assert token.secret.reveal().startswith("5Aep861")

    # Every 24 hours: store the new value, then revoke the old one at /services/oauth2/revoke.
    old = store.rotate(refresh, Secret("5Aep861TaNQ2example.refresh.token"))
    assert old.secret.reveal().endswith("NQ1example.refresh.token")
    assert store.due_for_rotation(timedelta(hours=24)) == []

    # Someone with access to the file copies the token to another user: it does not decrypt there.
    with closing(sqlite3.connect(Path(tmp) / "tokens.db")) as db, db:
        db.execute(
            "INSERT INTO sfshield_tokens SELECT tenant, org_id, '0055i00000FgHiJAAV', client_id, kind, "
            "ciphertext, issued_at, expires_at, instance_url FROM sfshield_tokens WHERE user_id != ''"
        )
    try:
        store.get(TokenRef(**app, user_id="0055i00000FgHiJ", kind=TokenKind.REFRESH_TOKEN))
    except TokenStoreError as error:
        print("refused:", error)
    else:
        raise AssertionError("a token copied to another user must not decrypt")
