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
//! ledger allocates nothing at all.
//!
//! The same batches then go through a durable ledger, pipelined as in the
//! throughput harness. Its journal encodes each operation into a buffer
//! reused from batch to batch (until this round it built each signed
//! transaction's wire form in a vector of its own: one allocation per
//! transfer). What is left is per batch: the channels to the journal's
//! threads take a new block of slots every few dozen messages, and the
//! list of record positions, which keeps 48 bytes per record for proofs,
//! doubles now and then.
//!
//! Run with `cargo bench --bench allocations`; it exits with an error if a
//! counted batch allocates in memory, or if a durable batch allocates more
//! than a few times.

#![allow(clippy::print_stdout, clippy::float_arithmetic)]

use anyhow::{Result, ensure};
use opencoin::ledger::{BatchTicket, DurableLedger, JournalOptions};
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
/// Allocations a durable batch may make (see the end of `main`).
const DURABLE_BLOCKS_PER_BATCH_MAX: u64 = 8;

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

/// A ledger whose allocations are counted, in memory or durable.
trait Counted {
    /// Applies one set-up operation.
    fn set_up(&mut self, operation: &Operation) -> Result<()>;
    /// Applies a batch of transfers, its results in `results`.
    fn apply_batch(
        &mut self,
        operations: &[Operation],
        results: &mut Vec<Result<Receipt, Rejection>>,
    ) -> Result<()>;
}

impl Counted for Ledger {
    fn set_up(&mut self, operation: &Operation) -> Result<()> {
        self.apply(operation)?;
        Ok(())
    }

    fn apply_batch(
        &mut self,
        operations: &[Operation],
        results: &mut Vec<Result<Receipt, Rejection>>,
    ) -> Result<()> {
        self.apply_each_into(operations, results);
        Ok(())
    }
}

/// A durable ledger that journals each batch on its own threads while the
/// next is applied, as the throughput harness runs it: one batch in flight.
struct Pipelined {
    ledger: DurableLedger,
    in_flight: Option<BatchTicket>,
}

impl Counted for Pipelined {
    fn set_up(&mut self, operation: &Operation) -> Result<()> {
        self.ledger.apply(operation)?;
        Ok(())
    }

    fn apply_batch(
        &mut self,
        operations: &[Operation],
        results: &mut Vec<Result<Receipt, Rejection>>,
    ) -> Result<()> {
        let ticket = self.ledger.submit_each_into(operations, results)?;
        if let Some(previous) = self.in_flight.replace(ticket) {
            self.ledger.wait_durable(previous)?;
        }
        Ok(())
    }
}

fn main() -> Result<()> {
    let _profiler = dhat::Profiler::builder().testing().build();

    let config = LedgerConfig { verify_signatures: false, keep_history: false };
    let mut memory = Ledger::new(config);
    memory.subscribe(Box::new(EventCounter::default()));
    let in_memory = count_allocations(&mut memory)?;

    // Snapshots are off: one is taken per hundred thousand records, not
    // per transfer, and builds its file in a buffer of its own. The ledger
    // is configured as the one in memory; with signatures verified, each
    // batch's verification allocates its own working space.
    let dir = tempfile::tempdir()?;
    let options = JournalOptions { snapshot_every: 0, ledger: config, ..JournalOptions::default() };
    let (ledger, _) = DurableLedger::open(dir.path(), options)?;
    let mut durable = Pipelined { ledger, in_flight: None };
    durable.ledger.subscribe(Box::new(EventCounter::default()));
    let journalled = count_allocations(&mut durable)?;
    durable.ledger.wait_all_durable()?;

    println!("{COUNTED_BATCHES} batches of {BATCH} transfers each (all rules, events on):");
    println!("  in memory (apply_each_into): {in_memory}");
    println!("  durable (submit_each_into, one batch in flight): {journalled}");
    // In memory, none at all: nothing the ledger keeps grows with the
    // number of transfers, and every buffer has reached its size in the
    // warm-up. The durable ledger's threads take their jobs through
    // channels, which allocate a block of slots now and then: a few per
    // batch, none per transfer.
    ensure!(in_memory.blocks == 0, "{} allocations in memory, not 0", in_memory.blocks);
    ensure!(
        journalled.blocks <= DURABLE_BLOCKS_PER_BATCH_MAX * COUNTED_BATCHES,
        "{} allocations by the durable ledger, more than {DURABLE_BLOCKS_PER_BATCH_MAX} a batch",
        journalled.blocks
    );
    Ok(())
}

/// What the counted batches allocated.
#[derive(Debug, Clone, Copy)]
struct Allocations {
    blocks: u64,
    bytes: u64,
}

impl std::fmt::Display for Allocations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let transfers = (COUNTED_BATCHES * BATCH) as f64;
        write!(
            f,
            "{} allocations, {} bytes; {:.2} allocations per batch, {:.5} per transfer",
            self.blocks,
            self.bytes,
            self.blocks as f64 / COUNTED_BATCHES as f64,
            self.blocks as f64 / transfers,
        )
    }
}

/// Opens the accounts, warms the ledger up and counts the allocations of
/// the batches after the warm-up.
fn count_allocations(ledger: &mut impl Counted) -> Result<Allocations> {
    let key = SigningKey::from_bytes(&[9; 32]);
    let spec = CurrencySpec::from_toml_str(SPEC)?;
    let code = spec.code;
    ledger.set_up(&Operation::CreateCurrency { spec: Box::new(spec), at: Timestamp(0) })?;
    for id in 1..=ACCOUNTS {
        ledger.set_up(&Operation::OpenAccount(OpenAccount {
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
        ledger.apply_batch(&operations, &mut results)?;
        ensure!(results.iter().all(Result::is_ok), "warm-up refused");
    }
    let mut counted = Allocations { blocks: 0, bytes: 0 };
    for round in WARM_UP_BATCHES..WARM_UP_BATCHES + COUNTED_BATCHES {
        let operations = batch(round)?;
        let before = dhat::HeapStats::get();
        ledger.apply_batch(&operations, &mut results)?;
        let after = dhat::HeapStats::get();
        ensure!(results.iter().all(Result::is_ok), "a counted transfer was refused");
        counted.blocks += after.total_blocks - before.total_blocks;
        counted.bytes += after.total_bytes - before.total_bytes;
    }
    Ok(counted)
}
