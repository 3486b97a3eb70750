"""Reversible placeholders: the model sees <EMAIL_ADDRESS_1>, your user sees the real address.

A Case description goes to a self-hosted LLM. The scanner finds the personal data, the redactor replaces it with
typed placeholders and records each value, encrypted, in a vault that belongs to this conversation. The model's
answer is checked for leaks, then its placeholders are restored inside the trust boundary. A credential in the
text holds the whole text back instead.

Run: python examples/reversible_placeholders.py
"""

from datetime import timedelta

from sfshield.audit import AuditPipeline, VaultOperation
from sfshield.audit.sinks import InMemoryAuditSink
from sfshield.crypto import EnvelopeCipher
from sfshield.dlp import EntityKind, Scanner
from sfshield.dlp.redaction import ActionSpec, Redactor, TextAction
from sfshield.dlp.vault import PlaceholderVault
from sfshield.testing import InMemoryKeyProvider

cipher = EnvelopeCipher(InMemoryKeyProvider())  # production: a key file or HSM provider and an SQLiteKeyStore
audit = InMemoryAuditSink()
scanner = Scanner()
redactor = Redactor(
    {EntityKind.CREDIT_CARD: ActionSpec(TextAction.MASK, keep_last=4)},
    # explicit defaults: personal data → placeholder, credentials → block the whole text
    default=TextAction.PLACEHOLDER,
    secret_default=TextAction.BLOCK,
)

description = (
    "Ana Lopez (ana.lopez@example.com, +44 20 7946 0958) says card 4111 1111 1111 1111 was charged twice. "
    "Please reply to ana.lopez@example.com."
)

# One vault per conversation; store="vault.db" keeps it in an SQLite file (mode 0600) instead of memory.
with PlaceholderVault(
    cipher, tenant="acme", scope="case-5003000000D8cuI", ttl=timedelta(minutes=30), audit=AuditPipeline(sinks=[audit])
) as vault:
    result = redactor.redact(description, scanner.scan(description), vault=vault)
    assert result.text is not None  # None would mean: held back (BLOCK or QUARANTINE), do not send anything
    prompt = result.text
    print("prompt:", prompt)
    assert "ana.lopez" not in prompt
    assert "7946" not in prompt
    assert "1111 1111 1111" not in prompt

    # What the model answers (a real call would go to your LLM here).
    answer = "Draft to <EMAIL_ADDRESS_1>: we refunded the duplicate charge; call <PHONE_NUMBER_1> if not."

    report = vault.check_output(answer, scanner=scanner)  # before restoring: the model saw placeholders only
    print("leak:", report.leaked)
    assert not report.leaked

    restored = vault.restore(answer)
    print("restored:", restored.text)
    print(f"{restored.restored} placeholders restored, {restored.unknown} unknown")
    assert restored.text.startswith("Draft to ana.lopez@example.com:")

    # A model that repeats a value it was never shown is flagged (kinds and placeholders only, never the value).
    leaky = vault.check_output("Sure, ANA.LOPEZ@example.com, done.", scanner=scanner)
    print("leak:", leaky.leaked, leaky.verbatim, leaky.kinds)
    assert leaky.verbatim == ("<EMAIL_ADDRESS_1>",)

# A credential in the text: there is no text to send, and nothing was stored anywhere.
pasted = "Here is our AWS key AKIAIOSFODNN7EXAMPLE, and my mail is ana.lopez@example.com"
blocked = redactor.redact(pasted, scanner.scan(pasted))
print("decision:", blocked.decision.value, "text:", blocked.text, "kinds:", sorted(blocked.kinds))
assert blocked.text is None
assert blocked.decision is TextAction.BLOCK

for event in audit.events:  # ids, counts and kinds, never values
    assert isinstance(event, VaultOperation)
    print("audit:", event.operation, event.count, event.finding_kinds)
