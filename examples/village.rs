//! A village of 300 people designs its money and trades with it for a year.
//!
//! The design is `examples/currencies/village.toml`: a perimeter around the
//! village with a hole for a ski enclave, 2% per quarter demurrage into the
//! community fund, a ban on fossil-fuel sellers, a ceiling against hoarding,
//! a cap on single payments and on the total supply. This program opens the
//! accounts (members, village shops, and a few businesses outside the
//! perimeter or in banned sectors), issues the first money, then plays a
//! year of seeded random trade through the ledger: shopping, wages, rent,
//! occasional redemptions, the fund paying for repairs, and the mistakes
//! real people make. Every payment is signed and goes through the same path
//! as in production. At the end it prints what happened: volume, rejections
//! by rule with an example of each, demurrage collected, the supply and a
//! conservation check, the largest balances and the most active traders.
//!
//! Run it with `cargo run --release --example village`. The same seed gives
//! the same year, to the last cent and the last bit of the state hash.
//!
//! With `-- --ledger-dir DIR` the village keeps its books in a journal in
//! `DIR`. The first run plays the year as above, journalling every applied
//! operation; as a simulation it does not sync each payment to the disk
//! (the journal's `SyncPolicy::None`) but syncs once at the end. A second
//! run with the same `DIR` finds the journal and audits it instead: it
//! reopens the ledger from the journal (from the newest snapshot, then
//! replaying the rest), verifies the whole hash chain, replays the same
//! seeded year in memory and checks that both give the same state hash, and
//! checks that the reopened books still balance.

// The example's job is to print a report for a person to read.
#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use opencoin::ledger::journal::{JournalOptions, SyncPolicy};
use opencoin::ledger::{ActivityReputation, DurableLedger, Subscriber, SubscriberId, TrialBalance};
use opencoin::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The seed of the year's randomness.
const SEED: u64 = 2027;

/// 2027-01-01T00:00:00Z: 57 years of 365 days plus 14 leap days after 1970.
const YEAR_START: u64 = 1_798_761_600;

const DAY: u64 = 86_400;
const DAYS: u64 = 365;
const MEMBERS: u64 = 280;
const PAYMENTS_PER_DAY: u64 = 180;

/// Account ids by role, so that the report can say who is who.
const FUND: AccountId = AccountId(1);
const ISSUER: AccountId = AccountId(2);
const FIRST_MEMBER: u64 = 100;
const LANDLORD: AccountId = AccountId(100);
const FIRST_SHOP: u64 = 1_000;
const FIRST_OUTSIDER: u64 = 2_000;

/// The village shops: name, merchant category code, how popular (weight).
const SHOPS: &[(&str, &str, u32)] = &[
    ("bakery", "5462", 30),
    ("grocery", "5411", 30),
    ("farm shop", "5499", 15),
    ("restaurant", "5812", 10),
    ("bar", "5813", 10),
    ("hardware store", "5251", 5),
    ("pharmacy", "5912", 6),
    ("hairdresser", "7230", 4),
    ("bookshop", "5942", 3),
    ("bike repair", "7699", 3),
    ("heating-oil dealer", "5983", 0),
    ("service station", "5541", 0),
];

/// Businesses outside the perimeter: in the valley town, or in the ski
/// enclave cut out of the perimeter. Name, code, latitude, longitude.
const OUTSIDERS: &[(&str, &str, f64, f64)] = &[
    ("valley supermarket", "5411", 44.5500, 6.6500),
    ("valley garage", "7538", 44.5520, 6.6480),
    ("valley electronics", "5732", 44.5490, 6.6530),
    ("valley cinema", "7832", 44.5510, 6.6520),
    ("ski hotel", "7011", 44.6310, 6.7960),
    ("ski rental", "5941", 44.6300, 6.7950),
];

/// One account the example can sign for.
struct Holder {
    key: SigningKey,
    next_sequence: u64,
    label: String,
}

/// Where the village keeps its books: in memory, or journalled in a
/// directory. There is one per program, so the variants' sizes do not
/// matter.
#[allow(clippy::large_enum_variant)]
enum Books {
    Memory(Ledger),
    Durable(DurableLedger),
}

impl Books {
    fn ledger(&self) -> &Ledger {
        match self {
            Books::Memory(ledger) => ledger,
            Books::Durable(durable) => durable.ledger(),
        }
    }

