//! Property tests of the money of changes: random sequences of a purchase, changes (up and down)
//! and renewals, paid with vouchers, coupons and balance, must never refund more cash than was
//! paid — in total and per period, even after a final refund of everything unused — and every
//! ledger entry, so the whole ledger, sums to zero.

use jiff::Timestamp;
use proptest::prelude::*;
use tenure_core::catalog::Spec;
use tenure_core::change::{price_change, PaidPeriod};
use tenure_core::ledger::{sum_minor, Entry, LedgerAccount, Posting};
use tenure_core::payment::PaymentPlan;
use tenure_core::payment::{plan_payment, Funds, PaymentMethod, PaymentSources};
use tenure_core::period::{add_days, Period};
use tenure_core::proration::{ChangeDirection, PeriodValue, Usage};
use tenure_core::refund::{refund_order, RefundSplit, RefundablePeriod, Resource};

#[derive(Debug, Clone)]
enum Step {
    /// Let time pass.
    Wait { minutes: i64 },
    /// Change to the spec at this index of the price list.
    Change { spec_index: usize },
    /// Renew for this many months (a paid period after the last one).
    Renew { months: u32 },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (1i64..20 * 24 * 60).prop_map(|minutes| Step::Wait { minutes }),
        (0usize..4).prop_map(|spec_index| Step::Change { spec_index }),
        (1u32..4).prop_map(|months| Step::Renew { months }),
    ]
}

/// A customer's books, from the core's own entries.
struct Books {
    postings: Vec<Posting>,
    cash_paid_minor: i64,
    refunded_minor: i64,
}

impl Books {
    fn post(&mut self, entry: Entry) {
        assert_eq!(sum_minor(entry.postings()), Some(0), "entry balances");
        self.postings.extend_from_slice(entry.postings());
    }

    fn funds(&self) -> Funds {
        let sum = |account: LedgerAccount| -> i64 {
            self.postings
                .iter()
                .filter(|posting| posting.ledger_account == account)
                .map(|posting| posting.amount_minor)
                .sum()
        };
        Funds {
            balance_minor: sum(LedgerAccount::Balance),
            coupons_minor: sum(LedgerAccount::Coupons),
            vouchers_minor: sum(LedgerAccount::Vouchers),
        }
    }

    /// Pays `amount_minor` from vouchers, coupons and balance; returns (cash, voucher) shares.
    fn pay(&mut self, amount_minor: i64) -> (i64, i64) {
        let sources = PaymentSources {
            use_vouchers: true,
            use_coupons: true,
            method: PaymentMethod::Balance,
        };
        let plan = plan_payment(amount_minor, self.funds(), sources).expect("funded");
        self.post(Entry::order_payment(&plan));
        self.cash_paid_minor += plan.cash_minor();
        (plan.cash_minor(), plan.voucher_minor)
    }

    fn refund(&mut self, amount_minor: i64) {
        self.post(Entry::refund(&RefundSplit::to_balance(amount_minor)));
        self.refunded_minor += amount_minor;
    }
}

