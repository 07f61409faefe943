//! Property tests of the ledger over random histories.
//!
//! Scenario: a small world of two currencies. `VLG` is issued (cap
//! 10000.00, raisable) with a perimeter, demurrage of 2% per 30 days
//! compounded daily into fund 100, a ban on paying fuel dealers, a balance
//! ceiling of 2000.00 (the fund spared) and a payment limit of 500.00. `TRC`
//! is mutual credit with a hard limit of 100.00 and demurrage of 5% per 30
//! days, burned. About a dozen accounts hold them, two of them opened only
//! if the history says so. A history is up to 60 steps: payments, issues,
//! redemptions, cap raises, moves in and out of the perimeter, openings and
//! distributions, with amounts biased to the edges (one minor unit, exactly
//! the balance, one unit more, the ceiling, the payment limit, the room
//! under the cap, 10^28 - 1), times that mostly move forward but sometimes
//! go back, sequence numbers that are mostly right, sometimes the wrong key
//! or a forged signature, re-submissions of earlier transactions, and atomic
//! or independent batches of one to five operations, sometimes with a bad
//! element.
//!
//! Properties guarded, after every step, rejected ones included:
//! 1. conservation: for each currency, at the clock and at a later query
//!    time, the trial balance balances, and the balances plus the pending
//!    burn equal issued - redeemed - burned as counted by this test from the
//!    events it received, whose issues and redemptions must in turn equal
//!    the amounts of the applied transactions the test signed (mutual
//!    credit: balances plus burn sum to zero);
//! 2. floors and ceilings: no balance below zero (issued) or minus the
//!    credit limit (mutual credit), none above the ceiling unless spared;
//! 3. a refused operation, or a refused atomic batch, leaves the state hash
//!    and the event stream unchanged; a wrong key, a forged signature, a
//!    wrong sequence number or a bad amount never applies;
//! 4. determinism: the same operations on a fresh ledger give the same
//!    results, the same events and the same state hash;
//! 5. idempotency: re-submitting the latest transaction applied from an
//!    account answers `AlreadyApplied` and changes nothing; re-submitting
//!    an older applied one is refused as a sequence mismatch and changes
//!    nothing.
//!
//! Runs 256 cases by default; `PROPTEST_CASES` overrides.

// The helpers below run outside `#[test]` functions; a failed check in
// them is meant to stop the case, and proptest reports it with the history.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{
    CENTER, DAY, FAR_AWAY, MeltTo, T0, ceiling_rule, code, declared_account, demurrage_rule,
    fuel_ban_rule, issued, key, mutual_credit, owner_key, payment_max_rule, perimeter_rule, place,
    with_signer_swapped,
};
use opencoin_core::{
    AccountId, AccountKind, Action, Amount, CurrencyCode, MINOR_UNITS_MAX, SectorCode,
    SignedTransaction, Timestamp, Transaction, TransactionId,
};
use opencoin_ledger::{
    BatchRejection, EventKind, EventLog, Ledger, LedgerConfig, OpenAccount, Operation, Receipt,
    Rejection, SubscriberId, UpdateAccount,
};
use proptest::prelude::*;
use proptest::sample::Index;

// ----- the world ---------------------------------------------------------------------

/// VLG's balance ceiling, payment limit and initial cap, in minor units.
const CEILING: i128 = 200_000;
const PAYMENT_MAX: i128 = 50_000;
const CAP: &str = "10000.00";

/// TRC's credit limit in minor units.
const CREDIT_LIMIT: i128 = 10_000;

/// The issuer account of VLG, the fund its demurrage feeds and an id that
/// is never opened.
const ISSUER: u64 = 1;
const FUND: u64 = 100;
const NEVER_OPENED: u64 = 999;

/// An account the histories may use.
struct Slot {
    id: u64,
    currency: &'static str,
    kind: AccountKind,
    location: Option<(f64, f64)>,
    sectors: &'static [&'static str],
    opened_at_start: bool,
}

const fn slot(
    id: u64,
    currency: &'static str,
    kind: AccountKind,
    location: Option<(f64, f64)>,
    sectors: &'static [&'static str],
    opened_at_start: bool,
) -> Slot {
    Slot { id, currency, kind, location, sectors, opened_at_start }
}

