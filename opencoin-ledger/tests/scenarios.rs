//! Worked scenarios of the ledger, with every expected figure computed by
//! hand in the comments.
//!
//! Most tests start from "the village": an issued currency `VLG` capped at
//! 1000.00 with a perimeter, a fuel ban, a balance ceiling and a payment
//! limit, beside a mutual-credit currency `TRC` and a basic-income currency
//! `BIN`. The properties guarded are that money moves exactly as the design
//! says (issue, transfer, redeem, demurrage into a fund or burned, basic
//! income), that every refusal the ledger can give is reachable with the
//! reason and figures a person would expect and changes nothing (state
//! hash, events, clock), that submitting the same signed transaction twice
//! has one effect, that events arrive in order without gaps, and that
//! batches are all-or-nothing (`apply_atomic`) or one result per operation
//! (`apply_each`).

// Helpers outside `#[test]` functions unwrap fixtures they build themselves.
#![allow(clippy::unwrap_used)]

mod common;

use common::{
    CENTER, DAY, FAR_AWAY, MeltTo, World, amount, applied, basic_income, ceiling_rule, code, day,
    declared_account, demurrage_rule, fuel_ban_rule, issued, key, minor, mutual_credit, owner_key,
    payment_max_rule, perimeter_rule, place, with_body_replaced, with_signer_swapped,
};
use opencoin_core::ed25519_dalek::VerifyingKey;
use opencoin_core::{
    AccountId, AccountKind, Action, Amount, AmountError, MINOR_UNITS_MAX, SectorCode, Timestamp,
    Transaction,
};
use opencoin_ledger::{
    ActivityReputation, BatchRejection, EventKind, EventLog, Ledger, LedgerConfig, OpenAccount,
    Operation, PostingKind, QueryError, Receipt, Rejection, ReputationModule, UpdateAccount,
};
use opencoin_rules::{RuleRef, RuleViolation, Side, ViolationDetail, Warning};

// ----- the village -------------------------------------------------------------------

/// Builds the village at day 0 and issues at day 1, so its clock is day 1:
///
/// - `VLG`, issued by key 1, capped at 1000.00; fund 9 declared (spared by
///   the perimeter and the ceiling). Rules: `rules[0]` perimeter, `rules[1]`
///   no payments into sector 5983, `rules[2]` ceiling 500.00, `rules[3]`
///   payments at most 200.00. Accounts: 1 issuer, 2 and 3 members at the
///   centre, 4 member far away, 5 fuel dealer at the centre.
///   Balances: 2 holds 300.00, 3 holds 100.00; supply 400.00.
/// - `TRC`, mutual credit with a hard limit of 100.00: members 21 and 22.
/// - `BIN`, basic income of 10.00 per 30 days: members 31 and 32.
fn village() -> World {
    let mut world = World::new();
    let vlg = issued("VLG", &key(1), Some("1000.00"))
        + &declared_account(9, "fund", "0.00")
        + &perimeter_rule()
        + &fuel_ban_rule()
        + &ceiling_rule("500.00")
        + &payment_max_rule("200.00");
    world.create(&vlg, day(0));
    world.open(1, "VLG", AccountKind::Issuer, Some(CENTER), &[], day(0));
    world.open(2, "VLG", AccountKind::Member, Some(CENTER), &[], day(0));
    world.open(3, "VLG", AccountKind::Member, Some(CENTER), &[], day(0));
    world.open(4, "VLG", AccountKind::Member, Some(FAR_AWAY), &[], day(0));
    world.open(5, "VLG", AccountKind::Merchant, Some(CENTER), &["5983"], day(0));

    world.create(&mutual_credit("TRC", "100.00", "hard"), day(0));
    world.open(21, "TRC", AccountKind::Member, None, &[], day(0));
    world.open(22, "TRC", AccountKind::Member, None, &[], day(0));

    world.create(&basic_income("BIN", "10.00", "30d"), day(0));
    world.open(31, "BIN", AccountKind::Member, None, &[], day(0));
    world.open(32, "BIN", AccountKind::Member, None, &[], day(0));

    assert_eq!(world.issue(1, 2, "300.00", day(1)), applied());
    assert_eq!(world.issue(1, 3, "100.00", day(1)), applied());
    world
}

fn transfer(to: u64, text: &str) -> Action {
    Action::Transfer { to: AccountId(to), amount: amount(text) }
}

fn issue(to: u64, text: &str) -> Action {
    Action::Issue { to: AccountId(to), amount: amount(text) }
}

fn violation(path: &str, name: &str, kind: &'static str, detail: ViolationDetail) -> Rejection {
    let rule = RuleRef { path: path.to_owned(), name: name.to_owned(), kind };
    Rejection::RuleViolation(Box::new(RuleViolation { rule, detail }))
}

/// What a refused operation must leave exactly as it was.
#[derive(Debug, PartialEq)]
struct Snapshot {
    state_hash: [u8; 32],
    events: usize,
    clock: Timestamp,
    applied: u64,
}

fn snapshot(world: &World) -> Snapshot {
    Snapshot {
        state_hash: world.ledger.state_hash(),
        events: world.events().len(),
        clock: world.ledger.clock(),
        applied: world.ledger.applied_count(),
    }
}

// ----- money moving as designed ------------------------------------------------------

#[test]
fn issue_transfer_redeem_move_exact_amounts() {
    let mut world = village();

    // Each row: the step, then the balances of 2 and 3 and the supply in
    // circulation after it, worked out by hand from 300.00 / 100.00 / 400.00.
    type Step = fn(&mut World) -> Result<Receipt, Rejection>;
    let rows: [(&str, Step, &str, &str, &str); 4] = [
        // 2 pays 3: 300.00 - 30.25 = 269.75; 100.00 + 30.25 = 130.25.
        ("transfer", |w| w.transfer(2, 3, "30.25", day(2)), "269.75", "130.25", "400.00"),
        // 3 redeems 10.00: 130.25 - 10.00 = 120.25; supply 400.00 - 10.00.
        ("redeem", |w| w.redeem(3, "10.00", day(2)), "269.75", "120.25", "390.00"),
        // The issuer issues 0.01 to 2: 269.76; supply 390.01.
        ("issue", |w| w.issue(1, 2, "0.01", day(3)), "269.76", "120.25", "390.01"),
        // 2 pays 3 the most one payment may move, 200.00: 269.76 - 200.00
        // = 69.76 and 120.25 + 200.00 = 320.25, under the 500.00 ceiling.
        ("large transfer", |w| w.transfer(2, 3, "200.00", day(3)), "69.76", "320.25", "390.01"),
    ];
    for (name, step, two, three, supply) in rows {
        assert_eq!(step(&mut world), applied(), "{name}");
        assert_eq!(world.balance(2, day(3)), two, "balance of 2 after {name}");
        assert_eq!(world.balance(3, day(3)), three, "balance of 3 after {name}");
        let view = world.ledger.supply(code("VLG")).unwrap();
        assert_eq!(view.in_circulation.to_string(), supply, "supply after {name}");
    }

    // Issued 300.00 + 100.00 + 0.01; redeemed 10.00; nothing burned.
    let view = world.ledger.supply(code("VLG")).unwrap();
    assert_eq!(view.issued, amount("400.01"));
    assert_eq!(view.redeemed, amount("10.00"));
    assert_eq!(view.burned, amount("0.00"));
    assert_eq!(view.cap, Some(amount("1000.00")));
}

// ----- every reachable refusal -------------------------------------------------------

