//! The throughput harness: how many transfers per second the ledger
//! sustains, against the limits of the machine and against what a user would
//! write instead.
//!
//! Run it with `cargo bench --bench throughput -- [options]` (`--help` lists
//! them). It generates one workload (accounts, then signed transfers, all
//! before any clock starts), applies it through the library's own path
//! (`Ledger::apply_each_into`, one call per batch; with `--durable on`,
//! `DurableLedger::submit_each_into`, each batch applied while the one
//! before it is synced, and waited for with `wait_durable`) and then runs
//! baselines on the very same transfers:
//!
//! 1. a bare loop: look both accounts up in the same kind of id map, check
//!    the funds, move the money; no rules, no replay checks, no events. The
//!    limit for applying in memory.
//! 2. ed25519 batch verification of the same signatures on every core; the
//!    limit for signed transfers (only with `--signatures on`).
//! 3. append plus `fdatasync` of the transfers' wire bytes, once per batch;
//!    the limit for durable transfers.
//! 4. SQLite (compiled in through rusqlite): a transfers table and balance
//!    updates, one SQL transaction per batch; in memory, and in WAL mode
//!    with `synchronous=FULL` on disk for the durable comparison.
//!
//! Each of these runs `--passes` times (five by default; ours on a freshly
//! set-up ledger each time) and the pass of median speed is reported. One
//! pass over a million transfers takes from 40 ms (the bare loop) to about
//! a second (SQLite), and on a shared machine a single pass moved by a
//! factor of 1.7 from one run to the next, more than any change measured
//! with it (BENCHMARKS.md).
//!
//! It prints a table, or one JSON object with `--json`, with transfers per
//! second, batch latency percentiles, peak memory and `ratios` of ours to
//! each baseline. A progress line goes to stderr while it runs.
//!
//! The generator keeps every transfer valid (it tracks a conservative
//! balance for each payer), so every run applies every transfer: a refusal
//! would also refuse every later transfer of its payer, whose sequence
//! number would no longer match. The harness reports refusals if any occur.

// A benchmark binary reports to a person: printing is its job, and rates
// and percentages are floating point (no money is involved).
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::float_arithmetic)]

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use clap::{Parser, ValueEnum};
use opencoin::core::ed25519_dalek::{self, Signature, SigningKey, VerifyingKey};
use opencoin::core::tx::SIGNATURE_DOMAIN;
use opencoin::ledger::hash::IdMap;
use opencoin::ledger::{BatchTicket, DurableLedger, JournalOptions, SubscriberId, SyncPolicy};
use opencoin::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

/// Durable batches submitted and not yet waited for while the next one is
/// applied.
const PIPELINE_DEPTH: usize = 1;
/// The first member account id; 1 and 2 are the fund and the issuer.
const FIRST_MEMBER: u64 = 100;
/// What each member is issued before the run, in minor units (1,000.00).
const OPENING_MINOR_UNITS: i128 = 100_000;
/// The largest transfer, in minor units (20.00).
const TRANSFER_MAX_MINOR_UNITS: i128 = 2_000;
/// When the run starts: day one, so that demurrage has a grid to count on.
const START_SECONDS: u64 = 86_400;
/// Simulated time covered by the transfers: one year, so that demurrage
/// melts a little on almost every touch.
const SPAN_SECONDS: u64 = 365 * 86_400;
/// Distinct owner keys; account `i` is owned by key `i % OWNER_KEYS`.
/// Deriving a public key costs a scalar multiplication, so a million
/// accounts share a pool of keys (people with several accounts).
const OWNER_KEYS: usize = 4_096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Switch {
    On,
    Off,
}