    fn subscribe(&mut self, subscriber: Box<dyn Subscriber>) -> SubscriberId {
        match self {
            Books::Memory(ledger) => ledger.subscribe(subscriber),
            Books::Durable(durable) => durable.subscribe(subscriber),
        }
    }

    /// Applies one operation. The outer error is a journal failure, which
    /// ends the example; the inner result is the ledger's answer.
    fn apply(&mut self, operation: &Operation) -> Result<Result<Receipt, Rejection>> {
        match self {
            Books::Memory(ledger) => Ok(ledger.apply(operation)),
            Books::Durable(durable) => {
                let mut results = durable.apply_each(std::slice::from_ref(operation))?;
                results.pop().context("the journal returned no result")
            }
        }
    }

    fn apply_atomic(&mut self, operations: &[Operation]) -> Result<()> {
        match self {
            Books::Memory(ledger) => {
                ledger.apply_atomic(operations)?;
            }
            Books::Durable(durable) => {
                durable.apply_atomic(operations)?;
            }
        }
        Ok(())
    }
}

/// The village: its books, who can sign for what, and what happened.
struct Village {
    books: Books,
    code: CurrencyCode,
    holders: BTreeMap<AccountId, Holder>,
    reputation: SubscriberId,
    report: Report,
}

/// Tallies for the final report.
#[derive(Default)]
struct Report {
    attempted: u64,
    applied: u64,
    volume_minor_units: i128,
    redeemed_minor_units: i128,
    already_applied: u64,
    rejections: BTreeMap<String, (u64, String)>,
}

/// The key of a named example account, derived as the currency file says.
fn key_for(name: &str) -> SigningKey {
    SigningKey::from_bytes(&blake3::derive_key("opencoin example village key", name.as_bytes()))
}

fn at(day: u64, seconds_into_day: u64) -> Timestamp {
    Timestamp(YEAR_START + day * DAY + seconds_into_day)
}

fn main() -> Result<()> {
    let ledger_dir = ledger_dir_argument()?;
    let spec = opencoin::load_currency("examples/currencies/village.toml")
        .or_else(|_| {
            opencoin::load_currency(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/examples/currencies/village.toml"
            ))
        })
        .context("loading the village currency")?;

    let Some(dir) = ledger_dir else {
        let village = play_the_year(spec, Books::Memory(Ledger::new(LedgerConfig::default())))?;
        return village.print_report(at(DAYS, 0));
    };
    // A snapshot every 10,000 records, more often than the default, so that
    // the audit shows reopening from a snapshot within this short year.
    let options = JournalOptions {
        sync: SyncPolicy::None,
        snapshot_every: 10_000,
        ..JournalOptions::default()
    };
    let (durable, opened) = DurableLedger::open(&dir, options)
        .with_context(|| format!("opening the ledger in {}", dir.display()))?;
    if durable.record_count() > 0 {
        return audit(spec, durable, &opened, &dir);
    }

    let mut village = play_the_year(spec, Books::Durable(durable))?;
    if let Books::Durable(durable) = &mut village.books {
        durable.sync().context("syncing the journal")?;
        println!("Journal: {} records in {}", durable.record_count(), dir.display());
        println!("Run the same command again to reopen, verify and audit it.");
        println!();
    }
    village.print_report(at(DAYS, 0))
}

/// Reads `--ledger-dir DIR` (or `--ledger-dir=DIR`), the only option.
fn ledger_dir_argument() -> Result<Option<PathBuf>> {
    let mut arguments = std::env::args().skip(1);
    match (arguments.next(), arguments.next()) {
        (None, _) => Ok(None),
        (Some(flag), Some(dir)) if flag == "--ledger-dir" => Ok(Some(PathBuf::from(dir))),
        (Some(flag), None) if flag.starts_with("--ledger-dir=") => {
            Ok(Some(PathBuf::from(&flag["--ledger-dir=".len()..])))
        }
        _ => bail!("usage: village [--ledger-dir DIR]"),
    }
}

/// Founds the village and plays its seeded year.
fn play_the_year(spec: CurrencySpec, books: Books) -> Result<Village> {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let mut village = Village::found(spec, books, &mut rng)?;
    for day in 0..DAYS {
        village.trade_for_a_day(day, &mut rng)?;
        if day == 100 {
            village.show_replay_protection(day)?;
        }
        if day % 30 == 29 {
            village.fund_pays_for_repairs(day, &mut rng)?;
        }
    }
    village.try_to_issue_past_the_cap(DAYS - 1)?;
    Ok(village)
}