/// How a row's operation is built from the village.
type Build = fn(&World) -> Operation;

fn submit(signed: opencoin_core::SignedTransaction) -> Operation {
    Operation::Submit(signed)
}

/// Seventeen sector codes, one more than an account may have.
fn seventeen_sectors() -> Vec<SectorCode> {
    (0..17).map(|n| SectorCode::new(&format!("{}", 1000 + n)).unwrap()).collect()
}

/// The public key whose y coordinate is 1: the identity point, of order 1,
/// for which anyone can sign under the cofactored signature rules.
fn identity_key() -> VerifyingKey {
    let mut identity = [0; 32];
    identity[0] = 1;
    VerifyingKey::from_bytes(&identity).unwrap()
}

#[test]
fn every_reachable_rejection_names_its_reason_and_changes_nothing() {
    let outside = Some(place(FAR_AWAY));
    let rows: Vec<(&str, Build, Rejection)> = vec![
        (
            "time going backwards",
            |w| submit(w.tx(2, day(0), transfer(3, "1.00"))),
            Rejection::TimeWentBackwards { at: day(0), clock: day(1) },
        ),
        (
            "unknown currency in a transaction",
            |w| {
                let mut body = w.unsigned(2, day(1), transfer(3, "1.00"));
                body.currency = code("XYZ");
                submit(w.sign(body))
            },
            Rejection::UnknownCurrency(code("XYZ")),
        ),
        (
            "unknown currency when opening",
            |w| w.open_request(40, "XYZ", AccountKind::Member, None, &[], day(1)),
            Rejection::UnknownCurrency(code("XYZ")),
        ),
        (
            "unknown currency when distributing",
            |_| Operation::DistributeIncome { currency: code("XYZ"), at: day(1) },
            Rejection::UnknownCurrency(code("XYZ")),
        ),
        (
            "unknown payer",
            |_| {
                let body = Transaction {
                    currency: code("VLG"),
                    source: AccountId(77),
                    sequence: 0,
                    timestamp: day(1),
                    action: transfer(3, "1.00"),
                    memo: String::new(),
                };
                submit(body.sign(&owner_key(77)).unwrap())
            },
            Rejection::UnknownAccount(AccountId(77)),
        ),
        (
            "unknown payee",
            |w| submit(w.tx(2, day(1), transfer(77, "1.00"))),
            Rejection::UnknownAccount(AccountId(77)),
        ),
        (
            "unknown account updated",
            |_| {
                Operation::UpdateAccount(UpdateAccount {
                    id: AccountId(77),
                    location: None,
                    sectors: vec![],
                    at: day(1),
                })
            },
            Rejection::UnknownAccount(AccountId(77)),
        ),
        (
            "payer holds another currency",
            |w| {
                let mut body = w.unsigned(21, day(1), transfer(22, "1.00"));
                body.currency = code("VLG");
                submit(w.sign(body))
            },
            Rejection::WrongCurrency {
                account: AccountId(21),
                holds: code("TRC"),
                transaction: code("VLG"),
            },
        ),
        (
            "payee holds another currency",
            |w| submit(w.tx(2, day(1), transfer(21, "1.00"))),
            Rejection::WrongCurrency {
                account: AccountId(21),
                holds: code("TRC"),
                transaction: code("VLG"),
            },
        ),
        (
            "signature over another body (amount tampered)",
            |w| {
                let signed = w.tx(2, day(1), transfer(3, "10.00"));
                let mut tampered = signed.transaction().clone();
                tampered.action = transfer(3, "99.00");
                submit(with_body_replaced(&signed, &tampered))
            },
            Rejection::InvalidSignature,
        ),
        (
            "signature by another key than the one claimed",
            |w| {
                let body = w.unsigned(2, day(1), transfer(3, "10.00"));
                let by_stranger = body.sign(&key(66)).unwrap();
                submit(with_signer_swapped(&by_stranger, &owner_key(2)))
            },
            Rejection::InvalidSignature,
        ),
        (
            "signed by someone who does not own the payer",
            |w| submit(w.unsigned(2, day(1), transfer(3, "1.00")).sign(&owner_key(3)).unwrap()),
            Rejection::SignerNotOwner { account: AccountId(2) },
        ),
        (
            "a member issuing",
            |w| submit(w.tx(2, day(1), issue(3, "1.00"))),
            Rejection::NotAnIssuer { account: AccountId(2) },
        ),
        (
            "an issuer account owned by an unlisted key",
            |w| w.open_request(40, "VLG", AccountKind::Issuer, Some(CENTER), &[], day(1)),
            Rejection::NotAnIssuer { account: AccountId(40) },
        ),
        (
            "issuing under mutual credit",
            |w| submit(w.tx(21, day(1), issue(22, "1.00"))),
            Rejection::ActionNotAllowed { policy: "mutual credit", action: "issuing" },
        ),
        (
            "redeeming under mutual credit",
            |w| submit(w.tx(21, day(1), Action::Redeem { amount: amount("1.00") })),
            Rejection::ActionNotAllowed { policy: "mutual credit", action: "redeeming" },
        ),
        (
            "issuing under basic income",
            |w| submit(w.tx(31, day(1), issue(32, "1.00"))),
            Rejection::ActionNotAllowed { policy: "basic income", action: "issuing" },
        ),
        (
            "distributing income of an issued currency",
            |_| Operation::DistributeIncome { currency: code("VLG"), at: day(1) },
            Rejection::ActionNotAllowed { policy: "issued", action: "distributing income" },
        ),
        (
            // The issuer used sequences 0 and 1 for the two opening issues;
            // a new body (another amount, so another id) reusing 1 is a
            // replay.
            "replayed sequence number",
            |w| submit(w.tx_with_sequence(1, 1, day(1), issue(3, "1.00"))),
            Rejection::SequenceMismatch { account: AccountId(1), expected: 2, got: 1 },
        ),
        (
            "gap in sequence numbers",
            |w| submit(w.tx_with_sequence(1, 5, day(1), issue(3, "1.00"))),
            Rejection::SequenceMismatch { account: AccountId(1), expected: 2, got: 5 },
        ),
        (
            "zero amount",
            |w| submit(w.tx(2, day(1), transfer(3, "0.00"))),
            Rejection::BadAmount(AmountError::NotPositive { value: "0.00".to_owned() }),
        ),
        (
            "negative amount",
            |w| submit(w.tx(2, day(1), transfer(3, "-1.00"))),
            Rejection::BadAmount(AmountError::NotPositive { value: "-1.00".to_owned() }),
        ),
        (
            "amount with three decimals in a two-decimal currency",
            |w| {
                let three = Amount::parse("1.000", 3).unwrap();
                submit(w.tx(2, day(1), Action::Transfer { to: AccountId(3), amount: three }))
            },
            Rejection::BadAmount(AmountError::DecimalsMismatch { left: 3, right: 2 }),
        ),
        (
            "paying oneself",
            |w| submit(w.tx(2, day(1), transfer(2, "1.00"))),
            Rejection::AccountsMustDiffer(AccountId(2)),
        ),
        (
            "a cap raised to the same value",
            |w| submit(w.tx(1, day(1), Action::RaiseSupplyCap { cap: amount("1000.00") })),
            Rejection::CapMustRise { current: amount("1000.00"), new_cap: amount("1000.00") },
        ),
        (
            "a cap lowered",
            |w| submit(w.tx(1, day(1), Action::RaiseSupplyCap { cap: amount("999.99") })),
            Rejection::CapMustRise { current: amount("1000.00"), new_cap: amount("999.99") },
        ),
        (
            // 3 holds 100.00 = 10000 minor units and tries to pay 10001.
            "paying one cent more than the balance",
            |w| submit(w.tx(3, day(1), transfer(2, "100.01"))),
            Rejection::InsufficientFunds {
                account: AccountId(3),
                balance: amount("100.00"),
                needed: amount("100.01"),
            },
        ),
        (
            "paying an account outside the perimeter",
            |w| submit(w.tx(2, day(1), transfer(4, "1.00"))),
            violation(
                "rules[0]",
                "stays in the village",
                "perimeter",
                ViolationDetail::OutsidePerimeter {
                    side: Side::Payee,
                    account: AccountId(4),
                    location: outside,
                },
            ),
        ),
        (
            "paying a fuel dealer",
            |w| submit(w.tx(2, day(1), transfer(5, "1.00"))),
            violation(
                "rules[1]",
                "no fossil fuel",
                "sectors",
                ViolationDetail::SectorBanned {
                    side: Side::Payee,
                    account: AccountId(5),
                    sector: SectorCode::new("5983").unwrap(),
                    reason: "pay for fuel in euros".to_owned(),
                },
            ),
        ),
        (
            // 3 holds 100.00; 100.00 + 450.00 = 550.00 > 500.00. The supply
            // would be 850.00, within the cap, so the ceiling is the reason.
            "issuing above the balance ceiling",
            |w| submit(w.tx(1, day(1), issue(3, "450.00"))),
            violation(
                "rules[2]",
                "no hoarding",
                "balance_ceiling",
                ViolationDetail::ExceedsBalanceCeiling {
                    account: AccountId(3),
                    balance_after: amount("550.00"),
                    ceiling: amount("500.00"),
                },
            ),
        ),
        (
            // 3 would hold 300.01, under the ceiling, so the limit on one
            // payment is the reason.
            "paying one cent over the payment limit",
            |w| submit(w.tx(2, day(1), transfer(3, "200.01"))),
            violation(
                "rules[3]",
                "everyday payments",
                "payment_max",
                ViolationDetail::ExceedsPaymentMax {
                    amount: amount("200.01"),
                    max: amount("200.00"),
                },
            ),
        ),
        (
            // The fund is spared by the perimeter and the ceiling; 400.00 +
            // 600.01 = 1000.01 passes the 1000.00 cap by one cent.
            "issuing one cent over the supply cap",
            |w| submit(w.tx(1, day(1), issue(9, "600.01"))),
            violation(
                "supply.cap",
                "supply cap",
                "supply_cap",
                ViolationDetail::ExceedsSupplyCap {
                    supply_after: amount("1000.01"),
                    cap: amount("1000.00"),
                },
            ),
        ),
        (
            "going one cent past a hard credit limit",
            |w| submit(w.tx(21, day(1), transfer(22, "100.01"))),
            violation(
                "supply.credit_limit",
                "credit limit",
                "credit_limit",
                ViolationDetail::ExceedsCreditLimit {
                    account: AccountId(21),
                    balance_after: amount("-100.01"),
                    floor: amount("-100.00"),
                },
            ),
        ),
        (
            // BIN was created at day 0; one day is not a whole 30-day period.
            "distributing before a whole period",
            |_| Operation::DistributeIncome { currency: code("BIN"), at: day(1) },
            Rejection::NothingToDistribute { paid_through: day(0) },
        ),
        (
            "opening an account with seventeen sectors",
            |w| {
                let mut operation =
                    w.open_request(40, "VLG", AccountKind::Member, None, &[], day(1));
                if let Operation::OpenAccount(open) = &mut operation {
                    open.sectors = seventeen_sectors();
                }
                operation
            },
            Rejection::TooManySectors { count: 17, max: 16 },
        ),
        (
            "opening an account whose owner key is of small order",
            |w| {
                let mut operation =
                    w.open_request(41, "VLG", AccountKind::Member, None, &[], day(1));
                if let Operation::OpenAccount(open) = &mut operation {
                    open.owner = identity_key();
                }
                operation
            },
            Rejection::WeakOwnerKey { account: AccountId(41) },
        ),
        (
            "giving an account seventeen sectors",
            |_| {
                Operation::UpdateAccount(UpdateAccount {
                    id: AccountId(2),
                    location: Some(place(CENTER)),
                    sectors: seventeen_sectors(),
                    at: day(1),
                })
            },
            Rejection::TooManySectors { count: 17, max: 16 },
        ),
        (
            "opening an account twice",
            |w| w.open_request(2, "VLG", AccountKind::Member, None, &[], day(1)),
            Rejection::AccountExists(AccountId(2)),
        ),
        (
            "a currency file declaring an existing account",
            |_| {
                let toml = issued("NEW", &key(1), None) + &declared_account(9, "member", "0.00");
                Operation::CreateCurrency { spec: Box::new(common::spec(&toml)), at: day(1) }
            },
            Rejection::AccountExists(AccountId(9)),
        ),
        (
            // Regression: a file is validated when read, but a spec's fields
            // are public, and the ledger opened what an edited one declared
            // without checking ids or keys again.
            "a currency declaring one account twice, edited after reading",
            |_| {
                let toml = issued("NEW", &key(1), None) + &declared_account(60, "fund", "0.00");
                let mut spec = common::spec(&toml);
                spec.accounts.push(spec.accounts[0].clone());
                Operation::CreateCurrency { spec: Box::new(spec), at: day(1) }
            },
            Rejection::AccountExists(AccountId(60)),
        ),
        (
            // As above.
            "a currency declaring an account with an owner key of small order",
            |_| {
                let toml = issued("NEW", &key(1), None) + &declared_account(61, "fund", "0.00");
                let mut spec = common::spec(&toml);
                spec.accounts[0].owner = identity_key();
                Operation::CreateCurrency { spec: Box::new(spec), at: day(1) }
            },
            Rejection::WeakOwnerKey { account: AccountId(61) },
        ),
        (
            "creating a currency twice",
            |_| {
                let toml = mutual_credit("VLG", "5.00", "hard");
                Operation::CreateCurrency { spec: Box::new(common::spec(&toml)), at: day(1) }
            },
            Rejection::CurrencyExists(code("VLG")),
        ),
    ];

    // The table reaches every kind of refusal but three: invalid specs and
    // overflows have tests of their own below, and `Unencodable` (21)
    // cannot be reached, since a `SignedTransaction` comes only from
    // signing or decoding, which both refuse a memo over the limit.
    let mut codes: Vec<u16> = rows.iter().map(|row| row.2.code()).collect();
    codes.extend([4, 18]);
    codes.sort_unstable();
    codes.dedup();
    let mut reachable: Vec<u16> = (1..=22).collect();
    reachable.retain(|&code| code != 21);
    assert_eq!(codes, reachable);

    for (name, build, expected) in rows {
        let mut world = village();
        let operation = build(&world);
        let before = snapshot(&world);
        assert_eq!(world.apply(&operation), Err(expected), "{name}");
        assert_eq!(snapshot(&world), before, "{name}: a refusal must change nothing");
    }
}