/// The accounts, those that exist from the start first.
const SLOTS: [Slot; 14] = [
    slot(ISSUER, "VLG", AccountKind::Issuer, Some(CENTER), &[], true),
    slot(2, "VLG", AccountKind::Member, Some(CENTER), &[], true),
    slot(3, "VLG", AccountKind::Member, Some(CENTER), &[], true),
    slot(4, "VLG", AccountKind::Merchant, Some(CENTER), &["5411"], true),
    slot(5, "VLG", AccountKind::Member, Some(FAR_AWAY), &[], true),
    slot(6, "VLG", AccountKind::Merchant, Some(CENTER), &["5983"], true),
    // Declared in VLG's file, so opened with the currency.
    slot(FUND, "VLG", AccountKind::Fund, Some(CENTER), &[], false),
    slot(11, "TRC", AccountKind::Member, None, &[], true),
    slot(12, "TRC", AccountKind::Member, None, &[], true),
    slot(13, "TRC", AccountKind::Member, None, &[], true),
    slot(14, "TRC", AccountKind::Merchant, None, &["5411"], true),
    // Opened only if a history says so.
    slot(7, "VLG", AccountKind::Member, Some(CENTER), &[], false),
    slot(15, "TRC", AccountKind::Member, None, &[], false),
    slot(NEVER_OPENED, "VLG", AccountKind::Member, None, &[], false),
];

/// How many of [`SLOTS`] exist from the start.
const EXISTING_AT_START: usize = 11;

/// What the test knows of a currency's design, to check floors, ceilings
/// and where melted value goes.
struct Design {
    code: &'static str,
    floor: i128,
    ceiling: Option<i128>,
    burns: bool,
}

const DESIGNS: [Design; 2] = [
    Design { code: "VLG", floor: 0, ceiling: Some(CEILING), burns: false },
    Design { code: "TRC", floor: -CREDIT_LIMIT, ceiling: None, burns: true },
];

fn open_operation(slot: &Slot, at: Timestamp) -> Operation {
    Operation::OpenAccount(OpenAccount {
        id: AccountId(slot.id),
        currency: code(slot.currency),
        owner: owner_key(slot.id).verifying_key(),
        kind: slot.kind,
        location: slot.location.map(place),
        sectors: slot.sectors.iter().map(|s| SectorCode::new(s).unwrap()).collect(),
        at,
    })
}

/// The operations that set the world up, all at [`T0`]: the currencies, the
/// accounts, and opening issues so that payments have money to move.
fn genesis() -> Vec<Operation> {
    let vlg = issued("VLG", &key(1), Some(CAP))
        + &declared_account(FUND, "fund", "0.00")
        + &perimeter_rule()
        + &demurrage_rule("2%", "30d", "day", MeltTo::Fund(FUND))
        + &fuel_ban_rule()
        + &ceiling_rule("2000.00")
        + &payment_max_rule("500.00");
    let trc =
        mutual_credit("TRC", "100.00", "hard") + &demurrage_rule("5%", "30d", "day", MeltTo::Burn);
    let at = Timestamp(T0);
    let mut operations = vec![
        Operation::CreateCurrency { spec: Box::new(common::spec(&vlg)), at },
        Operation::CreateCurrency { spec: Box::new(common::spec(&trc)), at },
    ];
    operations.extend(SLOTS.iter().filter(|s| s.opened_at_start).map(|s| open_operation(s, at)));
    let opening_issues = [(2, "1500.00"), (3, "1500.00"), (4, "1000.00"), (FUND, "1000.00")];
    for (sequence, (to, text)) in (0..).zip(opening_issues) {
        let amount = Amount::parse(text, 2).unwrap();
        let body = Transaction {
            currency: code("VLG"),
            source: AccountId(ISSUER),
            sequence,
            timestamp: at,
            action: Action::Issue { to: AccountId(to), amount },
            memo: String::new(),
        };
        operations.push(Operation::Submit(body.sign(&owner_key(ISSUER)).unwrap()));
    }
    operations
}

// ----- what a history is made of -----------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum AmountChoice {
    OneUnit,
    Small(i128),
    /// What the payer can spend (balance, plus the credit limit under mutual
    /// credit); for an issue the room under the cap; for a raise the cap.
    Room,
    RoomPlusOne,
    Ceiling,
    PaymentMax,
    PaymentMaxPlusOne,
    CapRoomPlusOne,
    Max,
    MaxMinusOne,
    Zero,
    Negative,
    WrongDecimals,
}