impl Switch {
    fn on(self) -> bool {
        self == Switch::On
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Distribution {
    /// Every account equally likely.
    Uniform,
    /// A few hot accounts: rank r is chosen with weight 1 / r^s.
    Zipfian,
}

/// Options of the harness.
#[derive(Debug, Parser)]
#[command(about = "Transfers per second of the OpenCoin ledger, against its limits and SQLite")]
struct Options {
    /// Number of member accounts.
    #[arg(long, default_value_t = 10_000)]
    accounts: usize,
    /// Number of transfers.
    #[arg(long, default_value_t = 1_000_000)]
    transfers: usize,
    /// Transfers per batch (one `apply_each` call, one SQL transaction, one
    /// fdatasync).
    #[arg(long, default_value_t = 8_190)]
    batch: usize,
    /// How payers and payees are chosen.
    #[arg(long, value_enum, default_value_t = Distribution::Uniform)]
    distribution: Distribution,
    /// Exponent of the zipfian distribution.
    #[arg(long, default_value_t = 1.0)]
    zipf_exponent: f64,
    /// The currency's rules: perimeter, sectors, demurrage into a fund,
    /// balance ceiling and payment maximum.
    #[arg(long, value_enum, default_value_t = Switch::On)]
    rules: Switch,
    /// Verify signatures inside the measured path.
    #[arg(long, value_enum, default_value_t = Switch::Off)]
    signatures: Switch,
    /// Write a journal (fdatasync per batch) in a temporary directory.
    #[arg(long, value_enum, default_value_t = Switch::Off)]
    durable: Switch,
    /// With `--durable on`: write a snapshot every this many records (0:
    /// never). Defaults to the journal's own default.
    #[arg(long, default_value_t = JournalOptions::default().snapshot_every)]
    snapshot_every: u64,
    /// Keep every posting in memory (the ledger's `keep_history`).
    #[arg(long, value_enum, default_value_t = Switch::Off)]
    history: Switch,
    /// Timed passes of each run, ours and every baseline; the pass of
    /// median speed is reported.
    #[arg(long, default_value_t = 5)]
    passes: usize,
    /// Run the baselines (bare loop, verification, fsync, SQLite).
    #[arg(long, value_enum, default_value_t = Switch::On)]
    baselines: Switch,
    /// Seed of the workload.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

fn main() -> Result<()> {
    let options = Options::parse();
    ensure!(options.accounts >= 2, "need at least 2 accounts, got {}", options.accounts);
    ensure!(options.batch >= 1, "the batch size must be at least 1, got {}", options.batch);
    ensure!(options.passes >= 1, "need at least 1 pass, got {}", options.passes);
    ensure!(options.zipf_exponent > 0.0, "the zipf exponent must be positive");
    let threads = std::thread::available_parallelism().map_or(1, usize::from);

    progress_note(&format!(
        "generating {} accounts and {} transfers",
        options.accounts, options.transfers
    ));
    let generation_started = Instant::now();
    let workload = Workload::generate(&options, threads)?;
    let generation = generation_started.elapsed();

    let ours = median_of_passes(options.passes, |pass| run_ledger(&options, &workload, pass))?;
    let peak_memory = peak_memory_bytes();

    let mut baselines = Vec::new();
    if options.baselines.on() {
        baselines.push(run_bare_loop(&options, &workload)?);
        if options.signatures.on() {
            baselines.push(run_verify_limit(&options, &workload, threads)?);
        }
        baselines.push(run_fsync_limit(&options, &workload)?);
        baselines.push(run_sqlite(&options, &workload, SqliteMode::Memory)?);
        if options.durable.on() {
            baselines.push(run_sqlite(&options, &workload, SqliteMode::DurableFull)?);
        }
    }

    let report = Report { options: &options, threads, generation, ours, peak_memory, baselines };
    if options.json {
        println!("{}", serde_json::to_string_pretty(&report.to_json())?);
    } else {
        report.print_table();
    }
    Ok(())
}

// ----- the workload -------------------------------------------------------------------

/// One transfer as the baselines read it: the same numbers the signed
/// transaction carries.
#[derive(Debug, Clone, Copy)]
struct Plain {
    source: u64,
    to: u64,
    amount: i64,
}

/// Everything generated before the clock starts.
struct Workload {
    /// Create the currency, open the accounts, issue their opening balance.
    setup: Vec<Operation>,
    /// The measured transfers, signed by their payers.
    transfers: Vec<Operation>,
    /// The same transfers as plain numbers, for the baselines.
    plain: Vec<Plain>,
    /// Member ids, in opening order.
    members: Vec<u64>,
}

impl Workload {
    fn generate(options: &Options, threads: usize) -> Result<Workload> {
        let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
        let issuer = key_from_label("issuer");
        let fund = key_from_label("fund");
        let owners = owner_keys(threads);
        let spec = currency_spec(options.rules.on(), &issuer, &fund)?;
        let code = spec.code;

        let members: Vec<u64> = (0..options.accounts as u64).map(|i| FIRST_MEMBER + i).collect();
        let location = Location::new(46.52, 6.63)?;
        let sector = SectorCode::new("5411")?;
        let mut setup = vec![Operation::CreateCurrency { spec: Box::new(spec), at: Timestamp(0) }];
        for (index, &id) in members.iter().enumerate() {
            setup.push(Operation::OpenAccount(OpenAccount {
                id: AccountId(id),
                currency: code,
                owner: owners[index % OWNER_KEYS].1,
                kind: AccountKind::Member,
                location: Some(location),
                sectors: vec![sector.clone()],
                at: Timestamp(0),
            }));
        }
        let opening = Amount::from_minor_units(OPENING_MINOR_UNITS, 2)?;
        let issues: Vec<(Transaction, usize)> = members
            .iter()
            .enumerate()
            .map(|(sequence, &id)| {
                let transaction = Transaction {
                    currency: code,
                    source: AccountId(2),
                    sequence: sequence as u64,
                    timestamp: Timestamp(START_SECONDS - 1),
                    action: Action::Issue { to: AccountId(id), amount: opening },
                    memo: String::new(),
                };
                (transaction, usize::MAX)
            })
            .collect();
        let issuer_keys = [(issuer.clone(), issuer.verifying_key())];
        setup.extend(sign_all(issues, &issuer_keys, threads)?);

        // Transfers: each member's balance is tracked with the currency's
        // own demurrage rule, settled at every touch as the ledger settles
        // it, so every generated transfer is affordable and none is
        // refused (a refusal would also refuse every later transfer of the
        // payer, whose sequence number would no longer match).
        let rules = opencoin::rules::RuleSet::compile(match &setup[0] {
            Operation::CreateCurrency { spec, .. } => spec,
            _ => anyhow::bail!("the setup starts by creating the currency"),
        })?;
        let demurrage = rules.demurrage();
        let mut touched = vec![Timestamp(START_SECONDS - 1); options.accounts];
        let chooser = Chooser::new(options, &mut rng);
        let mut balances = vec![OPENING_MINOR_UNITS; options.accounts];
        let mut sequences = vec![0_u64; options.accounts];
        let mut unsigned = Vec::with_capacity(options.transfers);
        let mut plain = Vec::with_capacity(options.transfers);
        while unsigned.len() < options.transfers {
            let payer = chooser.pick(&mut rng);
            let payee = chooser.pick(&mut rng);
            let wanted = rng.random_range(1..=TRANSFER_MAX_MINOR_UNITS);
            if payer == payee {
                continue;
            }
            let step = unsigned.len() as u64 * SPAN_SECONDS / options.transfers as u64;
            let at = Timestamp(START_SECONDS + step);
            for member in [payer, payee] {
                if let Some(demurrage) = demurrage {
                    balances[member] =
                        demurrage.melt(balances[member], touched[member], at).balance;
                }
                touched[member] = at;
            }
            let amount = wanted.min(balances[payer]);
            if amount < 1 {
                continue;
            }
            balances[payer] -= amount;
            balances[payee] += amount;
            let transaction = Transaction {
                currency: code,
                source: AccountId(members[payer]),
                sequence: sequences[payer],
                timestamp: at,
                action: Action::Transfer {
                    to: AccountId(members[payee]),
                    amount: Amount::from_minor_units(amount, 2)?,
                },
                memo: String::new(),
            };
            sequences[payer] += 1;
            plain.push(Plain { source: members[payer], to: members[payee], amount: amount as i64 });
            unsigned.push((transaction, payer % OWNER_KEYS));
        }
        let transfers = sign_all(unsigned, &owners, threads)?;
        Ok(Workload { setup, transfers, plain, members })
    }
}

/// A deterministic key from a label, so that runs are repeatable.
fn key_from_label(label: &str) -> SigningKey {
    SigningKey::from_bytes(&blake3::derive_key("opencoin throughput harness key", label.as_bytes()))
}

/// The pool of owner keys, derived on every core.
fn owner_keys(threads: usize) -> Vec<(SigningKey, VerifyingKey)> {
    let labels: Vec<usize> = (0..OWNER_KEYS).collect();
    let chunk = OWNER_KEYS.div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = labels
            .chunks(chunk)
            .map(|labels| {
                scope.spawn(move || {
                    labels
                        .iter()
                        .map(|i| {
                            let key = key_from_label(&format!("owner {i}"));
                            let public = key.verifying_key();
                            (key, public)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|handle| handle.join().unwrap_or_default()).collect()
    })
}

/// Signs transactions on every core; `usize::MAX` as key index means key 0.
fn sign_all(
    transactions: Vec<(Transaction, usize)>,
    keys: &[(SigningKey, VerifyingKey)],
    threads: usize,
) -> Result<Vec<Operation>> {
    let chunk = transactions.len().div_ceil(threads).max(1);
    let signed: Vec<Result<Vec<Operation>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = transactions
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(transaction, key)| {
                            let key = &keys[if *key == usize::MAX { 0 } else { *key }].0;
                            Ok(Operation::Submit(transaction.clone().sign(key)?))
                        })
                        .collect::<Result<Vec<_>>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle.join().unwrap_or_else(|_| Err(anyhow::anyhow!("a signing thread panicked")))
            })
            .collect()
    });
    let mut operations = Vec::with_capacity(transactions.len());
    for part in signed {
        operations.extend(part?);
    }
    Ok(operations)
}

/// The benchmark currency. With rules on it has every family the ledger
/// checks per payment: a perimeter, demurrage into a fund, a sector ban, a
/// balance ceiling and a payment maximum (set so that the generated
/// transfers pass, as most payments do).
fn currency_spec(rules: bool, issuer: &SigningKey, fund: &SigningKey) -> Result<CurrencySpec> {
    let hex = |key: &SigningKey| -> String {
        key.verifying_key().as_bytes().iter().map(|byte| format!("{byte:02x}")).collect()
    };
    let mut text = format!(
        r#"
        code = "BENCH"
        name = "Throughput benchmark money"
        decimals = 2

        [supply]
        policy = "issued"
        issuers = ["{issuer}"]
        cap = "100000000000.00"

        [[accounts]]
        id = 1
        name = "community fund"
        kind = "fund"
        owner = "{fund}"
        location = [46.52, 6.63]

        [[accounts]]
        id = 2
        name = "issuer"
        kind = "issuer"
        owner = "{issuer}"
        location = [46.52, 6.63]
        "#,
        issuer = hex(issuer),
        fund = hex(fund),
    );
    if rules {
        text.push_str(
            r#"
            [[rules]]
            kind = "perimeter"
            name = "stays in the region"
            area = { circle = { center = [46.5, 6.6], radius_km = 30 } }
            exempt = { kinds = ["fund", "issuer"] }

            [[rules]]
            kind = "demurrage"
            name = "idle money melts"
            rate = "2%"
            period = "90d"
            step = "day"
            free_allowance = "50.00"
            destination = { account = 1 }
            exempt = { kinds = ["fund", "issuer"] }

            [[rules]]
            kind = "sectors"
            name = "no fossil fuel"
            mode = "ban"
            codes = ["5983", "5172", "5541-5542", "B05"]
            direction = "paying_into"
            reason = "pay for fuel in another money"

            [[rules]]
            kind = "balance_ceiling"
            name = "no hoarding"
            max = "1000000.00"
            exempt = { kinds = ["fund", "issuer"] }

            [[rules]]
            kind = "payment_max"
            name = "everyday payments only"
            max = "5000.00"
            exempt = { kinds = ["fund", "issuer"] }
            "#,
        );
    }
    CurrencySpec::from_toml_str(&text).context("the benchmark currency does not load")
}

/// Picks member indexes, uniformly or zipfian.
struct Chooser {
    accounts: usize,
    /// For zipfian: the cumulative weight of ranks `0..=r`, normalised.
    cumulative: Vec<f64>,
    /// For zipfian: which member has each rank, shuffled so that hot
    /// accounts are spread through memory as they would be in life.
    member_of_rank: Vec<usize>,
}

impl Chooser {
    fn new(options: &Options, rng: &mut ChaCha8Rng) -> Chooser {
        let mut chooser = Chooser {
            accounts: options.accounts,
            cumulative: Vec::new(),
            member_of_rank: Vec::new(),
        };
        if options.distribution == Distribution::Zipfian {
            let mut total = 0.0;
            for rank in 1..=options.accounts {
                total += 1.0 / (rank as f64).powf(options.zipf_exponent);
                chooser.cumulative.push(total);
            }
            for weight in &mut chooser.cumulative {
                *weight /= total;
            }
            chooser.member_of_rank = (0..options.accounts).collect();
            for i in (1..options.accounts).rev() {
                let j = rng.random_range(0..=i);
                chooser.member_of_rank.swap(i, j);
            }
        }
        chooser
    }