#[test]
fn exchange_link_to_an_unknown_currency_is_an_invalid_spec_naming_the_field() {
    let mut world = village();
    let toml =
        mutual_credit("LNK", "10.00", "hard") + "[[exchange_links]]\nto = \"EUR\"\nrate = \"1\"\n";
    let operation = Operation::CreateCurrency { spec: Box::new(common::spec(&toml)), at: day(1) };
    let before = snapshot(&world);

    let Err(Rejection::InvalidSpec(error)) = world.apply(&operation) else {
        panic!("a link to EUR, which this ledger does not hold, must be refused");
    };
    assert_eq!(error.path, "exchange_links[0].to");
    assert!(error.problem.contains("EUR"), "the message names the missing currency: {error}");
    assert_eq!(snapshot(&world), before);

    // The same link is fine once it points at a currency the ledger holds.
    let toml =
        mutual_credit("LNK", "10.00", "hard") + "[[exchange_links]]\nto = \"VLG\"\nrate = \"1\"\n";
    let operation = Operation::CreateCurrency { spec: Box::new(common::spec(&toml)), at: day(1) };
    assert_eq!(world.apply(&operation), applied());
}

/// An uncapped issued currency, where nothing but the range of an amount
/// (10^28 - 1 minor units) bounds a balance: issuer 41 has issued all of
/// that range to member 42 at day 1.
fn everything_issued(currency: &str) -> World {
    let mut world = World::new();
    world.create(&issued(currency, &key(41), None), day(0));
    world.open(41, currency, AccountKind::Issuer, None, &[], day(0));
    world.open(42, currency, AccountKind::Member, None, &[], day(0));
    let everything = Action::Issue { to: AccountId(42), amount: minor(MINOR_UNITS_MAX) };
    assert_eq!(world.submit(&world.tx(41, day(1), everything)), applied());
    world
}

