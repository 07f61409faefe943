//! Counts heap allocations per transfer in steady state.
//!
//! The design promises no allocation per payment once a ledger is warm:
//! balances, profiles and verdicts live in preallocated vectors, events go
//! into a buffer that is cleared and reused, and a refusal is the only path
//! that builds strings. This binary checks that promise with dhat's heap
//! statistics (dhat's global allocator needs no unsafe code of ours): it
//! warms a ledger up, then applies batches of transfers with every rule on
//! (perimeter, sectors, demurrage, ceiling, payment maximum) and an event
//! subscriber, and counts the allocations made while applying them.
//!
//! Batches go through `apply_each_into` with one results buffer reused from
//! batch to batch, as a long-running program would; the ledger keeps its
//! own buffer of signature verdicts, and per account only the id of its
//! latest transaction (no set that grows with every transfer), so a warm
//! ledger allocates nothing at all. Run with `cargo bench --bench
//! allocations`; it exits with an error if a counted batch allocates.

#![allow(clippy::print_stdout, clippy::float_arithmetic)]

use anyhow::{Result, ensure};
use opencoin::prelude::*;

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

/// Members of the ledger.
const ACCOUNTS: u64 = 2_000;
/// Transfers per batch.
const BATCH: u64 = 1_024;
/// Batches applied before counting, so that buffers reach their size.
const WARM_UP_BATCHES: u64 = 20;
/// Batches counted.
const COUNTED_BATCHES: u64 = 50;

const SPEC: &str = include_str!("currencies/every-rule.toml");

/// Counts events, as a real subscriber would receive them.
#[derive(Default)]
struct EventCounter {
    events: u64,
}

impl Subscriber for EventCounter {
    fn on_event(&mut self, _event: &Event) {
        self.events += 1;
    }
}

fn main() -> Result<()> {
    let _profiler = dhat::Profiler::builder().testing().build();
    let key = SigningKey::from_bytes(&[9; 32]);
    let spec = CurrencySpec::from_toml_str(SPEC)?;
    let code = spec.code;
    let mut ledger = Ledger::new(LedgerConfig { verify_signatures: false, keep_history: false });
    ledger.subscribe(Box::new(EventCounter::default()));
    ledger.apply(&Operation::CreateCurrency { spec: Box::new(spec), at: Timestamp(0) })?;
    for id in 1..=ACCOUNTS {
        ledger.apply(&Operation::OpenAccount(OpenAccount {
            id: AccountId(id),
            currency: code,
            owner: key.verifying_key(),
            kind: AccountKind::Member,
            location: Some(Location::new(46.52, 6.63)?),
            sectors: vec![SectorCode::new("5411")?],
            at: Timestamp(0),
        }))?;
    }

    // Every batch is generated before it is counted; a day passes between
    // batches, so both sides of every transfer melt.
    let mut sequences = vec![0_u64; ACCOUNTS as usize + 1];
    let mut batch = |round: u64| -> Result<Vec<Operation>> {
        (0..BATCH)
            .map(|i| {
                let from = 1 + (round * 7 + i) % ACCOUNTS;
                let to = 1 + (from + 1 + i % 13) % ACCOUNTS;
                let sequence = sequences[from as usize];
                sequences[from as usize] += 1;
                let transaction = Transaction {
                    currency: code,
                    source: AccountId(from),
                    sequence,
                    timestamp: Timestamp(86_400 * (1 + round)),
                    action: Action::Transfer {
                        to: AccountId(to),
                        amount: Amount::from_minor_units(1_250, 2)?,
                    },
                    memo: String::new(),
                };
                Ok(Operation::Submit(transaction.sign(&key)?))
            })
            .collect()
    };

    let mut results = Vec::new();
    for round in 0..WARM_UP_BATCHES {
        let operations = batch(round)?;
        ledger.apply_each_into(&operations, &mut results);
        ensure!(results.iter().all(Result::is_ok), "warm-up refused");
    }
    let mut counted_blocks = 0;
    let mut counted_bytes = 0;
    for round in WARM_UP_BATCHES..WARM_UP_BATCHES + COUNTED_BATCHES {
        let operations = batch(round)?;
        let before = dhat::HeapStats::get();
        ledger.apply_each_into(&operations, &mut results);
        let after = dhat::HeapStats::get();
        ensure!(results.iter().all(Result::is_ok), "a counted transfer was refused");
        counted_blocks += after.total_blocks - before.total_blocks;
        counted_bytes += after.total_bytes - before.total_bytes;
    }

    let transfers = (COUNTED_BATCHES * BATCH) as f64;
    let per_transfer = counted_blocks as f64 / transfers;
    println!(
        "{COUNTED_BATCHES} batches of {BATCH} transfers (all rules, events on): {counted_blocks} \
         allocations, {counted_bytes} bytes; {:.2} allocations per batch, {per_transfer:.5} per \
         transfer",
        counted_blocks as f64 / COUNTED_BATCHES as f64,
    );
    // None at all: nothing the ledger keeps grows with the number of
    // transfers, and every buffer has reached its size in the warm-up.
    ensure!(counted_blocks == 0, "{counted_blocks} allocations in the counted batches, not 0");
    Ok(())
}