    fn pick(&self, rng: &mut ChaCha8Rng) -> usize {
        if self.cumulative.is_empty() {
            return rng.random_range(0..self.accounts);
        }
        let draw: f64 = rng.random_range(0.0..1.0);
        let rank = self.cumulative.partition_point(|&weight| weight < draw).min(self.accounts - 1);
        self.member_of_rank[rank]
    }
}

// ----- measurement ---------------------------------------------------------------------

/// What one measured run gives.
struct Measured {
    name: &'static str,
    description: String,
    transfers: usize,
    elapsed: Duration,
    /// Wall time of each batch.
    batches: Vec<Duration>,
    /// Anything worth saying next to the figures.
    notes: Vec<String>,
}

impl Measured {
    fn per_second(&self) -> f64 {
        self.transfers as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn percentile(&self, fraction: f64) -> Duration {
        let mut sorted = self.batches.clone();
        sorted.sort_unstable();
        if sorted.is_empty() {
            return Duration::ZERO;
        }
        let index = ((sorted.len() as f64 * fraction).ceil() as usize).clamp(1, sorted.len()) - 1;
        sorted[index]
    }

    fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "description": self.description,
            "transfers": self.transfers,
            "seconds": self.elapsed.as_secs_f64(),
            "transfers_per_second": self.per_second(),
            "batch_latency_ms": {
                "p50": millis(self.percentile(0.50)),
                "p99": millis(self.percentile(0.99)),
                "p999": millis(self.percentile(0.999)),
                "max": millis(self.percentile(1.0)),
            },
            "notes": self.notes,
        })
    }
}