#[test]
fn balances_beyond_the_amount_range_are_refused_as_overflow() {
    let mut world = everything_issued("UNC");
    let before = snapshot(&world);
    assert_eq!(world.issue(41, 42, "0.01", day(1)), Err(Rejection::Overflow { what: "balance" }));
    assert_eq!(snapshot(&world), before);

    // Without a cap there is nothing to raise.
    let raise = world.tx(41, day(1), Action::RaiseSupplyCap { cap: amount("1.00") });
    assert_eq!(
        world.submit(&raise),
        Err(Rejection::ActionNotAllowed {
            policy: "uncapped issued",
            action: "raising a supply cap"
        })
    );
    assert_eq!(snapshot(&world), before);
}

#[test]
fn a_soft_credit_limit_cannot_push_a_balance_below_the_amount_range() {
    // Regression: under a soft limit nothing bounded the payer's balance
    // from below, so -(10^28 - 1) minus one cent was written (and tripped
    // the ledger's own range assertion in debug builds).
    let mut world = World::new();
    world.create(&mutual_credit("SFT", "50.00", "soft"), day(0));
    for id in [21, 22, 23] {
        world.open(id, "SFT", AccountKind::Member, None, &[], day(0));
    }
    let everything = Action::Transfer { to: AccountId(22), amount: minor(MINOR_UNITS_MAX) };
    let result = world.submit(&world.tx(21, day(1), everything));
    assert!(matches!(result, Ok(Receipt::Applied { warning: Some(_) })), "{result:?}");

    let before = snapshot(&world);
    assert_eq!(
        world.transfer(21, 23, "0.01", day(1)),
        Err(Rejection::Overflow { what: "balance" })
    );
    assert_eq!(snapshot(&world), before);
    let balance = world.ledger.balance(AccountId(21), day(1)).unwrap().balance;
    assert_eq!(balance.minor_units(), -MINOR_UNITS_MAX);
}

// ----- idempotency and warnings ------------------------------------------------------

#[test]
fn the_same_signed_transaction_twice_takes_effect_once() {
    let mut world = village();
    let payment = world.tx(2, day(2), transfer(3, "5.00"));
    assert_eq!(world.submit(&payment), applied());
    let after_first = snapshot(&world);

    // Again at once, and again after the clock has moved on: the id is
    // recognised before the time check, so a retry is always harmless.
    assert_eq!(world.submit(&payment), Ok(Receipt::AlreadyApplied(payment.id())));
    assert_eq!(snapshot(&world), after_first);
    assert_eq!(world.issue(1, 3, "1.00", day(5)), applied());
    let later = snapshot(&world);
    assert_eq!(world.submit(&payment), Ok(Receipt::AlreadyApplied(payment.id())));
    assert_eq!(snapshot(&world), later);

    // Moved once: 300.00 - 5.00 and 100.00 + 5.00 + 1.00.
    assert_eq!(world.balance(2, day(5)), "295.00");
    assert_eq!(world.balance(3, day(5)), "106.00");
}

#[test]
fn an_older_transaction_resubmitted_is_a_used_sequence_number() {
    // Only an account's latest transaction is recognised as already
    // applied; an older one carries a sequence number that is used up, so
    // it is refused as such and still changes nothing.
    let mut world = village();
    let first = world.tx(2, day(2), transfer(3, "5.00"));
    assert_eq!(world.submit(&first), applied());
    let second = world.tx(2, day(2), transfer(3, "1.00"));
    assert_eq!(world.submit(&second), applied());
    let after_both = snapshot(&world);

    assert_eq!(
        world.submit(&first),
        Err(Rejection::SequenceMismatch { account: AccountId(2), expected: 2, got: 0 })
    );
    assert_eq!(world.submit(&second), Ok(Receipt::AlreadyApplied(second.id())));
    assert_eq!(snapshot(&world), after_both);

    // Moved once each: 300.00 - 5.00 - 1.00.
    assert_eq!(world.balance(2, day(2)), "294.00");
}

#[test]
fn a_soft_credit_limit_warns_instead_of_refusing() {
    let mut world = World::new();
    world.create(&mutual_credit("SFT", "50.00", "soft"), day(0));
    world.open(21, "SFT", AccountKind::Member, None, &[], day(0));
    world.open(22, "SFT", AccountKind::Member, None, &[], day(0));

    // -40.00, then exactly -50.00: at the floor is not below it.
    assert_eq!(world.transfer(21, 22, "40.00", day(1)), applied());
    assert_eq!(world.transfer(21, 22, "10.00", day(1)), applied());

    // One cent more reaches -50.01: allowed, with a warning.
    let payment = world.tx(21, day(1), transfer(22, "0.01"));
    let warning = Warning::CreditLimitExceeded {
        account: AccountId(21),
        balance_after: amount("-50.01"),
        floor: amount("-50.00"),
    };
    assert_eq!(
        world.submit(&payment),
        Ok(Receipt::Applied { warning: Some(Box::new(warning.clone())) })
    );
    assert_eq!(world.balance(21, day(1)), "-50.01");
    assert_eq!(world.balance(22, day(1)), "50.01");

    let events = world.events();
    let last_two: Vec<&EventKind> = events[events.len() - 2..].iter().map(|e| &e.kind).collect();
    let paid_by = |kind: &EventKind| match kind {
        EventKind::Transferred { transaction, .. } => Some(*transaction),
        _ => None,
    };
    assert_eq!(paid_by(last_two[0]), Some(payment.id()));
    assert_eq!(last_two[1], &EventKind::Warned { transaction: payment.id(), warning });
}

// ----- demurrage ---------------------------------------------------------------------

/// 90 days in seconds.
const QUARTER: u64 = 90 * DAY;

/// A time on the demurrage grid: steps are counted from the Unix epoch, so
/// a start at a whole number of 90-day periods makes "the next step" fall
/// exactly 90 days later. 228 * 90 days is 2026-03-08T00:00:00Z.
const GRID_START: u64 = 228 * QUARTER;

fn quarter(n: u64) -> Timestamp {
    Timestamp(GRID_START + n * QUARTER)
}