impl AmountChoice {
    /// Amounts the ledger must refuse whatever else is true.
    fn always_bad(self) -> bool {
        matches!(self, AmountChoice::Zero | AmountChoice::Negative | AmountChoice::WrongDecimals)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum SequenceChoice {
    Right,
    Reused,
    Gap(u64),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum KeyChoice {
    Owner,
    /// Signed by a key that owns nothing.
    Stranger,
    /// Signed by a stranger but claiming the owner's key.
    Forged,
}

#[derive(Debug, Clone, Copy)]
struct Signing {
    sequence: SequenceChoice,
    key: KeyChoice,
}

#[derive(Debug, Clone, Copy)]
enum TimeChoice {
    Same,
    Later(u64),
    Earlier(u64),
}

#[derive(Debug, Clone)]
enum What {
    /// `to` is an index into the accounts of the payer's currency, or into
    /// all of them if `same_currency` is false.
    Pay {
        from: usize,
        to: Index,
        same_currency: bool,
        amount: AmountChoice,
        signing: Signing,
    },
    Issue {
        by: Option<usize>,
        to: usize,
        amount: AmountChoice,
        signing: Signing,
    },
    Redeem {
        from: usize,
        amount: AmountChoice,
        signing: Signing,
    },
    RaiseCap {
        amount: AmountChoice,
        signing: Signing,
    },
    Move {
        account: usize,
        inside: bool,
    },
    Open {
        account: Index,
    },
    Distribute {
        vlg: bool,
    },
}

#[derive(Debug, Clone)]
struct Choice {
    what: What,
    time: TimeChoice,
}

#[derive(Debug, Clone)]
enum Step {
    One(Choice),
    /// Applied with `apply_atomic`; the element at the index, if any, is
    /// dated before the world began, so the batch must be refused.
    Atomic(Vec<Choice>, Option<Index>),
    Each(Vec<Choice>),
    /// Submits again a transaction generated by an earlier step.
    Resubmit(Index),
}

/// An index into [`SLOTS`], mostly of an account that exists.
fn account() -> impl Strategy<Value = usize> {
    prop_oneof![8 => 0..EXISTING_AT_START, 1 => 0..SLOTS.len()]
}

/// An index into [`SLOTS`], mostly of a VLG account other than the issuer
/// (the first seven slots are VLG's, the issuer first).
fn issue_target() -> impl Strategy<Value = usize> {
    prop_oneof![6 => 1_usize..7, 1 => account()]
}

fn amount_choice() -> impl Strategy<Value = AmountChoice> {
    let bad = prop_oneof![
        Just(AmountChoice::Zero),
        Just(AmountChoice::Negative),
        Just(AmountChoice::WrongDecimals),
    ];
    prop_oneof![
        2 => Just(AmountChoice::OneUnit),
        10 => (1_i128..=20_000).prop_map(AmountChoice::Small),
        3 => Just(AmountChoice::Room),
        1 => Just(AmountChoice::RoomPlusOne),
        1 => Just(AmountChoice::Ceiling),
        1 => Just(AmountChoice::PaymentMax),
        1 => Just(AmountChoice::PaymentMaxPlusOne),
        1 => Just(AmountChoice::CapRoomPlusOne),
        1 => Just(AmountChoice::Max),
        1 => Just(AmountChoice::MaxMinusOne),
        1 => bad,
    ]
}

fn signing() -> impl Strategy<Value = Signing> {
    let sequence = prop_oneof![
        28 => Just(SequenceChoice::Right),
        1 => Just(SequenceChoice::Reused),
        1 => (0_u64..3).prop_map(SequenceChoice::Gap),
    ];
    let key = prop_oneof![
        28 => Just(KeyChoice::Owner),
        1 => Just(KeyChoice::Stranger),
        1 => Just(KeyChoice::Forged),
    ];
    (sequence, key).prop_map(|(sequence, key)| Signing { sequence, key })
}

fn time_choice() -> impl Strategy<Value = TimeChoice> {
    prop_oneof![
        4 => Just(TimeChoice::Same),
        8 => (1..=3 * DAY).prop_map(TimeChoice::Later),
        1 => (20 * DAY..=90 * DAY).prop_map(TimeChoice::Later),
        1 => (1..=5 * DAY).prop_map(TimeChoice::Earlier),
    ]
}

fn what() -> impl Strategy<Value = What> {
    let pay = (account(), any::<Index>(), prop::bool::weighted(0.9), amount_choice(), signing())
        .prop_map(|(from, to, same_currency, amount, signing)| What::Pay {
            from,
            to,
            same_currency,
            amount,
            signing,
        });
    let by = prop_oneof![6 => Just(None), 1 => account().prop_map(Some)];
    let issue = (by, issue_target(), amount_choice(), signing())
        .prop_map(|(by, to, amount, signing)| What::Issue { by, to, amount, signing });
    let redeem = (account(), amount_choice(), signing())
        .prop_map(|(from, amount, signing)| What::Redeem { from, amount, signing });
    let raise = (amount_choice(), signing())
        .prop_map(|(amount, signing)| What::RaiseCap { amount, signing });
    let moving =
        (account(), any::<bool>()).prop_map(|(account, inside)| What::Move { account, inside });
    prop_oneof![
        10 => pay,
        5 => issue,
        2 => redeem,
        1 => raise,
        1 => moving,
        1 => any::<Index>().prop_map(|account| What::Open { account }),
        1 => any::<bool>().prop_map(|vlg| What::Distribute { vlg }),
    ]
}

fn choice() -> impl Strategy<Value = Choice> {
    (what(), time_choice()).prop_map(|(what, time)| Choice { what, time })
}

fn step() -> impl Strategy<Value = Step> {
    let batch = || prop::collection::vec(choice(), 1..=5);
    let poison = prop_oneof![2 => Just(None), 1 => any::<Index>().prop_map(Some)];
    prop_oneof![
        12 => choice().prop_map(Step::One),
        2 => (batch(), poison).prop_map(|(choices, poison)| Step::Atomic(choices, poison)),
        1 => batch().prop_map(Step::Each),
        2 => any::<Index>().prop_map(Step::Resubmit),
    ]
}

/// How far past the clock each step's balances are also checked.
fn query_offset() -> impl Strategy<Value = u64> {
    prop_oneof![2 => Just(0), 2 => 1..=2 * DAY, 1 => 30 * DAY..=400 * DAY]
}

// ----- running a history -------------------------------------------------------------

/// An operation as applied, kept so that the history can be replayed.
#[derive(Debug, Clone)]
enum Applied {
    One(Box<Operation>),
    Atomic(Vec<Operation>),
    Each(Vec<Operation>),
}

/// What the ledger answered.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    One(Result<Receipt, Rejection>),
    Atomic(Result<Vec<Receipt>, BatchRejection>),
    Each(Vec<Result<Receipt, Rejection>>),
}

/// The sequence numbers a choice is signed with.
struct Sequences {
    next: BTreeMap<u64, u64>,
    /// True for a single operation, whose numbers are the ledger's own. In
    /// a batch they are guesses: they assume every earlier element from the
    /// same account applies, so a "reused" number may turn out right.
    exact: bool,
}

/// One operation made from a choice, and whether it must not apply.
struct Made {
    operation: Operation,
    must_not_apply: bool,
}

/// Everything this test counts on its own, from what the ledger answered
/// and published.
#[derive(Default)]
struct Model {
    next_sequence: BTreeMap<u64, u64>,
    applied: BTreeSet<TransactionId>,
    /// The latest transaction applied from each source account.
    latest: BTreeMap<u64, TransactionId>,
    submitted: Vec<SignedTransaction>,
    issued: BTreeMap<CurrencyCode, i128>,
    redeemed: BTreeMap<CurrencyCode, i128>,
    burned: BTreeMap<CurrencyCode, i128>,
    /// Basic income paid, as the events report it (the ledger works out
    /// who is a member; there is no other source for it).
    income: BTreeMap<CurrencyCode, i128>,
    /// Money created and destroyed by the applied transactions this test
    /// built itself: the amounts it signed, not the ledger's report of them.
    signed_issues: BTreeMap<CurrencyCode, i128>,
    signed_redemptions: BTreeMap<CurrencyCode, i128>,
    events_seen: usize,
    last_event_at: Timestamp,
}

struct Run {
    ledger: Ledger,
    log: SubscriberId,
    model: Model,
    history: Vec<Applied>,
    outcomes: Vec<Outcome>,
}

fn new_ledger() -> (Ledger, SubscriberId) {
    let mut ledger = Ledger::new(LedgerConfig::default());
    let log = ledger.subscribe(Box::new(EventLog::default()));
    (ledger, log)
}

impl Run {
    fn start() -> Run {
        let (ledger, log) = new_ledger();
        let mut run =
            Run { ledger, log, model: Model::default(), history: vec![], outcomes: vec![] };
        for operation in genesis() {
            let result = run.ledger.apply(&operation);
            assert_eq!(result, Ok(Receipt::Applied { warning: None }), "genesis");
            if let Ok(receipt) = &result {
                run.note_receipt(&operation, receipt);
            }
            run.history.push(Applied::One(Box::new(operation)));
            run.outcomes.push(Outcome::One(result));
        }
        run.absorb_events();
        for (index, slot) in SLOTS.iter().enumerate() {
            let exists = run.ledger.account_info(AccountId(slot.id)).is_some();
            assert_eq!(exists, index < EXISTING_AT_START, "account {} at the start", slot.id);
        }
        run
    }

    fn events(&self) -> &[opencoin_ledger::Event] {
        &self.ledger.subscriber::<EventLog>(self.log).unwrap().events
    }

    fn currency_of(&self, id: u64) -> Option<CurrencyCode> {
        self.ledger.account_info(AccountId(id)).map(|info| info.currency)
    }

    /// The balance of `id` at `at` (or at the clock if `at` is earlier),
    /// zero for an account that does not exist.
    fn balance_minor(&self, id: u64, at: Timestamp) -> i128 {
        let at = at.max(self.ledger.clock());
        self.ledger.balance(AccountId(id), at).map_or(0, |view| view.balance.minor_units())
    }

    fn cap_and_supply(&self) -> (i128, i128) {
        let supply = self.ledger.supply(code("VLG")).unwrap();
        let cap = supply.cap.map_or(MINOR_UNITS_MAX, Amount::minor_units);
        (cap, supply.in_circulation.minor_units())
    }

    /// The amount a choice stands for, given what the payer can spend.
    fn amount(&self, choice: AmountChoice, room: i128) -> Amount {
        let (cap, supply) = self.cap_and_supply();
        let minor = match choice {
            AmountChoice::OneUnit => 1,
            AmountChoice::Small(units) => units,
            AmountChoice::Room => room,
            AmountChoice::RoomPlusOne => room + 1,
            AmountChoice::Ceiling => CEILING,
            AmountChoice::PaymentMax => PAYMENT_MAX,
            AmountChoice::PaymentMaxPlusOne => PAYMENT_MAX + 1,
            AmountChoice::CapRoomPlusOne => cap - supply + 1,
            AmountChoice::Max => MINOR_UNITS_MAX,
            AmountChoice::MaxMinusOne => MINOR_UNITS_MAX - 1,
            AmountChoice::Zero => 0,
            AmountChoice::Negative => -1,
            AmountChoice::WrongDecimals => return Amount::from_minor_units(100, 3).unwrap(),
        };
        Amount::from_minor_units(minor.clamp(-MINOR_UNITS_MAX, MINOR_UNITS_MAX), 2).unwrap()
    }

    /// What `id` can spend at `at`: its balance, plus the credit limit under
    /// mutual credit.
    fn room(&self, id: u64, at: Timestamp) -> i128 {
        let credit = match self.currency_of(id) {
            Some(currency) if currency == code("TRC") => CREDIT_LIMIT,
            _ => 0,
        };
        self.balance_minor(id, at) + credit
    }

    /// Signs a transaction as the choice says, with the sequence numbers in
    /// `sequences` (the model's, plus those a batch has used so far).
    /// Returns whether the signing is irregular: another key, or, if
    /// `sequences` are known to be the ledger's own, another sequence.
    fn sign(
        &mut self,
        source: u64,
        at: Timestamp,
        action: Action,
        signing: Signing,
        sequences: &mut Sequences,
    ) -> (Operation, bool) {
        let right = sequences.next.get(&source).copied().unwrap_or(0);
        let sequence = match signing.sequence {
            SequenceChoice::Right => right,
            SequenceChoice::Reused if right > 0 => right - 1,
            SequenceChoice::Reused => right + 1,
            SequenceChoice::Gap(extra) => right + 1 + extra,
        };
        if signing.sequence == SequenceChoice::Right {
            sequences.next.insert(source, right + 1);
        }
        let currency = code(SLOTS.iter().find(|s| s.id == source).map_or("VLG", |s| s.currency));
        let body = Transaction {
            currency,
            source: AccountId(source),
            sequence,
            timestamp: at,
            action,
            memo: String::new(),
        };
        let stranger = key(200);
        let signed = match signing.key {
            KeyChoice::Owner => body.sign(&owner_key(source)).unwrap(),
            KeyChoice::Stranger => body.sign(&stranger).unwrap(),
            KeyChoice::Forged => {
                with_signer_swapped(&body.sign(&stranger).unwrap(), &owner_key(source))
            }
        };
        self.model.submitted.push(signed.clone());
        let wrong_sequence = signing.sequence != SequenceChoice::Right && sequences.exact;
        let irregular = wrong_sequence || signing.key != KeyChoice::Owner;
        (Operation::Submit(signed), irregular)
    }

    /// Turns a choice into an operation. `cursor` is the time the choice's
    /// time is relative to; it moves forward with the choices of a batch.
    fn make(
        &mut self,
        choice: &Choice,
        cursor: &mut Timestamp,
        sequences: &mut Sequences,
        poisoned: bool,
    ) -> Made {
        let at = match choice.time {
            TimeChoice::Same => *cursor,
            TimeChoice::Later(seconds) => Timestamp(cursor.0 + seconds),
            TimeChoice::Earlier(seconds) => Timestamp(cursor.0.saturating_sub(seconds)),
        };
        // Before the world began, so before any clock the ledger can have.
        let at = if poisoned { Timestamp(T0 - 1) } else { at };
        *cursor = (*cursor).max(at);

        let (operation, mut must_not_apply) = match &choice.what {
            What::Pay { from, to, same_currency, amount, signing } => {
                let from = &SLOTS[*from];
                let to = if *same_currency {
                    let peers: Vec<&Slot> =
                        SLOTS.iter().filter(|s| s.currency == from.currency).collect();
                    peers[to.index(peers.len())]
                } else {
                    &SLOTS[to.index(SLOTS.len())]
                };
                let amount_value = self.amount(*amount, self.room(from.id, at));
                let action = Action::Transfer { to: AccountId(to.id), amount: amount_value };
                let (operation, irregular) = self.sign(from.id, at, action, *signing, sequences);
                (operation, irregular || amount.always_bad())
            }
            What::Issue { by, to, amount, signing } => {
                let by = by.map_or(ISSUER, |index| SLOTS[index].id);
                let (cap, supply) = self.cap_and_supply();
                let amount_value = self.amount(*amount, cap - supply);
                let action = Action::Issue { to: AccountId(SLOTS[*to].id), amount: amount_value };
                let (operation, irregular) = self.sign(by, at, action, *signing, sequences);
                (operation, irregular || amount.always_bad())
            }
            What::Redeem { from, amount, signing } => {
                let from = SLOTS[*from].id;
                let amount_value = self.amount(*amount, self.room(from, at));
                let action = Action::Redeem { amount: amount_value };
                let (operation, irregular) = self.sign(from, at, action, *signing, sequences);
                (operation, irregular || amount.always_bad())
            }
            What::RaiseCap { amount, signing } => {
                let (cap, _) = self.cap_and_supply();
                let action = Action::RaiseSupplyCap { cap: self.amount(*amount, cap) };
                let (operation, irregular) = self.sign(ISSUER, at, action, *signing, sequences);
                (operation, irregular || amount.always_bad())
            }
            What::Move { account, inside } => {
                let slot = &SLOTS[*account];
                let location = if *inside { CENTER } else { FAR_AWAY };
                let update = UpdateAccount {
                    id: AccountId(slot.id),
                    location: Some(place(location)),
                    sectors: slot.sectors.iter().map(|s| SectorCode::new(s).unwrap()).collect(),
                    at,
                };
                (Operation::UpdateAccount(update), false)
            }
            What::Open { account } => {
                // Never the id kept unopened, so that it stays unknown.
                let openable = &SLOTS[..SLOTS.len() - 1];
                (open_operation(&openable[account.index(openable.len())], at), false)
            }
            What::Distribute { vlg } => {
                let currency = code(if *vlg { "VLG" } else { "TRC" });
                // Neither currency pays a basic income.
                (Operation::DistributeIncome { currency, at }, true)
            }
        };
        must_not_apply |= poisoned;
        Made { operation, must_not_apply }
    }

    /// Reads the events published since the last call: checks their order
    /// and counts money created and destroyed.
    fn absorb_events(&mut self) {
        let new: Vec<_> = self.events()[self.model.events_seen..].to_vec();
        for event in new {
            let model = &mut self.model;
            assert_eq!(event.sequence, model.events_seen as u64, "event numbers are consecutive");
            assert!(event.at >= model.last_event_at, "events are in time order");
            model.events_seen += 1;
            model.last_event_at = event.at;
            match event.kind {
                EventKind::Issued { currency, amount, .. } => {
                    *model.issued.entry(currency).or_default() += amount.minor_units();
                }
                EventKind::IncomePaid { currency, amount, .. } => {
                    *model.issued.entry(currency).or_default() += amount.minor_units();
                    *model.income.entry(currency).or_default() += amount.minor_units();
                }
                EventKind::Redeemed { currency, amount, .. } => {
                    *model.redeemed.entry(currency).or_default() += amount.minor_units();
                }
                EventKind::Melted { currency, amount, destination: None, .. } => {
                    *model.burned.entry(currency).or_default() += amount.minor_units();
                }
                _ => {}
            }
        }
    }

    fn note_receipt(&mut self, operation: &Operation, receipt: &Receipt) {
        if let (Operation::Submit(signed), Receipt::Applied { .. }) = (operation, receipt) {
            let transaction = signed.transaction();
            self.model.applied.insert(signed.id());
            self.model.latest.insert(transaction.source.0, signed.id());
            self.model.next_sequence.insert(transaction.source.0, transaction.sequence + 1);
            let currency = transaction.currency;
            match transaction.action {
                Action::Issue { amount, .. } => {
                    *self.model.signed_issues.entry(currency).or_default() += amount.minor_units();
                }
                Action::Redeem { amount } => {
                    let redeemed = self.model.signed_redemptions.entry(currency).or_default();
                    *redeemed += amount.minor_units();
                }
                _ => {}
            }
        }
    }

    fn run_step(&mut self, step: &Step) {
        let hash_before = self.ledger.state_hash();
        let events_before = self.events().len();
        let unchanged = |run: &Run, what: &str| {
            assert_eq!(run.ledger.state_hash(), hash_before, "{what} changed the state hash");
            assert_eq!(run.events().len(), events_before, "{what} published events");
        };
        let mut cursor = self.ledger.clock();
        let exact = matches!(step, Step::One(_));
        let mut sequences = Sequences { next: self.model.next_sequence.clone(), exact };

        match step {
            Step::One(choice) => {
                let made = self.make(choice, &mut cursor, &mut sequences, false);
                let result = self.ledger.apply(&made.operation);
                match &result {
                    Ok(receipt @ Receipt::Applied { .. }) => {
                        assert!(
                            !made.must_not_apply,
                            "applied although it must not: {made_op:?}",
                            made_op = made.operation
                        );
                        self.note_receipt(&made.operation, receipt);
                    }
                    Ok(Receipt::AlreadyApplied(_)) => {
                        unchanged(self, "an already applied transaction")
                    }
                    Err(_) => unchanged(self, "a refused operation"),
                }
                self.history.push(Applied::One(Box::new(made.operation)));
                self.outcomes.push(Outcome::One(result));
            }
            Step::Atomic(choices, poison) => {
                let poisoned = poison.as_ref().map(|index| index.index(choices.len()));
                let made: Vec<Made> = choices
                    .iter()
                    .enumerate()
                    .map(|(i, choice)| {
                        self.make(choice, &mut cursor, &mut sequences, poisoned == Some(i))
                    })
                    .collect();
                let operations: Vec<Operation> = made.iter().map(|m| m.operation.clone()).collect();
                let result = self.ledger.apply_atomic(&operations);
                match &result {
                    Ok(receipts) => {
                        assert!(
                            poisoned.is_none(),
                            "a batch with an element dated before the world applied"
                        );
                        assert_eq!(receipts.len(), operations.len());
                        for ((made, receipt), operation) in
                            made.iter().zip(receipts).zip(&operations)
                        {
                            if made.must_not_apply {
                                assert!(
                                    matches!(receipt, Receipt::AlreadyApplied(_)),
                                    "{operation:?}"
                                );
                            }
                            self.note_receipt(operation, receipt);
                        }
                    }
                    Err(refusal) => {
                        assert!(refusal.index < operations.len());
                        if let Some(poisoned) = poisoned {
                            assert!(
                                refusal.index <= poisoned,
                                "the first refused element is named"
                            );
                        }
                        unchanged(self, "a refused atomic batch");
                    }
                }
                self.history.push(Applied::Atomic(operations));
                self.outcomes.push(Outcome::Atomic(result));
            }
            Step::Each(choices) => {
                let made: Vec<Made> = choices
                    .iter()
                    .map(|choice| self.make(choice, &mut cursor, &mut sequences, false))
                    .collect();
                let operations: Vec<Operation> = made.iter().map(|m| m.operation.clone()).collect();
                let results = self.ledger.apply_each(&operations);
                assert_eq!(results.len(), operations.len(), "one result per operation");
                if results.iter().all(|r| !matches!(r, Ok(Receipt::Applied { .. }))) {
                    unchanged(self, "a batch of which nothing applied");
                }
                for ((made, result), operation) in made.iter().zip(&results).zip(&operations) {
                    if let Ok(receipt) = result {
                        if made.must_not_apply {
                            assert!(matches!(receipt, Receipt::AlreadyApplied(_)), "{operation:?}");
                        }
                        self.note_receipt(operation, receipt);
                    }
                }
                self.history.push(Applied::Each(operations));
                self.outcomes.push(Outcome::Each(results));
            }
            Step::Resubmit(index) => {
                if self.model.submitted.is_empty() {
                    return;
                }
                let signed = self.model.submitted[index.index(self.model.submitted.len())].clone();
                let operation = Operation::Submit(signed.clone());
                let result = self.ledger.apply(&operation);
                let source = signed.transaction().source;
                if self.model.latest.get(&source.0) == Some(&signed.id()) {
                    assert_eq!(result, Ok(Receipt::AlreadyApplied(signed.id())), "idempotency");
                } else if self.model.applied.contains(&signed.id()) {
                    // Refused: by its sequence number, which is used, unless
                    // an earlier check (the clock has moved past it) refuses
                    // first.
                    match &result {
                        Err(Rejection::SequenceMismatch { account, expected, got }) => {
                            assert_eq!(*account, source);
                            assert!(got < expected, "{result:?}");
                        }
                        Err(Rejection::TimeWentBackwards { .. }) => {}
                        other => panic!("an older applied transaction was not refused: {other:?}"),
                    }
                }
                match &result {
                    Ok(receipt @ Receipt::Applied { .. }) => self.note_receipt(&operation, receipt),
                    _ => unchanged(self, "a re-submission that did not apply"),
                }
                self.history.push(Applied::One(Box::new(operation)));
                self.outcomes.push(Outcome::One(result));
            }
        }
        self.absorb_events();
    }

    /// Properties 1 and 2 at time `at` (no earlier than the clock).
    fn check_books(&self, at: Timestamp) {
        for design in &DESIGNS {
            let currency = code(design.code);
            let trial = self.ledger.trial_balance(currency, at).unwrap();
            assert!(trial.balances(), "trial balance of {currency} at {at}: {trial:?}");

            let mut sum = 0_i128;
            let mut pending_burn = 0_i128;
            for id in self.ledger.account_ids() {
                let info = self.ledger.account_info(id).unwrap();
                if info.currency != currency {
                    continue;
                }
                let view = self.ledger.balance(id, at).unwrap();
                let balance = view.balance.minor_units();
                sum += balance;
                if design.burns {
                    pending_burn += view.melting.minor_units();
                }
                assert!(balance >= design.floor, "{id} holds {balance}, below {}", design.floor);
                if let Some(ceiling) = design.ceiling.filter(|_| info.kind != AccountKind::Fund) {
                    assert!(balance <= ceiling, "{id} holds {balance}, above the ceiling");
                }
            }

            let issued = self.model.issued.get(&currency).copied().unwrap_or(0);
            let redeemed = self.model.redeemed.get(&currency).copied().unwrap_or(0);
            let burned = self.model.burned.get(&currency).copied().unwrap_or(0);
            assert_eq!(
                sum + pending_burn,
                issued - redeemed - burned,
                "{currency} at {at}: balances {sum} + pending burn {pending_burn} against \
                 issued {issued} - redeemed {redeemed} - burned {burned}"
            );
            if design.floor < 0 {
                assert_eq!((issued, redeemed), (0, 0), "mutual credit creates nothing");
            }

            // The events report exactly the money the applied transactions
            // created and destroyed (plus income, which only events tell),
            // so the identity above is not the ledger checked against itself.
            let signed_issues = self.model.signed_issues.get(&currency).copied().unwrap_or(0);
            let income = self.model.income.get(&currency).copied().unwrap_or(0);
            let signed_redemptions =
                self.model.signed_redemptions.get(&currency).copied().unwrap_or(0);
            assert_eq!(issued, signed_issues + income, "{currency}: issues reported");
            assert_eq!(redeemed, signed_redemptions, "{currency}: redemptions reported");

            // The ledger's own totals agree with the events it published,
            // and the cap holds. The ledger keeps the lifetime issued total
            // within the range of one amount, so the others (each at most
            // the issued total) are exact amounts too.
            let supply = self.ledger.supply(currency).unwrap();
            assert!(issued <= MINOR_UNITS_MAX, "{currency}: issued total {issued} out of range");
            for (reported, counted) in
                [(supply.issued, issued), (supply.redeemed, redeemed), (supply.burned, burned)]
            {
                assert_eq!(reported.minor_units(), counted, "{currency}: {supply:?}");
            }
            if let Some(cap) = supply.cap {
                assert!(supply.in_circulation <= cap, "{currency} above its cap: {supply:?}");
            }
        }
    }
}

/// Applies a recorded history to a fresh ledger.
fn replay(history: &[Applied]) -> (Ledger, SubscriberId, Vec<Outcome>) {
    let (mut ledger, log) = new_ledger();
    let outcomes = history
        .iter()
        .map(|applied| match applied {
            Applied::One(operation) => Outcome::One(ledger.apply(operation)),
            Applied::Atomic(operations) => Outcome::Atomic(ledger.apply_atomic(operations)),
            Applied::Each(operations) => Outcome::Each(ledger.apply_each(operations)),
        })
        .collect();
    (ledger, log, outcomes)
}

proptest! {
    #[test]
    fn random_histories_keep_the_books(
        steps in prop::collection::vec((step(), query_offset()), 0..=60),
    ) {
        let mut run = Run::start();
        run.check_books(run.ledger.clock());

        for (step, offset) in &steps {
            run.run_step(step);
            let clock = run.ledger.clock();
            run.check_books(clock);
            run.check_books(Timestamp(clock.0 + offset));
        }

        // Property 4: the same operations, in the same order, on a fresh
        // ledger give the same answers, events and state.
        let (ledger, log, outcomes) = replay(&run.history);
        prop_assert_eq!(&outcomes, &run.outcomes);
        prop_assert_eq!(ledger.state_hash(), run.ledger.state_hash());
        let replayed = &ledger.subscriber::<EventLog>(log).unwrap().events;
        prop_assert_eq!(replayed, run.events());
    }
}