/// A run of several passes: the pass reported, and the speed of each.
struct Run {
    /// The pass of median time.
    median: Measured,
    /// Transfers per second of every pass, in the order they ran.
    pass_rates: Vec<f64>,
}

impl Run {
    fn to_json(&self) -> Value {
        let mut json = self.median.to_json();
        json["passes_transfers_per_second"] = json!(self.pass_rates);
        json
    }
}

/// Runs `pass` (given the pass number, from 0) `passes` times and keeps
/// the pass of median time (for an even count, the slower of the middle
/// two), noting the spread of all of them. Reporting every figure as the
/// median of its own passes keeps one slow moment of a shared machine from
/// deciding a ratio.
fn median_of_passes(passes: usize, mut pass: impl FnMut(usize) -> Result<Measured>) -> Result<Run> {
    let mut measured = Vec::with_capacity(passes);
    for number in 0..passes {
        measured.push(pass(number)?);
    }
    let rates: Vec<f64> = measured.iter().map(Measured::per_second).collect();
    let slowest = rates.iter().copied().fold(f64::INFINITY, f64::min);
    let fastest = rates.iter().copied().fold(0.0, f64::max);

    measured.sort_by_key(|measured| measured.elapsed);
    let mut median = measured.swap_remove(passes / 2);
    if passes > 1 {
        median.notes.push(format!(
            "median of {passes} passes (from {slowest:.0} to {fastest:.0} per second)"
        ));
    }
    Ok(Run { median, pass_rates: rates })
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

/// A progress line on stderr, rewritten in place.
struct Progress {
    label: String,
    total: usize,
    started: Instant,
    shown: Instant,
    finished: bool,
}

impl Progress {
    /// A progress line for pass `pass` (from 0) of `passes`.
    fn new(label: &str, pass: usize, passes: usize, total: usize) -> Progress {
        let now = Instant::now();
        let label = format!("{label} {}/{passes}", pass + 1);
        Progress { label, total, started: now, shown: now, finished: false }
    }

    /// Redraws at most ten times a second, so that drawing costs nothing
    /// measurable.
    fn update(&mut self, done: usize) {
        let done = done.min(self.total);
        if self.finished {
            return;
        }
        if self.shown.elapsed() < Duration::from_millis(100) && done < self.total {
            return;
        }
        self.shown = Instant::now();
        let fraction = done as f64 / self.total.max(1) as f64;
        let filled = (fraction * 30.0) as usize;
        let rate = done as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
        eprint!(
            "\r{:<18} [{}{}] {:>5.1}% {:>12.0}/s",
            self.label,
            "#".repeat(filled),
            " ".repeat(30 - filled.min(30)),
            fraction * 100.0,
            rate
        );
        if done >= self.total {
            self.finished = true;
            eprintln!();
        }
    }
}

fn progress_note(text: &str) {
    eprintln!("{text}");
}

/// Counts events, so that the ledger publishes them as it would to a real
/// subscriber.
#[derive(Debug, Default)]
struct EventCounter {
    events: u64,
}

impl Subscriber for EventCounter {
    fn on_event(&mut self, _event: &Event) {
        self.events += 1;
    }
}

// ----- our ledger ----------------------------------------------------------------------

/// The ledger under test: in memory, or journalled in a temporary
/// directory (records hashed into the chain, written, fdatasync per batch).
enum Engine {
    Memory(Box<Ledger>),
    /// The directory is deleted when the engine is dropped.
    Durable {
        ledger: Box<DurableLedger>,
        _directory: tempfile::TempDir,
    },
}

impl Engine {
    fn open(options: &Options, config: LedgerConfig) -> Result<Engine> {
        if !options.durable.on() {
            return Ok(Engine::Memory(Box::new(Ledger::new(config))));
        }
        let directory = tempfile::tempdir()?;
        let journal = JournalOptions {
            sync: SyncPolicy::EveryBatch,
            snapshot_every: options.snapshot_every,
            ledger: config,
            ..JournalOptions::default()
        };
        let (durable, _report) = DurableLedger::open(directory.path(), journal)?;
        Ok(Engine::Durable { ledger: Box::new(durable), _directory: directory })
    }

    fn ledger(&self) -> &Ledger {
        match self {
            Engine::Memory(ledger) => ledger,
            Engine::Durable { ledger: durable, .. } => durable.ledger(),
        }
    }

    fn subscribe(&mut self, subscriber: Box<dyn Subscriber>) -> SubscriberId {
        match self {
            Engine::Memory(ledger) => ledger.subscribe(subscriber),
            Engine::Durable { ledger: durable, .. } => durable.subscribe(subscriber),
        }
    }

    fn apply_each(&mut self, operations: &[Operation]) -> Result<Vec<Result<Receipt, Rejection>>> {
        let mut results = Vec::new();
        self.apply_each_into(operations, &mut results)?;
        Ok(results)
    }

    /// Applies a batch into a buffer reused from batch to batch, as a
    /// program applying batch after batch would, and returns once it is
    /// durable if the ledger is.
    fn apply_each_into(
        &mut self,
        operations: &[Operation],
        results: &mut Vec<Result<Receipt, Rejection>>,
    ) -> Result<()> {
        match self {
            Engine::Memory(ledger) => ledger.apply_each_into(operations, results),
            Engine::Durable { ledger: durable, .. } => {
                durable.apply_each_into(operations, results)?
            }
        }
        Ok(())
    }

    /// Applies a batch like [`Engine::apply_each_into`], but a durable
    /// ledger returns once it is applied in memory, with the ticket to wait
    /// for its records: the next batch is applied while this one is synced.
    fn submit_each_into(
        &mut self,
        operations: &[Operation],
        results: &mut Vec<Result<Receipt, Rejection>>,
    ) -> Result<Option<BatchTicket>> {
        match self {
            Engine::Memory(ledger) => {
                ledger.apply_each_into(operations, results);
                Ok(None)
            }
            Engine::Durable { ledger: durable, .. } => {
                Ok(Some(durable.submit_each_into(operations, results)?))
            }
        }
    }

    /// Returns once a submitted batch is durable.
    fn wait_durable(&mut self, ticket: Option<BatchTicket>) -> Result<()> {
        if let (Engine::Durable { ledger: durable, .. }, Some(ticket)) = (self, ticket) {
            durable.wait_durable(ticket)?;
        }
        Ok(())
    }

    /// Bytes in the journal directory (journal and snapshots), if durable.
    fn bytes_on_disk(&self) -> Option<u64> {
        let Engine::Durable { ledger: durable, .. } = self else { return None };
        Some(bytes_under(durable.dir()))
    }
}

/// The bytes of the files under `dir`, in its subdirectories too (the
/// snapshots are in one).
fn bytes_under(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    let sizes = entries.flatten().filter_map(|entry| {
        let metadata = entry.metadata().ok()?;
        Some(if metadata.is_dir() { bytes_under(&entry.path()) } else { metadata.len() })
    });
    sizes.sum()
}

/// One pass of ours: a new ledger (a new journal directory if durable) set
/// up with the workload's accounts, untimed, then every transfer, timed.
fn run_ledger(options: &Options, workload: &Workload, pass: usize) -> Result<Measured> {
    let config = LedgerConfig {
        verify_signatures: options.signatures.on(),
        keep_history: options.history.on(),
    };
    let mut ledger = Engine::open(options, config)?;
    let counter = ledger.subscribe(Box::new(EventCounter::default()));
    progress_note("setting up the ledger (not measured)");
    for chunk in workload.setup.chunks(options.batch) {
        for result in ledger.apply_each(chunk)? {
            result.context("a setup operation was refused")?;
        }
    }
    let events_before = ledger.ledger().subscriber::<EventCounter>(counter).map_or(0, |c| c.events);

    let mut progress = Progress::new("ledger", pass, options.passes, workload.transfers.len());
    let mut batches = Vec::with_capacity(workload.transfers.len() / options.batch + 1);
    let mut refused: HashMap<&'static str, usize> = HashMap::new();
    let mut applied = 0;
    let mut results = Vec::with_capacity(options.batch);
    // A durable ledger gets batch k while batch k - 1 is being synced (one
    // batch in flight), as a server would pipeline them; a batch's latency
    // runs from its submission until it is durable. In memory a batch is
    // done when the call returns.
    let mut in_flight: VecDeque<(Instant, Option<BatchTicket>)> = VecDeque::new();
    let started = Instant::now();
    for (index, chunk) in workload.transfers.chunks(options.batch).enumerate() {
        in_flight.push_back((Instant::now(), ledger.submit_each_into(chunk, &mut results)?));
        for result in &results {
            match result {
                Ok(_) => applied += 1,
                Err(rejection) => *refused.entry(rejection.name()).or_default() += 1,
            }
        }
        while let Some(&(submitted, ticket)) = in_flight.front() {
            if ticket.is_some() && in_flight.len() <= PIPELINE_DEPTH {
                break;
            }
            ledger.wait_durable(ticket)?;
            batches.push(submitted.elapsed());
            in_flight.pop_front();
        }
        progress.update((index + 1) * options.batch);
    }
    for (submitted, ticket) in in_flight {
        ledger.wait_durable(ticket)?;
        batches.push(submitted.elapsed());
    }
    let elapsed = started.elapsed();
    progress.update(workload.transfers.len());

    let bytes_on_disk = ledger.bytes_on_disk();
    let ledger = ledger.ledger();
    let events = ledger.subscriber::<EventCounter>(counter).map_or(0, |c| c.events) - events_before;
    let mut notes = vec![format!("{applied} applied, {events} events published")];
    let mut refused: Vec<_> = refused.into_iter().collect();
    refused.sort_unstable();
    for (name, count) in refused {
        notes.push(format!("{count} refused: {name}"));
    }
    if let Some(bytes) = bytes_on_disk {
        notes.push(format!("{bytes} bytes in the journal directory (journal and snapshots)"));
    }
    if !options.rules.on() {
        check_against_bare_loop(ledger, workload)?;
        notes.push("final balances equal the bare loop's".to_owned());
    }
    let description = format!(
        "{} per batch; rules {}, signatures {}, history {}, events on",
        if options.durable.on() {
            "DurableLedger::submit_each_into (one batch syncing while the next applies)"
        } else {
            "Ledger::apply_each_into"
        },
        if options.rules.on() {
            "on (perimeter, sectors, demurrage, ceiling, payment max)"
        } else {
            "off"
        },
        if options.signatures.on() { "verified" } else { "not verified" },
        if options.history.on() { "kept" } else { "not kept" },
    );
    Ok(Measured {
        name: "opencoin",
        description,
        transfers: workload.transfers.len(),
        elapsed,
        batches,
        notes,
    })
}

/// Without rules there is no demurrage, so the ledger must end with exactly
/// the bare loop's balances: a check that both did the same work.
fn check_against_bare_loop(ledger: &Ledger, workload: &Workload) -> Result<()> {
    let mut balances: HashMap<u64, i128> =
        workload.members.iter().map(|&id| (id, OPENING_MINOR_UNITS)).collect();
    for transfer in &workload.plain {
        *balances.entry(transfer.source).or_default() -= i128::from(transfer.amount);
        *balances.entry(transfer.to).or_default() += i128::from(transfer.amount);
    }
    let at = Timestamp(START_SECONDS + SPAN_SECONDS);
    for (&id, &expected) in &balances {
        let view = ledger.balance(AccountId(id), at)?;
        ensure!(
            view.balance.minor_units() == expected,
            "account {id} ends with {} in the ledger but {expected} in the bare loop",
            view.balance.minor_units()
        );
    }
    Ok(())
}

// ----- baseline 1: the bare loop -------------------------------------------------------

/// An account of the bare loop: a balance and the sequence it expects, in
/// a vector reached through an id map, as the ledger keeps them.
#[derive(Clone, Copy)]
struct BareAccount {
    balance: i128,
    next_sequence: u64,
}

const BARE_LOOP_DESCRIPTION: &str =
    "id map + vector of balances: look up both, check funds and sequence, move";

fn run_bare_loop(options: &Options, workload: &Workload) -> Result<Run> {
    // The ledger's own kind of id map, so that the baseline differs only
    // in what it does per transfer.
    let mut index: IdMap<AccountId, u32> = IdMap::default();
    for (position, &id) in workload.members.iter().enumerate() {
        index.insert(AccountId(id), u32::try_from(position)?);
    }

    median_of_passes(options.passes, |pass| {
        let opening = BareAccount { balance: OPENING_MINOR_UNITS, next_sequence: 0 };
        let mut accounts = vec![opening; workload.members.len()];
        let mut progress =
            Progress::new("bare loop", pass, options.passes, workload.transfers.len());
        let (elapsed, batches, refused) =
            bare_loop_pass(options, workload, &index, &mut accounts, |done| progress.update(done));
        progress.update(workload.transfers.len());
        ensure!(refused == 0, "the bare loop refused {refused} transfers");

        let total: i128 = accounts.iter().map(|account| account.balance).sum();
        Ok(Measured {
            name: "bare_loop",
            description: BARE_LOOP_DESCRIPTION.to_owned(),
            transfers: workload.transfers.len(),
            elapsed,
            batches,
            notes: vec![format!("sum of balances {total} (conserved)")],
        })
    })
}

/// One timed pass of the bare loop over every transfer: its time, the time
/// of each batch and how many transfers it refused.
fn bare_loop_pass(
    options: &Options,
    workload: &Workload,
    index: &IdMap<AccountId, u32>,
    accounts: &mut [BareAccount],
    mut progress: impl FnMut(usize),
) -> (Duration, Vec<Duration>, usize) {
    let mut batches = Vec::new();
    let mut refused = 0_usize;
    let started = Instant::now();
    for (number, chunk) in workload.transfers.chunks(options.batch).enumerate() {
        let batch_started = Instant::now();
        for operation in chunk {
            // Reads the same signed transactions the ledger reads.
            let Operation::Submit(signed) = operation else { continue };
            let transaction = signed.transaction();
            let Action::Transfer { to, amount } = transaction.action else { continue };
            let amount = amount.minor_units();
            let (Some(&from), Some(&to)) = (index.get(&transaction.source), index.get(&to)) else {
                refused += 1;
                continue;
            };
            let payer = accounts[from as usize];
            if from == to || payer.balance < amount || payer.next_sequence != transaction.sequence {
                refused += 1;
                continue;
            }
            accounts[from as usize] = BareAccount {
                balance: payer.balance - amount,
                next_sequence: payer.next_sequence + 1,
            };
            accounts[to as usize].balance += amount;
        }
        batches.push(batch_started.elapsed());
        progress((number + 1) * options.batch);
    }
    (started.elapsed(), batches, refused)
}

// ----- baseline 2: the verification limit ----------------------------------------------

fn run_verify_limit(options: &Options, workload: &Workload, threads: usize) -> Result<Run> {
    // The signed messages are built before the clock starts: the limit is
    // the curve arithmetic, not our encoding.
    let mut messages = Vec::with_capacity(workload.transfers.len());
    let mut signatures = Vec::with_capacity(workload.transfers.len());
    let mut keys = Vec::with_capacity(workload.transfers.len());
    for operation in &workload.transfers {
        let Operation::Submit(signed) = operation else { continue };
        let body = signed.transaction().encode()?;
        let mut message = SIGNATURE_DOMAIN.to_vec();
        message.extend_from_slice(body.as_slice());
        messages.push(message);
        signatures.push(*signed.signature());
        keys.push(*signed.signer());
    }

    median_of_passes(options.passes, |pass| {
        let mut progress = Progress::new("verify limit", pass, options.passes, messages.len());
        let mut batches = Vec::new();
        let started = Instant::now();
        let mut done = 0;
        for ((messages, signatures), keys) in messages
            .chunks(options.batch)
            .zip(signatures.chunks(options.batch))
            .zip(keys.chunks(options.batch))
        {
            let batch_started = Instant::now();
            let part = messages.len().div_ceil(threads).max(1);
            let all_valid = std::thread::scope(|scope| {
                let handles: Vec<_> = messages
                    .chunks(part)
                    .zip(signatures.chunks(part))
                    .zip(keys.chunks(part))
                    .map(|((messages, signatures), keys)| {
                        scope.spawn(move || verify_batch(messages, signatures, keys))
                    })
                    .collect();
                handles.into_iter().all(|handle| handle.join().unwrap_or(false))
            });
            ensure!(all_valid, "batch verification refused a batch of valid signatures");
            batches.push(batch_started.elapsed());
            done += messages.len();
            progress.update(done);
        }
        let elapsed = started.elapsed();
        Ok(Measured {
            name: "verify_limit",
            description: format!(
                "ed25519_dalek::verify_batch of the same signatures on {threads} threads"
            ),
            transfers: messages.len(),
            elapsed,
            batches,
            notes: Vec::new(),
        })
    })
}

fn verify_batch(messages: &[Vec<u8>], signatures: &[Signature], keys: &[VerifyingKey]) -> bool {
    let messages: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
    ed25519_dalek::verify_batch(&messages, signatures, keys).is_ok()
}

// ----- baseline 3: the fsync limit -----------------------------------------------------

fn run_fsync_limit(options: &Options, workload: &Workload) -> Result<Run> {
    // The bytes a journal would hold: each transfer's wire form.
    let mut records = Vec::with_capacity(workload.transfers.len());
    for operation in &workload.transfers {
        let Operation::Submit(signed) = operation else { continue };
        records.push(signed.to_bytes()?);
    }
    let mut buffer = Vec::with_capacity(options.batch * 200);

    // A new file each pass, as our journal is new each pass.
    median_of_passes(options.passes, |pass| {
        let directory = tempfile::tempdir()?;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(directory.path().join("append.log"))?;
        let mut progress = Progress::new("fsync limit", pass, options.passes, records.len());
        let mut batches = Vec::new();
        let mut bytes = 0;
        let started = Instant::now();
        for (number, chunk) in records.chunks(options.batch).enumerate() {
            let batch_started = Instant::now();
            buffer.clear();
            for record in chunk {
                buffer.extend_from_slice(record);
            }
            file.write_all(&buffer)?;
            file.sync_data()?;
            bytes += buffer.len();
            batches.push(batch_started.elapsed());
            progress.update((number + 1) * options.batch);
        }
        let elapsed = started.elapsed();
        progress.update(records.len());
        Ok(Measured {
            name: "fsync_limit",
            description: "append the transfers' wire bytes, fdatasync once per batch".to_owned(),
            transfers: records.len(),
            elapsed,
            batches,
            notes: vec![format!(
                "{bytes} bytes written, {} per transfer",
                bytes / records.len().max(1)
            )],
        })
    })
}

// ----- baseline 4: SQLite --------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SqliteMode {
    /// `:memory:`, the fastest SQLite can go.
    Memory,
    /// A file in WAL mode with `synchronous=FULL`: durable like our journal.
    DurableFull,
}