/// An uncapped issued currency whose idle balances melt 2% per 90 days,
/// compounded once per period, into `to`; 1 issuer, 2 and 3 members, and
/// fund 9 declared. 2 receives 1000.00 at the start.
fn melting(to: MeltTo) -> World {
    let mut world = World::new();
    let toml = issued("DEM", &key(1), None)
        + &declared_account(9, "fund", "0.00")
        + &demurrage_rule("2%", "90d", "period", to);
    world.create(&toml, quarter(0));
    world.open(1, "DEM", AccountKind::Issuer, None, &[], quarter(0));
    world.open(2, "DEM", AccountKind::Member, None, &[], quarter(0));
    world.open(3, "DEM", AccountKind::Member, None, &[], quarter(0));
    assert_eq!(world.issue(1, 2, "1000.00", quarter(0)), applied());
    world
}

#[test]
fn an_idle_balance_melts_exactly_two_percent_a_quarter_into_the_fund() {
    let mut world = melting(MeltTo::Fund(9));

    // One second before the grid step: nothing has melted.
    let almost = Timestamp(quarter(1).0 - 1);
    assert_eq!(world.balance(2, almost), "1000.00");
    assert_eq!(world.balance(9, almost), "0.00");

    // After one whole period: 1000.00 * (1 - 0.02) = 980.00, and the 20.00
    // that melted is already the fund's (not yet written).
    let view = world.ledger.balance(AccountId(2), quarter(1)).unwrap();
    assert_eq!((view.balance, view.melting), (amount("980.00"), amount("20.00")));
    let fund = world.ledger.balance(AccountId(9), quarter(1)).unwrap();
    assert_eq!((fund.balance, fund.melt_receivable), (amount("20.00"), amount("20.00")));
    let trial = world.ledger.trial_balance(code("DEM"), quarter(1)).unwrap();
    assert!(trial.balances());
    assert_eq!(trial.total, amount("1000.00"));
    assert_eq!(trial.burn_pending, amount("0.00"));
    let lines: Vec<(u64, Amount)> = trial.lines.iter().map(|l| (l.account.0, l.balance)).collect();
    assert_eq!(
        lines,
        [(1, amount("0.00")), (2, amount("980.00")), (3, amount("0.00")), (9, amount("20.00"))]
    );

    // Touching the account writes the melt: 980.00 - 80.00 = 900.00.
    let events_before = world.events().len();
    assert_eq!(world.transfer(2, 3, "80.00", quarter(1)), applied());
    let melted = &world.events()[events_before].kind;
    assert_eq!(
        melted,
        &EventKind::Melted {
            currency: code("DEM"),
            account: AccountId(2),
            amount: amount("20.00"),
            destination: Some(AccountId(9)),
        }
    );
    assert_eq!(world.balance(2, quarter(1)), "900.00");
    assert_eq!(world.balance(3, quarter(1)), "80.00");
    let fund_lines = world.ledger.statement(AccountId(9)).unwrap();
    assert_eq!(fund_lines.len(), 1);
    assert_eq!(fund_lines[0].kind, PostingKind::MeltReceived);
    assert_eq!(
        (fund_lines[0].change, fund_lines[0].balance_after),
        (amount("20.00"), amount("20.00"))
    );

    // A second quarter: 900.00 * 0.98 = 882.00 (18.00 melts) and
    // 80.00 * 0.98 = 78.40 (1.60 melts); the fund holds 20 + 18 + 1.60.
    assert_eq!(world.balance(2, quarter(2)), "882.00");
    assert_eq!(world.balance(3, quarter(2)), "78.40");
    assert_eq!(world.balance(9, quarter(2)), "39.60");
    assert!(world.ledger.trial_balance(code("DEM"), quarter(2)).unwrap().balances());
    let supply = world.ledger.supply(code("DEM")).unwrap();
    assert_eq!((supply.in_circulation, supply.burned), (amount("1000.00"), amount("0.00")));
}

#[test]
fn burned_demurrage_shrinks_the_supply() {
    let mut world = melting(MeltTo::Burn);

    // Before the melt is written, the supply as stored is unchanged and the
    // trial balance shows the 1000.00 * 2% = 20.00 as pending burn.
    let trial = world.ledger.trial_balance(code("DEM"), quarter(1)).unwrap();
    assert_eq!(
        (trial.total, trial.burn_pending, trial.in_circulation),
        (amount("980.00"), amount("20.00"), amount("1000.00"))
    );
    assert!(trial.balances());

    assert_eq!(world.transfer(2, 3, "100.00", quarter(1)), applied());
    let supply = world.ledger.supply(code("DEM")).unwrap();
    assert_eq!(supply.burned, amount("20.00"));
    assert_eq!(supply.in_circulation, amount("980.00"));
    assert_eq!(supply.issued, amount("1000.00"));
    // 980.00 - 100.00 = 880.00; the fund receives nothing when burning.
    assert_eq!(world.balance(2, quarter(1)), "880.00");
    assert_eq!(world.balance(3, quarter(1)), "100.00");
    assert_eq!(world.balance(9, quarter(1)), "0.00");
    let trial = world.ledger.trial_balance(code("DEM"), quarter(1)).unwrap();
    assert_eq!((trial.total, trial.burn_pending), (amount("980.00"), amount("0.00")));
    assert!(trial.balances());
}

// ----- accounts: statements, trial balance -------------------------------------------

#[test]
fn a_statement_carries_a_correct_running_balance() {
    let mut world = village();
    assert_eq!(world.transfer(2, 3, "30.00", day(2)), applied());
    assert_eq!(world.transfer(3, 2, "5.50", day(3)), applied());
    assert_eq!(world.redeem(2, "0.50", day(4)), applied());

    // 0 + 300.00 = 300.00; - 30.00 = 270.00; + 5.50 = 275.50; - 0.50 = 275.00.
    let expected = [
        (PostingKind::Issue, Some(1), "300.00", "300.00"),
        (PostingKind::TransferOut, Some(3), "-30.00", "270.00"),
        (PostingKind::TransferIn, Some(3), "5.50", "275.50"),
        (PostingKind::Redeem, None, "-0.50", "275.00"),
    ];
    let lines = world.ledger.statement(AccountId(2)).unwrap();
    assert_eq!(lines.len(), expected.len());
    let mut running = amount("0.00");
    for (line, (kind, counterparty, change, after)) in lines.iter().zip(expected) {
        assert_eq!(line.kind, kind);
        assert_eq!(line.counterparty, counterparty.map(AccountId));
        assert_eq!(line.change, amount(change));
        assert_eq!(line.balance_after, amount(after));
        running = running.checked_add(line.change).unwrap();
        assert_eq!(running, line.balance_after, "the running balance adds up line by line");
    }
    assert_eq!(world.balance(2, day(4)), "275.00");
}

#[test]
fn the_trial_balance_adds_up_to_the_supply() {
    let mut world = village();
    assert_eq!(world.transfer(2, 3, "12.34", day(2)), applied());
    assert_eq!(world.redeem(3, "2.34", day(2)), applied());
    assert_eq!(world.issue(1, 9, "50.00", day(2)), applied());

    // 2: 300.00 - 12.34 = 287.66; 3: 100.00 + 12.34 - 2.34 = 110.00;
    // 9: 50.00. Total 447.66 = issued 450.00 - redeemed 2.34.
    let trial = world.ledger.trial_balance(code("VLG"), day(2)).unwrap();
    let lines: Vec<(u64, AccountKind, Amount)> =
        trial.lines.iter().map(|line| (line.account.0, line.kind, line.balance)).collect();
    assert_eq!(
        lines,
        [
            (1, AccountKind::Issuer, amount("0.00")),
            (2, AccountKind::Member, amount("287.66")),
            (3, AccountKind::Member, amount("110.00")),
            (4, AccountKind::Member, amount("0.00")),
            (5, AccountKind::Merchant, amount("0.00")),
            (9, AccountKind::Fund, amount("50.00")),
        ]
    );
    assert_eq!(trial.total, amount("447.66"));
    assert_eq!(trial.in_circulation, amount("447.66"));
    assert!(trial.balances());
}