fn spec(monthly_price_minor: i64) -> Spec {
    Spec {
        id: format!("spec-{monthly_price_minor}"),
        name: "spec".into(),
        monthly_price_minor,
        yearly_price_minor: monthly_price_minor * 10,
        quota: None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn refunds_never_exceed_cash_paid_and_the_ledger_balances(
        prices in proptest::collection::vec(1i64..200_000, 4),
        voucher_minor in 0i64..100_000,
        coupon_minor in 0i64..100_000,
        start_index in 0usize..4,
        steps in proptest::collection::vec(step(), 1..40),
    ) {
        let specs: Vec<Spec> = prices.into_iter().map(spec).collect();
        let mut books = Books { postings: Vec::new(), cash_paid_minor: 0, refunded_minor: 0 };
        books.post(Entry::deposit(100_000_000, PaymentMethod::BankCard));
        books.post(Entry::grant(LedgerAccount::Vouchers, voucher_minor.max(1)));
        books.post(Entry::grant(LedgerAccount::Coupons, coupon_minor.max(1)));

        let mut now: Timestamp = "2026-01-31T10:17:00Z".parse().unwrap();
        let mut current = start_index;
        let first_period = Period::months(1);
        let (cash, voucher) = books.pay(specs[current].list_price_minor(first_period).unwrap());
        let mut periods = vec![PaidPeriod {
            period_order_id: "period-0".into(),
            period: first_period,
            starts_at: now,
            ends_at: first_period.add_to(now),
            value: PeriodValue::paid(cash, voucher),
            revision: 0,
        }];
        // Cash put into and taken out of each period, by period index.
        let mut cash_in = vec![cash];
        let mut cash_out = vec![0i64];

        for step in steps {
            match step {
                Step::Wait { minutes } => now = add_days(now, 0).checked_add(jiff::Span::new().minutes(minutes)).unwrap(),
                Step::Renew { months } => {
                    let period = Period::months(months);
                    let starts_at = periods.last().unwrap().ends_at.max(now);
                    let (cash, voucher) = books.pay(specs[current].list_price_minor(period).unwrap());
                    periods.push(PaidPeriod {
                        period_order_id: format!("period-{}", periods.len()),
                        period,
                        starts_at,
                        ends_at: period.add_to(starts_at),
                        value: PeriodValue::paid(cash, voucher),
                        revision: 0,
                    });
                    cash_in.push(cash);
                    cash_out.push(0);
                }
                Step::Change { spec_index } => {
                    if spec_index == current || periods.last().unwrap().ends_at <= now {
                        continue;
                    }
                    let direction = if specs[spec_index].monthly_price_minor > specs[current].monthly_price_minor {
                        ChangeDirection::Upgrade
                    } else {
                        ChangeDirection::Downgrade
                    };
                    let quote = price_change(direction, &specs[spec_index], &periods, now).unwrap();
                    for line in &quote.periods {
                        let index = periods.iter().position(|paid| paid.period_order_id == line.period_order_id).unwrap();
                        let amounts = &line.amounts;
                        prop_assert!(amounts.refund_minor >= 0 && amounts.charge_minor >= 0);
                        prop_assert!(amounts.refund_minor <= amounts.unused.cash_minor);
                        let (paid_cash, paid_voucher) = if amounts.charge_minor > 0 { books.pay(amounts.charge_minor) } else { (0, 0) };
                        if amounts.refund_minor > 0 {
                            books.refund(amounts.refund_minor);
                        }
                        let after = amounts.value_after(paid_cash, paid_voucher);
                        prop_assert!(after.cash_minor >= 0 && after.voucher_minor >= 0, "{after:?}");
                        cash_in[index] += paid_cash;
                        cash_out[index] += amounts.refund_minor;
                        periods[index].value = after;
                        periods[index].revision = line.revision;
                    }
                    current = spec_index;
                }
            }
            prop_assert!(books.refunded_minor <= books.cash_paid_minor);
            for (paid_in, paid_out) in cash_in.iter().zip(&cash_out) {
                prop_assert!(paid_out <= paid_in, "a period refunded {paid_out} of {paid_in} cash");
            }
        }

        // Unsubscribing now refunds every period's unused cash: still within what was paid.
        for (index, paid) in periods.iter().enumerate() {
            if paid.ends_at <= now {
                continue;
            }
            // The unsubscription rule itself, from the period's latest value.
            let period = RefundablePeriod {
                value: paid.value,
                cash_paid_minor: cash_in[index],
                refunded_before_minor: cash_out[index],
                ..RefundablePeriod::opened(
                    paid.starts_at,
                    PaymentPlan { balance_minor: cash_in[index], ..PaymentPlan::default() },
                    paid.starts_at,
                    paid.ends_at,
                )
            };
            let refund = refund_order(Resource::Regular { refundable: true }, &period, now);
            let unused = paid.value.unused_at(Usage::at(paid.starts_at, paid.ends_at, now));
            prop_assert_eq!(refund.refund_minor, unused.cash_minor);
            prop_assert!(refund.kept_minor >= 0, "{refund:?}");
            if refund.refund_minor > 0 {
                books.post(Entry::refund(&refund.split));
                books.refunded_minor += refund.refund_minor;
                cash_out[index] += refund.refund_minor;
            }
            prop_assert!(cash_out[index] <= cash_in[index]);
        }
        prop_assert!(books.refunded_minor <= books.cash_paid_minor);
        prop_assert_eq!(sum_minor(&books.postings), Some(0));
        let funds = books.funds();
        prop_assert!(funds.balance_minor >= 0 && funds.coupons_minor >= 0 && funds.vouchers_minor >= 0);
    }

    #[test]
    fn a_downgrade_then_the_upgrade_back_at_the_same_moment_costs_nothing_extra(
        paid_minor in 1i64..1_000_000,
        lower_minor in 1i64..1_000_000,
        used_hours in 0i64..720,
    ) {
        // Round trips within one started hour give back no more than they take.
        let usage = Usage { ordered_hours: 720, used_hours };
        let value = PeriodValue::paid(paid_minor, 0);
        let down = tenure_core::proration::change_amounts(ChangeDirection::Downgrade, value, lower_minor, usage);
        let up = tenure_core::proration::change_amounts(ChangeDirection::Upgrade, down.value_after(0, 0), paid_minor, usage);
        prop_assert!(down.refund_minor <= up.charge_minor + 1, "refund {} charge {}", down.refund_minor, up.charge_minor);
        prop_assert!(down.refund_minor + 1 >= up.charge_minor);
    }
}

/// What went into and out of one period, source by source.
#[derive(Debug, Default, Clone, Copy)]
struct BySource {
    coupons_in_minor: i64,
    balance_in_minor: i64,
    coupons_out_minor: i64,
    balance_out_minor: i64,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Refunds follow what was paid (tenure_core::paid_parts): over random purchases, renewals,
    /// upgrades and downgrades paid with coupons and the balance, no period ever gives back to
    /// coupons more than coupons paid into it, nor to the balance more than the balance paid:
    /// coupons never become cash, nor cash coupons.
    #[test]
    fn each_source_gets_back_at_most_what_it_paid(
        prices in proptest::collection::vec(1i64..200_000, 4),
        coupon_grants in proptest::collection::vec(0i64..60_000, 1..6),
        start_index in 0usize..4,
        steps in proptest::collection::vec(step(), 1..30),
    ) {
        use tenure_core::paid_parts::{PaidParts, PeriodOrderPaid};
        use tenure_core::refund::split_downgrade_refund;

        let specs: Vec<Spec> = prices.into_iter().map(spec).collect();
        let mut books = Books { postings: Vec::new(), cash_paid_minor: 0, refunded_minor: 0 };
        books.post(Entry::deposit(100_000_000, PaymentMethod::BankCard));
        let mut grants = coupon_grants.into_iter();
        let mut grant = |books: &mut Books| {
            if let Some(amount) = grants.next().filter(|amount| *amount > 0) {
                books.post(Entry::grant(LedgerAccount::Coupons, amount));
            }
        };
        grant(&mut books);
        let sources = PaymentSources { use_vouchers: false, use_coupons: true, method: PaymentMethod::Balance };
        let mut now: Timestamp = "2026-01-31T10:17:00Z".parse().unwrap();
        let mut current = start_index;
        let mut periods: Vec<PaidPeriod> = Vec::new();
        let mut orders: Vec<Vec<PeriodOrderPaid>> = Vec::new();
        let mut money: Vec<BySource> = Vec::new();
        let open = |books: &mut Books, periods: &mut Vec<PaidPeriod>, orders: &mut Vec<Vec<PeriodOrderPaid>>,
                        money: &mut Vec<BySource>, period: Period, starts_at: Timestamp, price_minor: i64, now: Timestamp| {
            let plan = plan_payment(price_minor, books.funds(), sources).expect("funded");
            books.post(Entry::order_payment(&plan));
            periods.push(PaidPeriod {
                period_order_id: format!("period-{}", periods.len()),
                period,
                starts_at,
                ends_at: period.add_to(starts_at),
                value: PeriodValue::paid(plan.cash_minor(), 0),
                revision: 0,
            });
            orders.push(vec![PeriodOrderPaid {
                paid_at: now,
                payment: plan,
                refundable: true,
                refunded_minor: 0,
                value_cash_after_minor: plan.cash_minor(),
            }]);
            money.push(BySource { coupons_in_minor: plan.coupon_minor, balance_in_minor: plan.balance_minor, ..BySource::default() });
        };
        let first = Period::months(1);
        open(&mut books, &mut periods, &mut orders, &mut money, first, now, specs[current].list_price_minor(first).unwrap(), now);

        for step in steps {
            match step {
                Step::Wait { minutes } => {
                    now = now.checked_add(jiff::Span::new().minutes(minutes)).unwrap();
                    grant(&mut books);
                }
                Step::Renew { months } => {
                    let period = Period::months(months);
                    let starts_at = periods.last().unwrap().ends_at.max(now);
                    let price = specs[current].list_price_minor(period).unwrap();
                    open(&mut books, &mut periods, &mut orders, &mut money, period, starts_at, price, now);
                }
                Step::Change { spec_index } => {
                    if spec_index == current || periods.last().unwrap().ends_at <= now {
                        continue;
                    }
                    let direction = if specs[spec_index].monthly_price_minor > specs[current].monthly_price_minor {
                        ChangeDirection::Upgrade
                    } else {
                        ChangeDirection::Downgrade
                    };
                    let quote = price_change(direction, &specs[spec_index], &periods, now).unwrap();
                    for line in &quote.periods {
                        let index = periods.iter().position(|paid| paid.period_order_id == line.period_order_id).unwrap();
                        let amounts = &line.amounts;
                        let plan = if amounts.charge_minor > 0 {
                            let plan = plan_payment(amounts.charge_minor, books.funds(), sources).expect("funded");
                            books.post(Entry::order_payment(&plan));
                            money[index].coupons_in_minor += plan.coupon_minor;
                            money[index].balance_in_minor += plan.balance_minor;
                            plan
                        } else {
                            PaymentPlan::default()
                        };
                        if amounts.refund_minor > 0 {
                            let parts = PaidParts::from_orders(&orders[index]).unwrap();
                            let split = split_downgrade_refund(amounts.refund_minor, amounts.unused.cash_minor, &parts);
                            prop_assert_eq!(split.total_minor(), amounts.refund_minor);
                            books.post(Entry::refund(&split));
                            money[index].coupons_out_minor += split.to_coupons_minor;
                            money[index].balance_out_minor += split.to_balance_minor;
                        }
                        let after = amounts.value_after(plan.cash_minor(), 0);
                        orders[index].push(PeriodOrderPaid {
                            paid_at: now,
                            payment: plan,
                            refundable: true,
                            refunded_minor: amounts.refund_minor,
                            value_cash_after_minor: after.cash_minor,
                        });
                        periods[index].value = after;
                        periods[index].revision = line.revision;
                    }
                    current = spec_index;
                }
            }
            for flows in &money {
                prop_assert!(flows.coupons_out_minor <= flows.coupons_in_minor, "{flows:?}");
                prop_assert!(flows.balance_out_minor <= flows.balance_in_minor, "{flows:?}");
            }
        }

        // Unsubscribing now: every period's unused cash, split by the same parts.
        for (index, paid) in periods.iter().enumerate() {
            if paid.ends_at <= now {
                continue;
            }
            let period = RefundablePeriod {
                value: paid.value,
                parts: PaidParts::from_orders(&orders[index]).unwrap(),
                ..RefundablePeriod::opened(orders[index][0].paid_at, orders[index][0].payment, paid.starts_at, paid.ends_at)
            };
            let refund = refund_order(Resource::Regular { refundable: true }, &period, now);
            let unused = paid.value.unused_at(Usage::at(paid.starts_at, paid.ends_at, now));
            prop_assert_eq!(refund.refund_minor, unused.cash_minor);
            prop_assert_eq!(refund.split.total_minor(), refund.refund_minor);
            books.post(Entry::refund(&refund.split));
            let flows = &mut money[index];
            flows.coupons_out_minor += refund.split.to_coupons_minor;
            flows.balance_out_minor += refund.split.to_balance_minor;
            prop_assert!(flows.coupons_out_minor <= flows.coupons_in_minor, "{flows:?}");
            prop_assert!(flows.balance_out_minor <= flows.balance_in_minor, "{flows:?}");
        }
        prop_assert_eq!(sum_minor(&books.postings), Some(0));
    }
}