fn run_sqlite(options: &Options, workload: &Workload, mode: SqliteMode) -> Result<Run> {
    median_of_passes(options.passes, |pass| sqlite_pass(options, workload, mode, pass))
}

/// One pass of SQLite: a new database with the accounts, untimed, then
/// every transfer, timed.
fn sqlite_pass(
    options: &Options,
    workload: &Workload,
    mode: SqliteMode,
    pass: usize,
) -> Result<Measured> {
    let directory = tempfile::tempdir()?;
    let mut connection = match mode {
        SqliteMode::Memory => rusqlite::Connection::open_in_memory()?,
        SqliteMode::DurableFull => {
            let connection = rusqlite::Connection::open(directory.path().join("ledger.sqlite"))?;
            connection.pragma_update(None, "journal_mode", "WAL")?;
            connection.pragma_update(None, "synchronous", "FULL")?;
            connection
        }
    };
    connection.execute_batch(
        "CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL);
         CREATE TABLE transfers (id INTEGER PRIMARY KEY, source INTEGER NOT NULL,
             destination INTEGER NOT NULL, amount INTEGER NOT NULL);",
    )?;
    {
        let transaction = connection.transaction()?;
        {
            let mut insert =
                transaction.prepare("INSERT INTO accounts (id, balance) VALUES (?1, ?2)")?;
            for &id in &workload.members {
                insert.execute((id as i64, OPENING_MINOR_UNITS as i64))?;
            }
        }
        transaction.commit()?;
    }

    let label = if mode == SqliteMode::Memory { "sqlite memory" } else { "sqlite full" };
    let mut progress = Progress::new(label, pass, options.passes, workload.plain.len());
    let mut batches = Vec::new();
    let mut refused = 0;
    let started = Instant::now();
    for (number, chunk) in workload.plain.chunks(options.batch).enumerate() {
        let batch_started = Instant::now();
        let transaction = connection.transaction()?;
        {
            // What a user would write: debit only if the funds are there,
            // credit, record the transfer; prepared once per batch (cached).
            let mut debit = transaction.prepare_cached(
                "UPDATE accounts SET balance = balance - ?1 WHERE id = ?2 AND balance >= ?1",
            )?;
            let mut credit = transaction
                .prepare_cached("UPDATE accounts SET balance = balance + ?1 WHERE id = ?2")?;
            let mut record = transaction.prepare_cached(
                "INSERT INTO transfers (source, destination, amount) VALUES (?1, ?2, ?3)",
            )?;
            for transfer in chunk {
                let (source, to) = (transfer.source as i64, transfer.to as i64);
                if debit.execute((transfer.amount, source))? != 1 {
                    refused += 1;
                    continue;
                }
                credit.execute((transfer.amount, to))?;
                record.execute((source, to, transfer.amount))?;
            }
        }
        transaction.commit()?;
        batches.push(batch_started.elapsed());
        progress.update((number + 1) * options.batch);
    }
    let elapsed = started.elapsed();
    progress.update(workload.plain.len());
    ensure!(refused == 0, "SQLite refused {refused} transfers");
    let (name, description) = match mode {
        SqliteMode::Memory => ("sqlite_memory", "rusqlite :memory:, one SQL transaction per batch"),
        SqliteMode::DurableFull => (
            "sqlite_wal_full",
            "rusqlite file, WAL, synchronous=FULL, one SQL transaction per batch",
        ),
    };
    Ok(Measured {
        name,
        description: description.to_owned(),
        transfers: workload.plain.len(),
        elapsed,
        batches,
        notes: Vec::new(),
    })
}