#[test]
fn queries_name_what_they_cannot_answer() {
    // The village's clock is day 1.
    let world = village();
    let rows = [
        (
            world.ledger.balance(AccountId(77), day(1)).err(),
            QueryError::UnknownAccount(AccountId(77)),
        ),
        (
            world.ledger.balance(AccountId(2), day(0)).err(),
            QueryError::BeforeClock { at: day(0), clock: day(1) },
        ),
        (world.ledger.supply(code("XYZ")).err(), QueryError::UnknownCurrency(code("XYZ"))),
        (
            world.ledger.trial_balance(code("VLG"), day(0)).err(),
            QueryError::BeforeClock { at: day(0), clock: day(1) },
        ),
        (world.ledger.statement(AccountId(77)).err(), QueryError::UnknownAccount(AccountId(77))),
    ];
    for (answer, expected) in rows {
        assert_eq!(answer, Some(expected));
    }

    // A ledger that keeps no history has no statements to give.
    let mut ledger = Ledger::new(LedgerConfig { keep_history: false, ..LedgerConfig::default() });
    let toml = issued("NOH", &key(1), None) + &declared_account(9, "fund", "5.00");
    let create = Operation::CreateCurrency { spec: Box::new(common::spec(&toml)), at: day(0) };
    assert_eq!(ledger.apply(&create), applied());
    assert_eq!(ledger.statement(AccountId(9)), Err(QueryError::NoHistory));
    assert_eq!(ledger.balance(AccountId(9), day(0)).unwrap().balance, amount("5.00"));
}

// ----- basic income ------------------------------------------------------------------

#[test]
fn basic_income_pays_members_for_every_whole_period() {
    let mut world = World::new();
    world.create(&basic_income("BIN", "10.00", "30d"), day(0));
    world.open(31, "BIN", AccountKind::Member, None, &[], day(0));
    world.open(32, "BIN", AccountKind::Member, None, &[], day(0));
    world.open(33, "BIN", AccountKind::Merchant, None, &[], day(0));
    world.open(34, "BIN", AccountKind::Fund, None, &[], day(0));
    let events_before = world.events().len();

    // Day 65 is two whole 30-day periods after day 0 (and 5 days over):
    // 2 * 10.00 = 20.00 to each member, nothing to the merchant or the fund.
    let distribute = |at| Operation::DistributeIncome { currency: code("BIN"), at };
    assert_eq!(world.apply(&distribute(day(65))), applied());
    let balances: Vec<String> = [31, 32, 33, 34].map(|id| world.balance(id, day(65))).into();
    assert_eq!(balances, ["20.00", "20.00", "0.00", "0.00"]);
    assert_eq!(world.ledger.supply(code("BIN")).unwrap().issued, amount("40.00"));
    let paid: Vec<(u64, Amount)> = world.events()[events_before..]
        .iter()
        .filter_map(|event| match &event.kind {
            EventKind::IncomePaid { account, amount, .. } => Some((account.0, *amount)),
            _ => None,
        })
        .collect();
    assert_eq!(paid, [(31, amount("20.00")), (32, amount("20.00"))]);

    // Income is paid through day 60, not day 65: day 70 holds no new whole
    // period, day 90 holds one.
    assert_eq!(
        world.apply(&distribute(day(70))),
        Err(Rejection::NothingToDistribute { paid_through: day(60) })
    );
    assert_eq!(world.apply(&distribute(day(90))), applied());
    assert_eq!(world.balance(31, day(90)), "30.00");
    assert_eq!(world.balance(33, day(90)), "0.00");
    assert!(world.ledger.trial_balance(code("BIN"), day(90)).unwrap().balances());
}

// ----- reputation and events ---------------------------------------------------------

#[test]
fn activity_reputation_counts_distinct_counterparties() {
    let mut world = village();
    let module = world.ledger.subscribe(Box::new(ActivityReputation::new()));
    assert_eq!(world.transfer(2, 3, "10.00", day(2)), applied());
    assert_eq!(world.transfer(2, 9, "5.00", day(2)), applied());
    assert_eq!(world.transfer(3, 2, "1.00", day(2)), applied());
    assert_eq!(world.transfer(2, 3, "2.00", day(2)), applied());
    assert_eq!(world.issue(1, 2, "1.00", day(2)), applied());

    let reputation = world.ledger.subscriber::<ActivityReputation>(module).unwrap();
    // 2 paid 3 twice and 9 once and was paid by 3 once: four payments with
    // two distinct counterparties, volume 10.00 + 5.00 + 1.00 + 2.00.
    let two = reputation.activity(AccountId(2)).unwrap();
    assert_eq!(two.payments, 4);
    assert_eq!(two.counterparties.iter().map(|id| id.0).collect::<Vec<_>>(), [3, 9]);
    assert_eq!(two.volume, 1_800);
    assert_eq!(reputation.activity(AccountId(9)).unwrap().payments, 1);
    // Issues are not trade: the issuer has no activity.
    assert!(reputation.activity(AccountId(1)).is_none());
    // Two counterparties give 2 * 5 = 10 points; active today gives 50.
    assert_eq!(reputation.assess(AccountId(2), day(2)).unwrap().score, 60);
    // Asked for with another type, the subscriber is not handed out.
    assert!(world.ledger.subscriber::<EventLog>(module).is_none());
}

#[test]
fn events_arrive_in_order_without_gaps_and_none_for_refusals() {
    let mut world = World::new();
    let toml = issued("EVT", &key(1), None) + &declared_account(9, "fund", "50.00");
    world.create(&toml, day(0));
    world.open(1, "EVT", AccountKind::Issuer, None, &[], day(0));
    world.open(2, "EVT", AccountKind::Member, None, &[], day(0));
    let issue_tx = world.tx(1, day(1), issue(2, "10.00"));
    assert_eq!(world.submit(&issue_tx), applied());
    let count = world.events().len();
    let refused = world.transfer(2, 9, "10.01", day(1));
    assert!(matches!(refused, Err(Rejection::InsufficientFunds { .. })), "{refused:?}");
    assert_eq!(world.events().len(), count, "a refusal publishes nothing");
    let payment = world.tx(2, day(2), transfer(9, "4.00"));
    assert_eq!(world.submit(&payment), applied());

    let evt = code("EVT");
    let expected = [
        (day(0), EventKind::CurrencyCreated { currency: evt }),
        (
            day(0),
            EventKind::AccountOpened {
                account: AccountId(9),
                currency: evt,
                kind: AccountKind::Fund,
            },
        ),
        (
            day(0),
            EventKind::Issued {
                transaction: None,
                currency: evt,
                issuer: None,
                to: AccountId(9),
                amount: amount("50.00"),
            },
        ),
        (
            day(0),
            EventKind::AccountOpened {
                account: AccountId(1),
                currency: evt,
                kind: AccountKind::Issuer,
            },
        ),
        (
            day(0),
            EventKind::AccountOpened {
                account: AccountId(2),
                currency: evt,
                kind: AccountKind::Member,
            },
        ),
        (
            day(1),
            EventKind::Issued {
                transaction: Some(issue_tx.id()),
                currency: evt,
                issuer: Some(AccountId(1)),
                to: AccountId(2),
                amount: amount("10.00"),
            },
        ),
        (
            day(2),
            EventKind::Transferred {
                transaction: payment.id(),
                currency: evt,
                from: AccountId(2),
                to: AccountId(9),
                amount: amount("4.00"),
            },
        ),
    ];
    let events = world.events();
    assert_eq!(events.len(), expected.len());
    for (index, (event, (at, kind))) in events.iter().zip(expected).enumerate() {
        assert_eq!(event.sequence, index as u64, "consecutive sequence numbers from zero");
        assert_eq!((event.at, &event.kind), (at, &kind), "event {index}");
    }
}

