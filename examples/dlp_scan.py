"""Scan free text for personal data, credentials and company information.

Findings carry a kind, a span and a confidence, never the text itself. The scanner is built once (it compiles
every pattern into one RE2 set) and is safe to share between threads.

Run: python examples/dlp_scan.py
"""

from sfshield.dlp import Confidence, Scanner

scanner = Scanner(dictionary=["Project Falcon"], allow=["support@acme.example"])

case_description = (
    "Customer Ana Lopez (ana.lopez@example.com, +34 600 123 456) says the Project Falcon pilot is blocked. "
    "She pasted her session id 00D5g000000ABCD!AQ4AQFXmBq3Yw0N2k1lJ7Z8xvT6pLhR9sKdEaWcUoIyVbNmQ into the chat. "
    "Refund to IBAN DE89 3704 0044 0532 0130 00. Reply to support@acme.example. Order 4111111111111112."
)

result = scanner.scan(case_description, field="Description")
for finding in result:
    print(f"{finding.kind:<24} {finding.start:>4}-{finding.end:<4} {finding.confidence.name}")
print("counts:", result.counts())

# Field names count as context: ten bare digits are a phone number in a Phone field, and nothing elsewhere.
print("in Phone:", [str(f.kind) for f in scanner.scan("4155550100", field="Phone")])
print("in Notes:", [str(f.kind) for f in scanner.scan("4155550100", field="Notes__c")])

# Raise the bar when precision matters more than recall.
strict = Scanner(min_confidence=Confidence.VERY_LIKELY)
print("strict:", [str(f.kind) for f in strict.scan("office 415-555-0100, mail ana@example.com")])
