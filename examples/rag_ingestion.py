"""RAG ingestion through TenantClient: one org, its own OAuth client, its own field labels, protected records.

The tenant takes its field labels from the org (labels_from_org): the client reads sfshield's Custom Metadata
records and FieldDefinition's data classification, merges them over the policy file's rules (never lowering
them), keeps the result with its version for labels_ttl, and refuses to read anything if they cannot be loaded.

Runs against the embedded org (no Salesforce account needed). In production, TenantConfig comes from your
tenants file (sfshield.salesforce.TenantRegistry), the client secret or JWT private key is put into the
encrypted TokenStore once by an operator, and the KEK lives in a key file or an HSM.

Run: python examples/rag_ingestion.py
"""

import tempfile
from contextlib import ExitStack
from pathlib import Path

from sfshield import Shield, load_classification
from sfshield.audit import AuditPipeline, JsonlAuditSink, verify_audit_file
from sfshield.crypto import EnvelopeCipher, SQLiteKeyStore, TokenKind, TokenRef, TokenStore
from sfshield.dlp import QuarantineStore
from sfshield.salesforce import TenantClient, TenantConfig
from sfshield.testing import EmbeddedOrg, InMemoryKeyProvider
from sfshield.transforms import PseudonymKey

HERE = Path(__file__).parent
QUERY = (
    "SELECT Id, FirstName, Email, Title, Account.Name, (SELECT Subject, Description FROM Cases) "
    "FROM Contact WHERE Title != null"
)

with (
    EmbeddedOrg(orgs=1, size=10) as org,
    tempfile.TemporaryDirectory() as folder,
    SQLiteKeyStore(Path(folder) / "keys.db") as keys,
    ExitStack() as stack,  # closes the token and quarantine stores when the block ends
):
    handle = org.handles[0]
    config = TenantConfig(
        tenant="nordhavn-eu",
        org_id=handle.org_id,
        login_url=org.instance_url,  # your My Domain, e.g. https://nordhavn.my.salesforce.com
        oauth_flow="client_credentials",
        client_id=handle.client_id,
        integration_username=handle.username,
        allowed_purposes=["embedding", "support_copilot"],
        allowed_objects=["Account", "Contact", "Case", "User", "Opportunity", "Invoice__c"],
        labels_from_org=True,  # every allowed object must have Sfshield_Field_Policy__mdt records (labels_required_for)
    )
    cipher = EnvelopeCipher(InMemoryKeyProvider(), store=keys)
    tokens = stack.enter_context(TokenStore(cipher, Path(folder) / "tokens.db"))
    # Once, by an operator: the connected app's secret goes into the encrypted store, never into a config file.
    app = TokenRef(tenant=config.tenant, org_id=config.org_id, client_id=config.client_id, kind=TokenKind.CLIENT_SECRET)
    tokens.put(app, handle.client_secret)

    audit_file = Path(folder) / "audit.jsonl"
    with JsonlAuditSink(audit_file) as sink:
        audit = AuditPipeline(sinks=[sink])
        pseudonym_key = PseudonymKey.generate()  # per tenant, from your secret store
        # case text holding credentials is held back here, encrypted, for review
        quarantine = stack.enter_context(QuarantineStore(cipher, Path(folder) / "quarantine.db", audit=audit))

        shield = Shield(
            load_classification(HERE / "policy.toml"),  # the rules; the client merges the org's labels over them
            tenant=config.tenant,
            org_id=config.org_id,
            audit=audit,
            pseudonym_key=pseudonym_key,
            encryptor=cipher,
            quarantine=quarantine,
        )
        client = TenantClient(config, shield=shield, token_store=tokens, session=org.session())
        labels = client.load_labels()  # optional: query() loads them itself, and again after labels_ttl
        print(f"labels {labels.version}: {labels.custom_metadata_records} Custom Metadata records merged")
        chunks = []
        for contact in client.query(QUERY, purpose="support_copilot"):
            cases = (contact.get("Cases") or {}).get("records", [])
            text = " ".join(str(case.get("Description") or "") for case in cases)
            chunks.append({"id": contact["Id"], "title": contact.get("Title"), "text": text})
        # ... embed `chunks` with your local model and write them to your vector store ...

    print(f"{len(chunks)} chunks ready for embedding; first: {chunks[0]}")
    assert all("@" not in chunk["text"] for chunk in chunks), "an e-mail address reached the index"
    print(f"audit trail: {verify_audit_file(audit_file).lines} events, hash chain intact")
