"""A whole life of an account, driven through the Python client that openapi-python-client
generated from tenure's /openapi.json (scripts/test generates it; it is not committed).

Usage: python life.py BASE_URL OPERATOR_KEY CLIENT_PARENT_FOLDER

The server runs on a simulated clock started at 2026-04-01T00:00:00Z with the default catalog.
Amounts are those of docs/examples.md: a message-queue basic tps-5000 instance costs 30000 a
month; downgrading it to tps-1000 (12000 a month) ten days in refunds 12000 of the current month.
"""

import sys

BASE_URL, OPERATOR_KEY, CLIENT_PARENT = sys.argv[1:4]
sys.path.insert(0, CLIENT_PARENT)

from tenure_client import AuthenticatedClient  # noqa: E402
from tenure_client.api.accounts import (  # noqa: E402
    create_account,
    create_deposit,
    get_account,
    list_ledger_entries,
)
from tenure_client.api.clock import advance_clock  # noqa: E402
from tenure_client.api.events import list_events  # noqa: E402
from tenure_client.api.instances import (  # noqa: E402
    change_instance,
    get_instance,
    purchase_instance,
    quote_change,
    quote_unsubscription,
    renew_instance,
    set_auto_renewal,
    unsubscribe_instance,
)
from tenure_client.api.renewals import quote_renewals  # noqa: E402
from tenure_client.api.usage import report_usage  # noqa: E402
from tenure_client.models import (  # noqa: E402
    Advance,
    AutoRenewal,
    Billing,
    Change,
    ChangeSpecType0,
    CreateAccount,
    Deposit,
    DepositMethod,
    Error,
    InstanceStatus,
    Purchase,
    PurchaseEdition,
    PurchaseProduct,
    PurchaseRegion,
    PurchaseSpecType0,
    RecordStatus,
    Renew,
    RenewMany,
    Unsubscribe,
    UsageBody,
    UsageBodyMeterType0,
)

checks = 0


def ok(response, status=200):
    """The parsed answer of a call that must succeed with `status`."""
    if response.status_code != status or isinstance(response.parsed, Error):
        raise AssertionError(
            f"expected {status}, got {response.status_code}: {response.content[:500]!r}"
        )
    return response.parsed


def text(value):
    """An enum member's value, or the string itself."""
    return getattr(value, "value", value)


def same(actual, expected, what):
    global checks
    if actual != expected:
        raise AssertionError(f"{what}: expected {expected!r}, got {actual!r}")
    checks += 1


operator = AuthenticatedClient(base_url=BASE_URL, token=OPERATOR_KEY, raise_on_unexpected_status=True)

# Open an account (the operator opens it; its owner key is answered once).
opened = ok(
    create_account.sync_detailed(
        client=operator,
        body=CreateAccount(name="Ada Lovelace", email="ada@example.com", mobile="+15550100"),
    ),
    201,
)
same(opened.balance_minor, 0, "a new account's balance")
owner = AuthenticatedClient(base_url=BASE_URL, token=opened.owner_key, raise_on_unexpected_status=True)

# Deposit: money from outside, on the operator's word.
deposited = ok(
    create_deposit.sync_detailed(
        opened.id, client=operator, body=Deposit(amount=100_000, method=DepositMethod.BANK_CARD)
    ),
    201,
)
same(deposited.account.balance_minor, 100_000, "the balance after the deposit")


def balance():
    return ok(get_account.sync_detailed(opened.id, client=owner)).balance_minor


# Buy a month of message-queue basic tps-5000 with the owner's key: 30000 from the balance.
bought = ok(
    purchase_instance.sync_detailed(
        client=owner,
        body=Purchase(
            account=opened.id,
            product=PurchaseProduct("message-queue"),
            edition=PurchaseEdition("basic"),
            spec=PurchaseSpecType0("tps-5000"),
            region=PurchaseRegion("us-east-1"),
            billing=Billing.SUBSCRIPTION,
            period="1M",
        ),
    ),
    201,
)
instance_id = bought.instance.id
same(bought.instance.status, InstanceStatus.ACTIVE, "the bought instance's status")
same(bought.order.paid_balance_minor, 30_000, "the purchase paid from the balance")
same(bought.instance.expires_at.isoformat(), "2026-05-01T00:00:00+00:00", "the first expiry")
same(balance(), 70_000, "the balance after buying")