// ----- the report ----------------------------------------------------------------------

/// The process's peak resident memory (VmHWM), in bytes.
fn peak_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kilobytes: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kilobytes * 1024)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split(':').nth(1))
                .map(|model| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

struct Report<'a> {
    options: &'a Options,
    threads: usize,
    generation: Duration,
    ours: Run,
    peak_memory: Option<u64>,
    baselines: Vec<Run>,
}

impl Report<'_> {
    /// Ours, then each baseline: the pass reported of each.
    fn runs(&self) -> impl Iterator<Item = &Measured> {
        std::iter::once(&self.ours).chain(&self.baselines).map(|run| &run.median)
    }

    fn baseline(&self, name: &str) -> Option<&Measured> {
        self.baselines.iter().map(|run| &run.median).find(|baseline| baseline.name == name)
    }

    /// Ours divided by each baseline, where that baseline ran.
    fn ratios(&self) -> Vec<(&'static str, f64)> {
        let ours = self.ours.median.per_second();
        let mut ratios = Vec::new();
        let mut push = |key: &'static str, name: &str| {
            if let Some(baseline) = self.baseline(name) {
                ratios.push((key, ours / baseline.per_second()));
            }
        };
        push("vs_bare_loop", "bare_loop");
        push("vs_verify_limit", "verify_limit");
        if self.options.durable.on() {
            push("vs_fsync_limit", "fsync_limit");
            push("vs_sqlite", "sqlite_wal_full");
        } else {
            push("vs_sqlite", "sqlite_memory");
        }
        ratios
    }

    fn to_json(&self) -> Value {
        let options = self.options;
        let ratios: serde_json::Map<String, Value> =
            self.ratios().into_iter().map(|(key, ratio)| (key.to_owned(), json!(ratio))).collect();
        let baselines: serde_json::Map<String, Value> =
            self.baselines.iter().map(|run| (run.median.name.to_owned(), run.to_json())).collect();
        json!({
            "machine": { "threads": self.threads, "cpu": cpu_model() },
            "workload": {
                "accounts": options.accounts,
                "transfers": options.transfers,
                "batch": options.batch,
                "distribution": format!("{:?}", options.distribution).to_lowercase(),
                "zipf_exponent": options.zipf_exponent,
                "rules": options.rules.on(),
                "signatures": options.signatures.on(),
                "durable": options.durable.on(),
                "history": options.history.on(),
                "seed": options.seed,
                "passes": options.passes,
                "generation_seconds": self.generation.as_secs_f64(),
            },
            "ours": self.ours.to_json(),
            "peak_memory_bytes": self.peak_memory,
            "baselines": baselines,
            "ratios": ratios,
        })
    }

    fn print_table(&self) {
        let options = self.options;
        println!(
            "{} accounts, {} transfers, batches of {}, {:?} choice; rules {}, signatures {}, \
             durable {}, history {}; {} threads ({}); generated in {:.1} s; median of {} passes",
            options.accounts,
            options.transfers,
            options.batch,
            options.distribution,
            on_off(options.rules),
            on_off(options.signatures),
            on_off(options.durable),
            on_off(options.history),
            self.threads,
            cpu_model(),
            self.generation.as_secs_f64(),
            options.passes,
        );
        println!();
        println!(
            "{:<16} {:>14} {:>10} {:>10} {:>10} {:>10}",
            "run", "transfers/s", "p50 ms", "p99 ms", "p999 ms", "seconds"
        );
        for measured in self.runs() {
            println!(
                "{:<16} {:>14.0} {:>10.2} {:>10.2} {:>10.2} {:>10.2}",
                measured.name,
                measured.per_second(),
                millis(measured.percentile(0.50)),
                millis(measured.percentile(0.99)),
                millis(measured.percentile(0.999)),
                measured.elapsed.as_secs_f64(),
            );
        }
        println!();
        for measured in self.runs() {
            println!("{:<16} {}", measured.name, measured.description);
            for note in &measured.notes {
                println!("{:<16}   {note}", "");
            }
        }
        if let Some(peak) = self.peak_memory {
            println!(
                "peak memory (VmHWM after our run, workload included): {:.1} MiB",
                peak as f64 / 1048576.0
            );
        }
        println!();
        for (key, ratio) in self.ratios() {
            println!("{key:<16} {:>8.1}%  ({ratio:.3}x)", ratio * 100.0);
        }
    }
}

fn on_off(switch: Switch) -> &'static str {
    if switch.on() { "on" } else { "off" }
}