#[test]
fn events_before_the_first_subscriber_are_numbered_but_not_delivered() {
    // Creating EVT publishes two events (the currency, then its declared
    // fund) to nobody; the subscriber added next hears the third, numbered 2.
    let mut ledger = Ledger::new(LedgerConfig::default());
    let toml = issued("EVT", &key(1), None) + &declared_account(9, "fund", "0.00");
    let create = Operation::CreateCurrency { spec: Box::new(common::spec(&toml)), at: day(0) };
    assert_eq!(ledger.apply(&create), applied());
    let log = ledger.subscribe(Box::new(EventLog::default()));
    let open = Operation::OpenAccount(OpenAccount {
        id: AccountId(2),
        currency: code("EVT"),
        owner: owner_key(2).verifying_key(),
        kind: AccountKind::Member,
        location: None,
        sectors: vec![],
        at: day(1),
    });
    assert_eq!(ledger.apply(&open), applied());

    let events = &ledger.subscriber::<EventLog>(log).unwrap().events;
    let seen: Vec<(u64, &EventKind)> =
        events.iter().map(|event| (event.sequence, &event.kind)).collect();
    let opened = EventKind::AccountOpened {
        account: AccountId(2),
        currency: code("EVT"),
        kind: AccountKind::Member,
    };
    assert_eq!(seen, [(2, &opened)]);
}

// ----- accounts that move ------------------------------------------------------------

#[test]
fn an_account_moved_out_of_the_perimeter_can_no_longer_pay() {
    let mut world = village();
    let move_to = |location, at| {
        Operation::UpdateAccount(UpdateAccount {
            id: AccountId(2),
            location: Some(place(location)),
            sectors: vec![],
            at,
        })
    };
    assert_eq!(world.apply(&move_to(FAR_AWAY, day(2))), applied());
    assert_eq!(
        world.events().last().unwrap().kind,
        EventKind::AccountUpdated { account: AccountId(2) }
    );

    let refused_as = |side| {
        Err(violation(
            "rules[0]",
            "stays in the village",
            "perimeter",
            ViolationDetail::OutsidePerimeter {
                side,
                account: AccountId(2),
                location: Some(place(FAR_AWAY)),
            },
        ))
    };
    assert_eq!(world.transfer(2, 3, "1.00", day(2)), refused_as(Side::Payer));
    assert_eq!(world.transfer(3, 2, "1.00", day(2)), refused_as(Side::Payee));

    // Back home, it pays again.
    assert_eq!(world.apply(&move_to(CENTER, day(3))), applied());
    assert_eq!(world.transfer(2, 3, "1.00", day(3)), applied());
    assert_eq!(world.balance(2, day(3)), "299.00");
}

// ----- batches -----------------------------------------------------------------------

#[test]
fn an_atomic_batch_with_one_bad_element_changes_nothing() {
    let mut world = village();
    // The issuer's next sequence is 2; 2 and 3 have sent nothing yet.
    let batch = |second_payment_sequence: u64, world: &World| {
        [
            world.tx_with_sequence(1, 2, day(2), issue(3, "50.00")),
            world.tx_with_sequence(2, 0, day(2), transfer(3, "20.00")),
            world.tx_with_sequence(2, second_payment_sequence, day(2), transfer(3, "20.00")),
            world.tx_with_sequence(3, 0, day(2), transfer(2, "1.00")),
        ]
    };
    let bad = batch(5, &world);
    let operations: Vec<Operation> = bad.iter().cloned().map(Operation::Submit).collect();
    let before = snapshot(&world);
    assert_eq!(
        world.ledger.apply_atomic(&operations),
        Err(BatchRejection {
            index: 2,
            rejection: Rejection::SequenceMismatch { account: AccountId(2), expected: 1, got: 5 },
        })
    );
    assert_eq!(snapshot(&world), before);
    assert_eq!(world.balance(2, day(2)), "300.00");
    assert_eq!(world.balance(3, day(2)), "100.00");

    // With the right sequence the whole batch applies: 2 pays 20.00 twice
    // and receives 1.00: 300.00 - 40.00 + 1.00 = 261.00; 3 receives 50.00
    // and 40.00 and pays 1.00: 100.00 + 90.00 - 1.00 = 189.00.
    let good = batch(1, &world);
    let operations: Vec<Operation> = good.iter().cloned().map(Operation::Submit).collect();
    let receipts = world.ledger.apply_atomic(&operations).unwrap();
    assert_eq!(receipts, vec![Receipt::Applied { warning: None }; 4]);
    assert_eq!(world.balance(2, day(2)), "261.00");
    assert_eq!(world.balance(3, day(2)), "189.00");
    assert_eq!(world.events().len(), before.events + 4);
}

#[test]
fn an_account_opened_in_a_batch_can_be_paid_and_pay_later_in_the_same_batch() {
    // A batch's accounts are looked up before its operations are applied
    // (to warm the cache); 6 does not exist then. Payments to and from it
    // after its opening, in the same batch, must still find it, in both
    // kinds of batch.
    for atomic in [false, true] {
        let mut world = village();
        let opening = world.open_request(6, "VLG", AccountKind::Member, Some(CENTER), &[], day(2));
        // The ledger learns of 6 only from the batch, so its payment is
        // signed here with 6's owner key.
        let from_six = Transaction {
            currency: code("VLG"),
            source: AccountId(6),
            sequence: 0,
            timestamp: day(2),
            action: transfer(3, "15.00"),
            memo: String::new(),
        };
        let operations = vec![
            opening,
            submit(world.tx_with_sequence(2, 0, day(2), transfer(6, "40.00"))),
            submit(from_six.sign(&owner_key(6)).unwrap()),
        ];
        if atomic {
            assert_eq!(world.ledger.apply_atomic(&operations).unwrap().len(), 3);
        } else {
            assert!(world.ledger.apply_each(&operations).iter().all(Result::is_ok));
        }
        // 6 receives 40.00 and pays 15.00: 25.00. 2: 300.00 - 40.00 =
        // 260.00. 3: 100.00 + 15.00 = 115.00.
        assert_eq!(world.balance(6, day(2)), "25.00", "atomic {atomic}");
        assert_eq!(world.balance(2, day(2)), "260.00", "atomic {atomic}");
        assert_eq!(world.balance(3, day(2)), "115.00", "atomic {atomic}");
    }
}