# Quote a renewal (nothing paid), then renew: another 30000, the expiry a month later.
quoted = ok(
    quote_renewals.sync_detailed(client=owner, body=RenewMany(instances=[instance_id], period="1M"))
)
same(quoted.data[0].order.list_price_minor, 30_000, "the quoted renewal's price")
same(balance(), 70_000, "the balance after a quote")
renewed = ok(renew_instance.sync_detailed(instance_id, client=owner, body=Renew(period="1M")))
same(renewed.order.paid_balance_minor, 30_000, "the renewal paid")
same(renewed.instance.expires_at.isoformat(), "2026-06-01T00:00:00+00:00", "the renewed expiry")
same(balance(), 40_000, "the balance after renewing")

# Turn auto-renewal on, then off again.
ok(set_auto_renewal.sync_detailed(instance_id, client=owner, body=AutoRenewal(enabled=True, period="1M")))
ok(set_auto_renewal.sync_detailed(instance_id, client=owner, body=AutoRenewal(enabled=False)))

# Ten days in, quote a downgrade to tps-1000 and make it: the quote's refund is the change's.
ok(advance_clock.sync_detailed(client=operator, body=Advance(to="2026-04-11T00:00:00Z")))
change = Change(spec=ChangeSpecType0("tps-1000"))
change_quote = ok(quote_change.sync_detailed(instance_id, client=owner, body=change))
same(text(change_quote.direction), "downgrade", "the change's direction")
same(change_quote.periods[0].refund_minor, 12_000, "the current month's refund (docs/examples.md 7)")
changed = ok(change_instance.sync_detailed(instance_id, client=owner, body=change))
same(text(changed.status), "applied", "the change's status")
same(changed.refund_minor, change_quote.refund_minor, "the change's refund against its quote")
same(balance(), 40_000 + change_quote.refund_minor, "the balance after the downgrade")
same(
    ok(get_instance.sync_detailed(instance_id, client=owner)).spec_id, "tps-1000", "the new spec"
)

# Report pay-as-you-go usage (the operator's metering): once accepted, then replayed.
payg = ok(
    purchase_instance.sync_detailed(
        client=owner,
        body=Purchase(
            account=opened.id,
            product=PurchaseProduct("iot-platform"),
            edition=PurchaseEdition("legacy-public"),
            region=PurchaseRegion("us-east-1"),
            billing=Billing.PAYG,
        ),
    ),
    201,
)
ok(advance_clock.sync_detailed(client=operator, body=Advance(to="2026-04-11T01:00:00Z")))
record = UsageBody(
    record_id="life-0001",
    instance=payg.instance.id,
    meter=UsageBodyMeterType0("messages"),
    quantity=61_728,
    time="2026-04-11T00:30:00Z",
)
receipt = ok(report_usage.sync_detailed(client=operator, body=record))
same((receipt.accepted, receipt.records[0].status), (1, RecordStatus.ACCEPTED), "the usage receipt")
again = ok(report_usage.sync_detailed(client=operator, body=record))
same(again.replayed, 1, "the replayed usage record")

# Read the ledger two entries at a time: every entry balances.
entries, after = [], None
while True:
    kwargs = {"limit": 2} if after is None else {"limit": 2, "after": after}
    page = ok(list_ledger_entries.sync_detailed(opened.id, client=owner, **kwargs))
    entries.extend(page.data)
    if not page.next_after:
        break
    after = page.next_after
same(len({entry.id for entry in entries}), len(entries), "ledger entries each once")
if len(entries) < 4:
    raise AssertionError(f"the deposit, purchase, renewal and refund are in the ledger: {entries}")
for entry in entries:
    same(sum(posting.amount_minor for posting in entry.postings), 0, f"entry {entry.id}'s sum")

# Quote the unsubscription, then unsubscribe: the refund is the quoted one, back to the balance.
before = balance()
unsubscription_quote = ok(quote_unsubscription.sync_detailed(instance_id, client=owner))
unsubscribed = ok(
    unsubscribe_instance.sync_detailed(
        instance_id,
        client=owner,
        body=Unsubscribe(confirm_refund=True, confirm_data_backed_up=True),
    )
)
same(unsubscribed.refund_minor, unsubscription_quote.refund_minor, "the refund against its quote")
same(unsubscribed.instance.status, InstanceStatus.UNSUBSCRIBED, "the unsubscribed status")
same(balance(), before + unsubscribed.refund_minor, "the balance after unsubscribing")

# The events of the instance's life, oldest first.
events = ok(list_events.sync_detailed(client=owner, account=opened.id, instance=instance_id, limit=100))
kinds = [text(event.kind) for event in events.data]
if len(kinds) < 4 or not any("unsubscrib" in kind for kind in kinds):
    raise AssertionError(f"the instance's events: {kinds}")
checks += 1

print(f"clients (python): a whole life through the generated client, {checks} checks passed")