/// The second run over a journal: reopen, verify the chain, compare with a
/// fresh replay of the same year, and check the books.
fn audit(
    spec: CurrencySpec,
    durable: DurableLedger,
    opened: &opencoin::ledger::journal::OpenReport,
    dir: &std::path::Path,
) -> Result<()> {
    println!("Audit of the village journal in {}", dir.display());
    println!(
        "  reopened: {} records, from the snapshot at record {}, {} replayed on top",
        opened.records,
        opened.snapshot_used.map_or_else(|| "none".to_owned(), |count| count.to_string()),
        opened.replayed
    );
    let verified = durable.verify().context("verifying the journal")?;
    println!("  hash chain verified: {} records, head {}", verified.records, hex(&verified.head));

    let reopened_hash = durable.ledger().state_hash();
    let replayed = play_the_year(spec, Books::Memory(Ledger::new(LedgerConfig::default())))?;
    let replayed_hash = replayed.books.ledger().state_hash();
    println!("  state hash of the reopened ledger      {}", hex(&reopened_hash));
    println!("  state hash of the year played again    {}", hex(&replayed_hash));
    if reopened_hash != replayed_hash {
        bail!("the reopened ledger differs from the year played again");
    }
    println!("  they match: the journal holds exactly the year that was played");

    let code = replayed.code;
    let trial = durable.ledger().trial_balance(code, at(DAYS, 0))?;
    println!(
        "  reopened books: {} balances sum to {} + pending burn {} = circulation {}: {}",
        trial.lines.len(),
        trial.total,
        trial.burn_pending,
        trial.in_circulation,
        if trial.balances() { "holds" } else { "BROKEN" }
    );
    if !trial.balances() {
        bail!("the reopened books do not balance");
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

impl Village {
    /// Creates the currency and opens every account, as one atomic batch,
    /// then issues the first money.
    fn found(spec: CurrencySpec, mut books: Books, rng: &mut ChaCha8Rng) -> Result<Village> {
        let code = spec.code;
        let reputation = books.subscribe(Box::new(ActivityReputation::new()));
        let opening = at(0, 7 * 3_600);

        let mut holders = BTreeMap::new();
        holders.insert(FUND, holder("fund", "community fund"));
        holders.insert(ISSUER, holder("issuer", "village association"));
        let mut operations = vec![Operation::CreateCurrency { spec: Box::new(spec), at: opening }];

        for number in 0..MEMBERS {
            let id = AccountId(FIRST_MEMBER + number);
            let label = if id == LANDLORD {
                "the landlord".to_owned()
            } else {
                format!("member {}", number + 1)
            };
            let home =
                Location::new(rng.random_range(44.615..44.632), rng.random_range(6.765..6.790))?;
            operations.push(open(
                code,
                id,
                &format!("member {number}"),
                AccountKind::Member,
                home,
                &[],
            ));
            holders.insert(id, holder(&format!("member {number}"), &label));
        }
        for (number, (name, sector, _)) in SHOPS.iter().enumerate() {
            let id = AccountId(FIRST_SHOP + number as u64);
            let shop =
                Location::new(rng.random_range(44.620..44.626), rng.random_range(6.775..6.785))?;
            operations.push(open(code, id, name, AccountKind::Merchant, shop, &[sector]));
            holders.insert(id, holder(name, name));
        }
        for (number, (name, sector, latitude, longitude)) in OUTSIDERS.iter().enumerate() {
            let id = AccountId(FIRST_OUTSIDER + number as u64);
            let place = Location::new(*latitude, *longitude)?;
            operations.push(open(code, id, name, AccountKind::Merchant, place, &[sector]));
            holders.insert(id, holder(name, name));
        }
        books.apply_atomic(&operations).context("founding the village")?;

        let mut village = Village { books, code, holders, reputation, report: Report::default() };
        for number in 0..MEMBERS {
            let amount = rng.random_range(60_000..140_000);
            village.pay(
                ISSUER,
                Action::Issue {
                    to: AccountId(FIRST_MEMBER + number),
                    amount: village.cents(amount)?,
                },
                opening,
            )?;
        }
        for number in 0..SHOPS.len() as u64 {
            village.pay(
                ISSUER,
                Action::Issue {
                    to: AccountId(FIRST_SHOP + number),
                    amount: village.cents(100_000)?,
                },
                opening,
            )?;
        }
        Ok(village)
    }

    fn cents(&self, minor_units: i128) -> Result<Amount> {
        Ok(Amount::from_minor_units(minor_units, 2)?)
    }

    fn balance(&self, id: AccountId, now: Timestamp) -> i128 {
        self.books.ledger().balance(id, now).map_or(0, |view| view.balance.minor_units())
    }

    /// Signs `action` for `source` with its next sequence number and applies
    /// it, keeping the tallies. Returns whether it was applied.
    fn pay(&mut self, source: AccountId, action: Action, now: Timestamp) -> Result<bool> {
        let holder = self.holders.get_mut(&source).context("no key for the source account")?;
        let transaction = Transaction {
            currency: self.code,
            source,
            sequence: holder.next_sequence,
            timestamp: now,
            action,
            memo: String::new(),
        };
        let signed = transaction.sign(&holder.key)?;
        self.report.attempted += 1;
        match self.books.apply(&Operation::Submit(signed))? {
            Ok(Receipt::Applied { .. }) => {
                holder.next_sequence += 1;
                self.report.applied += 1;
                match action {
                    Action::Transfer { amount, .. } => {
                        self.report.volume_minor_units += amount.minor_units()
                    }
                    Action::Redeem { amount } => {
                        self.report.redeemed_minor_units += amount.minor_units()
                    }
                    _ => {}
                }
                Ok(true)
            }
            Ok(Receipt::AlreadyApplied(_)) => {
                self.report.already_applied += 1;
                Ok(false)
            }
            Err(rejection) => {
                self.count_rejection(&rejection);
                Ok(false)
            }
        }
    }

    fn count_rejection(&mut self, rejection: &Rejection) {
        let key = match rejection.violation() {
            Some(violation) => format!("rule {}", violation.rule),
            None => format!("ledger: {}", rejection.name()),
        };
        let entry = self.report.rejections.entry(key).or_insert((0, rejection.to_string()));
        entry.0 += 1;
    }

    /// One day of village life, payments spread from 8:00 to 18:00.
    fn trade_for_a_day(&mut self, day: u64, rng: &mut ChaCha8Rng) -> Result<()> {
        for slot in 0..PAYMENTS_PER_DAY {
            let now = at(day, 8 * 3_600 + slot * (10 * 3_600 / PAYMENTS_PER_DAY));
            let member = AccountId(FIRST_MEMBER + rng.random_range(1..MEMBERS));
            let roll: u32 = rng.random_range(0..1_000);
            match roll {
                // Shopping in the village: small amounts, popular shops more often.
                0..=619 => {
                    let shop = pick_shop(rng);
                    let amount = self.cents(rng.random_range(200..6_000))?;
                    self.pay(member, Action::Transfer { to: shop, amount }, now)?;
                }
                // Members paying each other: babysitting, firewood, lessons.
                620..=819 => {
                    let other = AccountId(FIRST_MEMBER + rng.random_range(1..MEMBERS));
                    let amount = self.cents(rng.random_range(500..12_000))?;
                    if other != member {
                        self.pay(member, Action::Transfer { to: other, amount }, now)?;
                    }
                }
                // Shops paying wages to members once they hold enough.
                820..=899 => {
                    let shop = pick_shop(rng);
                    let balance = self.balance(shop, now);
                    if balance > 250_000 {
                        let amount = self.cents(rng.random_range(30_000..90_000))?;
                        self.pay(shop, Action::Transfer { to: member, amount }, now)?;
                    }
                }
                // A day trip: buying in the valley or at the ski enclave,
                // which the perimeter refuses.
                900..=929 => {
                    let outsider =
                        AccountId(FIRST_OUTSIDER + rng.random_range(0..OUTSIDERS.len() as u64));
                    let amount = self.cents(rng.random_range(1_000..8_000))?;
                    self.pay(member, Action::Transfer { to: outsider, amount }, now)?;
                }
                // Heating oil or fuel, which the sector ban refuses.
                930..=944 => {
                    let seller =
                        AccountId(FIRST_SHOP + SHOPS.len() as u64 - rng.random_range(1..=2));
                    let amount = self.cents(rng.random_range(2_000..15_000))?;
                    self.pay(member, Action::Transfer { to: seller, amount }, now)?;
                }
                // Rent to the landlord, who ends up at the ceiling.
                945..=974 => {
                    let amount = self.cents(rng.random_range(20_000..45_000))?;
                    self.pay(member, Action::Transfer { to: LANDLORD, amount }, now)?;
                }
                // The landlord or a rich shop tries a large purchase.
                975..=984 => {
                    let buyer = if rng.random_bool(0.5) { LANDLORD } else { pick_shop(rng) };
                    let amount = self.cents(rng.random_range(400_000..700_000))?;
                    let seller = pick_shop(rng);
                    if buyer != seller {
                        self.pay(buyer, Action::Transfer { to: seller, amount }, now)?;
                    }
                }
                // Redeeming VLG back into euros at the association.
                _ => {
                    let amount = self.cents(rng.random_range(1_000..10_000))?;
                    self.pay(member, Action::Redeem { amount }, now)?;
                }
            }
        }
        Ok(())
    }

    /// Resubmitting a signed payment is harmless; replaying its sequence
    /// number in a new payment is refused.
    fn show_replay_protection(&mut self, day: u64) -> Result<()> {
        let now = at(day, 19 * 3_600);
        let payer = AccountId(FIRST_MEMBER + 1);
        let holder = self.holders.get(&payer).context("no key for member 1")?;
        let (key, sequence) = (holder.key.clone(), holder.next_sequence);
        let amount = self.cents(100)?;
        let payment = |to: u64, sequence: u64| Transaction {
            currency: self.code,
            source: payer,
            sequence,
            timestamp: now,
            action: Action::Transfer { to: AccountId(to), amount },
            memo: "replay demonstration".into(),
        };
        let first = payment(FIRST_SHOP, sequence).sign(&key)?;
        let replay = payment(FIRST_SHOP + 1, sequence).sign(&key)?;
        for operation in
            [Operation::Submit(first.clone()), Operation::Submit(first), Operation::Submit(replay)]
        {
            self.report.attempted += 1;
            match self.books.apply(&operation)? {
                Ok(Receipt::Applied { .. }) => {
                    self.report.applied += 1;
                    self.report.volume_minor_units += amount.minor_units();
                    if let Some(holder) = self.holders.get_mut(&payer) {
                        holder.next_sequence += 1;
                    }
                }
                Ok(Receipt::AlreadyApplied(_)) => self.report.already_applied += 1,
                Err(rejection) => self.count_rejection(&rejection),
            }
        }
        Ok(())
    }

    /// Every month the council spends what the fund collected on a repair
    /// at a village shop.
    fn fund_pays_for_repairs(&mut self, day: u64, rng: &mut ChaCha8Rng) -> Result<()> {
        let now = at(day, 20 * 3_600);
        let available = self.balance(FUND, now) - 10_000;
        if available > 0 {
            let shop = pick_shop(rng);
            self.pay(FUND, Action::Transfer { to: shop, amount: self.cents(available)? }, now)?;
        }
        Ok(())
    }

    /// At the year's end the association tries to issue far past the cap.
    fn try_to_issue_past_the_cap(&mut self, day: u64) -> Result<()> {
        let now = at(day, 21 * 3_600);
        let amount = self.cents(90_000_000)?;
        if self.pay(ISSUER, Action::Issue { to: FUND, amount }, now)? {
            bail!("issuing 900,000.00 more should have been refused by the supply cap");
        }
        Ok(())
    }

    fn print_report(&self, now: Timestamp) -> Result<()> {
        let spec = self.books.ledger().spec(self.code).context("the currency is gone")?;
        let supply = self.books.ledger().supply(self.code)?;
        let trial = self.books.ledger().trial_balance(self.code, now)?;
        let report = &self.report;
        let vlg = |minor: i128| Amount::saturating_from_minor_units(minor, 2);

        println!("OpenCoin village example: {} ({}), seed {SEED}", spec.name, spec.code);
        println!("  {} accounts, {} rules:", trial.lines.len(), spec.rules.len());
        for (index, rule) in spec.rules.iter().enumerate() {
            println!("    rules[{index}] {:?} ({})", rule.name, rule.kind.name());
        }

        println!();
        println!("A year of trade ({DAYS} days)");
        println!("  payments attempted   {:>12}", report.attempted);
        println!("  applied              {:>12}", report.applied);
        println!("  volume transferred   {:>12} VLG", vlg(report.volume_minor_units));
        println!("  redeemed for euros   {:>12} VLG", vlg(report.redeemed_minor_units));
        println!("  resubmissions answered 'already applied': {}", report.already_applied);

        println!();
        println!("Rejections, by rule or check, with the first example of each");
        for (reason, (count, example)) in &report.rejections {
            println!("  {count:>7}  {reason}");
            println!("           e.g. {example}");
        }

        println!();
        let melted = self.melted_total();
        println!("Demurrage");
        println!("  melted into the community fund this year   {} VLG", vlg(melted));
        let fund = self.books.ledger().balance(FUND, now)?;
        println!("  fund balance now (after monthly repairs)   {} VLG", fund.balance);

        println!();
        println!("Supply");
        println!("  issued          {:>14} VLG", supply.issued);
        println!("  redeemed        {:>14} VLG", supply.redeemed);
        println!("  burned          {:>14} VLG", supply.burned);
        println!("  in circulation  {:>14} VLG", supply.in_circulation);
        if let Some(cap) = supply.cap {
            println!("  cap             {cap:>14} VLG");
        }
        self.print_conservation(&trial)?;

        println!();
        println!("Largest balances");
        let mut lines = trial.lines.clone();
        lines.sort_by_key(|line| std::cmp::Reverse(line.balance));
        for line in lines.iter().take(5) {
            println!("  {:>12} VLG  {} ({})", line.balance, self.label(line.account), line.kind);
        }

        println!();
        println!("Most active traders (activity reputation)");
        let module = self
            .books
            .ledger()
            .subscriber::<ActivityReputation>(self.reputation)
            .context("the reputation module is gone")?;
        // Rank by score, then by number of payments, then by id for ties.
        let mut scores: Vec<(u8, u64, AccountId)> = self
            .holders
            .keys()
            .filter_map(|id| {
                let score = module.assess(*id, now)?.score;
                Some((score, module.activity(*id)?.payments, *id))
            })
            .collect();
        scores.sort_by_key(|(score, payments, id)| {
            (std::cmp::Reverse(*score), std::cmp::Reverse(*payments), *id)
        });
        for (score, _, id) in scores.iter().take(3) {
            let activity = module.activity(*id).context("assessed account without activity")?;
            println!(
                "  score {score:>3}  {}: {} payments with {} counterparties",
                self.label(*id),
                activity.payments,
                activity.counterparties.len()
            );
        }

        println!();
        println!("State hash {}", hex(&self.books.ledger().state_hash()));
        Ok(())
    }

    /// Checks conservation two ways and prints the result: the trial balance
    /// against the stored supply, and the supply against the year's flows.
    fn print_conservation(&self, trial: &TrialBalance) -> Result<()> {
        let supply = self.books.ledger().supply(self.code)?;
        let by_flows = supply.issued.checked_sub(supply.redeemed)?.checked_sub(supply.burned)?;
        let balanced = trial.balances() && by_flows == supply.in_circulation;
        println!(
            "  conservation: sum of {} balances {} + pending burn {} = circulation {}: {}",
            trial.lines.len(),
            trial.total,
            trial.burn_pending,
            trial.in_circulation,
            if balanced { "holds" } else { "BROKEN" }
        );
        if !balanced {
            bail!("the books do not balance");
        }
        Ok(())
    }

    fn melted_total(&self) -> i128 {
        self.books
            .ledger()
            .statement(FUND)
            .map(|lines| {
                lines
                    .iter()
                    .filter(|line| line.kind == opencoin::ledger::PostingKind::MeltReceived)
                    .map(|line| line.change.minor_units())
                    .sum()
            })
            .unwrap_or(0)
    }

    fn label(&self, id: AccountId) -> String {
        self.holders
            .get(&id)
            .map_or_else(|| id.to_string(), |holder| format!("{} {}", holder.label, id))
    }
}

fn holder(key_name: &str, label: &str) -> Holder {
    Holder { key: key_for(key_name), next_sequence: 0, label: label.to_owned() }
}

fn open(
    code: CurrencyCode,
    id: AccountId,
    key_name: &str,
    kind: AccountKind,
    location: Location,
    sectors: &[&str],
) -> Operation {
    Operation::OpenAccount(OpenAccount {
        id,
        currency: code,
        owner: key_for(key_name).verifying_key(),
        kind,
        location: Some(location),
        sectors: sectors.iter().filter_map(|code| SectorCode::new(code).ok()).collect(),
        at: at(0, 7 * 3_600),
    })
}

/// A village shop, chosen by popularity.
fn pick_shop(rng: &mut ChaCha8Rng) -> AccountId {
    let total: u32 = SHOPS.iter().map(|(_, _, weight)| weight).sum();
    let mut ticket = rng.random_range(0..total);
    for (number, (_, _, weight)) in SHOPS.iter().enumerate() {
        if ticket < *weight {
            return AccountId(FIRST_SHOP + number as u64);
        }
        ticket -= weight;
    }
    AccountId(FIRST_SHOP)
}