#[test]
fn a_large_batch_refuses_exactly_its_bad_signatures() {
    // Forty payments from account 2, large enough to be verified on every
    // core in batches; two of them (positions 3 and 27) carry a signature
    // over another body. Each bad one is refused on its own and does not use
    // up its sequence number, so the next good one carries the same number
    // and applies: the batch must split its verdicts exactly.
    let mut world = village();
    let bad_positions = [3, 27];
    let mut sequence = 0;
    let mut operations = Vec::new();
    for position in 0..40 {
        let signed = world.tx_with_sequence(2, sequence, day(2), transfer(3, "1.00"));
        if bad_positions.contains(&position) {
            let mut other = signed.transaction().clone();
            other.action = transfer(3, "2.00");
            operations.push(submit(with_body_replaced(&signed, &other)));
        } else {
            operations.push(submit(signed));
            sequence += 1;
        }
    }

    let results = world.ledger.apply_each(&operations);
    for (position, result) in results.iter().enumerate() {
        if bad_positions.contains(&position) {
            assert_eq!(result, &Err(Rejection::InvalidSignature), "position {position}");
        } else {
            assert_eq!(result, &applied(), "position {position}");
        }
    }
    // 38 payments of 1.00: 300.00 - 38.00 and 100.00 + 38.00.
    assert_eq!(world.balance(2, day(2)), "262.00");
    assert_eq!(world.balance(3, day(2)), "138.00");
}

#[test]
fn a_refused_atomic_batch_also_undoes_currencies_and_accounts_it_created() {
    let mut world = village();
    let toml = issued("NEW", &key(1), None) + &declared_account(50, "fund", "10.00");
    let create = Operation::CreateCurrency { spec: Box::new(common::spec(&toml)), at: day(2) };
    let open = world.open_request(51, "NEW", AccountKind::Member, None, &[], day(2));
    let late = world.tx(2, day(0), transfer(3, "1.00"));
    let before = snapshot(&world);

    let refusal = world.ledger.apply_atomic(&[create.clone(), open, Operation::Submit(late)]);
    assert_eq!(refusal.unwrap_err().index, 2);
    assert_eq!(snapshot(&world), before);
    assert!(world.ledger.spec(code("NEW")).is_none());
    assert!(world.ledger.account_info(AccountId(50)).is_none());
    assert!(world.ledger.account_info(AccountId(51)).is_none());

    // Nothing was left behind: the same currency can be created afterwards.
    assert_eq!(world.apply(&create), applied());
    assert_eq!(world.balance(50, day(2)), "10.00");
}

#[test]
fn apply_each_gives_one_result_per_operation() {
    let mut world = village();
    let first = world.tx_with_sequence(2, 0, day(2), transfer(3, "10.00"));
    // Same sequence as the first, another amount: another id, a replay.
    let replay = world.tx_with_sequence(2, 0, day(2), transfer(3, "11.00"));
    let third = world.tx_with_sequence(2, 1, day(2), transfer(3, "12.00"));
    let operations: Vec<Operation> =
        [first, replay, third].into_iter().map(Operation::Submit).collect();

    let results = world.ledger.apply_each(&operations);
    assert_eq!(
        results,
        vec![
            applied(),
            Err(Rejection::SequenceMismatch { account: AccountId(2), expected: 1, got: 0 }),
            applied(),
        ]
    );
    // The refusal in the middle did not stop the third: 300.00 - 10.00 -
    // 12.00 = 278.00 and 100.00 + 22.00 = 122.00.
    assert_eq!(world.balance(2, day(2)), "278.00");
    assert_eq!(world.balance(3, day(2)), "122.00");

    // apply_each_into answers into a reused buffer, dropping what the
    // buffer held. The same three again: the first and the replay carry
    // sequence 0, used, so both are refused; the third is the account's
    // latest transaction, so it is recognised as already applied.
    let mut buffer = results;
    world.ledger.apply_each_into(&operations, &mut buffer);
    assert_eq!(buffer.len(), 3);
    let used = Err(Rejection::SequenceMismatch { account: AccountId(2), expected: 2, got: 0 });
    assert_eq!(buffer[0], used);
    assert_eq!(buffer[1], used);
    assert!(matches!(buffer[2], Ok(Receipt::AlreadyApplied(_))), "{:?}", buffer[2]);
}

/// The lifetime issued total stays within the range of one amount, so every
/// total the ledger reports is exact: after issuing 10^28 - 1 minor units
/// and redeeming one, issuing one more is refused, although the money in
/// circulation would be back at 10^28 - 1.
#[test]
fn the_lifetime_issued_total_stays_within_the_amount_range() {
    let mut world = everything_issued("BIG");
    assert_eq!(world.redeem(42, "0.01", day(1)), applied());

    let before = snapshot(&world);
    assert_eq!(
        world.issue(41, 42, "0.01", day(1)),
        Err(Rejection::Overflow { what: "issued total" })
    );
    assert_eq!(snapshot(&world), before);

    let supply = world.ledger.supply(code("BIG")).unwrap();
    assert_eq!(supply.issued.minor_units(), MINOR_UNITS_MAX);
    assert_eq!(supply.in_circulation.minor_units(), MINOR_UNITS_MAX - 1);
}

/// Under mutual credit the credit limit decides, even when it is zero: a
/// payment from an empty account with a hard limit of 0.00 is refused by
/// the limit rule (balance -0.01 against a floor of 0.00), not as
/// "insufficient funds", which belongs to issued and basic-income money.
#[test]
fn a_zero_credit_limit_refuses_by_the_limit_rule() {
    let mut world = World::new();
    world.create(&mutual_credit("ZRO", "0.00", "hard"), day(0));
    world.open(61, "ZRO", AccountKind::Member, None, &[], day(0));
    world.open(62, "ZRO", AccountKind::Member, None, &[], day(0));

    let refused = world.transfer(61, 62, "0.01", day(1)).unwrap_err();
    let Rejection::RuleViolation(violation) = refused else {
        panic!("expected the credit limit to refuse, got {refused:?}");
    };
    assert_eq!(violation.rule.path, "supply.credit_limit");
    assert_eq!(
        violation.detail,
        ViolationDetail::ExceedsCreditLimit {
            account: AccountId(61),
            balance_after: amount("-0.01"),
            floor: amount("0.00"),
        }
    );
}

#[test]
fn the_state_hash_ignores_the_opening_order_and_covers_every_account() {
    // A thousand accounts without location, sectors or transactions put 81
    // bytes each into the hash (id 8, balance 16, settled at 8, sequence
    // 8, currency 2, kind 1, owner key 32, no location 1, sector count 4,
    // no last transaction 1): 81,000 bytes, more than the 65,536 the
    // ledger hashes at a time, so accounts 811 to 1,000 are hashed in a
    // later piece than the first. Opened in ascending order in one ledger
    // and descending in the other, they are the same state.
    let open_all = |ids: &mut dyn Iterator<Item = u64>, last_located: bool| {
        let mut world = World::new();
        world.create(&mutual_credit("TRC", "500.00", "hard"), day(0));
        for id in ids {
            let location = (id == 1_000 && last_located).then_some(CENTER);
            world.open(id, "TRC", AccountKind::Member, location, &[], day(0));
        }
        world
    };
    let ascending = open_all(&mut (1..=1_000), false);
    let descending = open_all(&mut (1..=1_000).rev(), false);
    assert_eq!(ascending.ledger.state_hash(), descending.ledger.state_hash());

    // The same accounts but the last one located: only its fields differ,
    // in the last piece hashed, and the hash sees it.
    let last_located = open_all(&mut (1..=1_000), true);
    assert_ne!(ascending.ledger.state_hash(), last_located.ledger.state_hash());
}
