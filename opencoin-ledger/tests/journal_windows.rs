//! A large batch journalled while it is applied. Scenario: durable
//! `apply_each` calls of thousands of signed transfers, which the journal
//! frames on a second thread window by window (a few hundred operations a
//! window) while the ledger applies the next window, with operations that
//! must get no record placed at chosen positions: a wrong sequence number,
//! an unknown payer, and a repeat of the transfer just applied (answered
//! `AlreadyApplied`); alone, at both ends of a batch, around window
//! boundaries, and in runs longer than a window, so that whole windows have
//! no record. Small batches (framed on the calling thread) come between
//! the large ones. The same batches are also submitted pipelined
//! (`submit_each_into`, each batch waited for only after the next one is
//! submitted), a ledger is dropped with a batch in flight, and snapshots
//! fall due while batches are in flight. Guarded: the
//! journal holds exactly the applied operations, in the order they were
//! applied, numbered and chained without a gap across the calls (read with
//! the documented layout and blake3, not with the library's reader); the
//! durable ledger answers every operation as an in-memory ledger fed the
//! same batches does, publishes the same events, and has its state hash,
//! live and after reopening; a pipelined batch's events and records are
//! counted only once it was waited for; a batch in flight when the ledger
//! is dropped is on disk when it is reopened; a snapshot taken with
//! batches in flight holds the state after exactly the records it names
//! (checked against an in-memory ledger fed them) and is the one reopening
//! uses; snapshots are never closer than the number of accounts, whatever
//! interval is asked for.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod journal_common;

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::sync::OnceLock;

use journal_common::{TempDir, code, key, record_end, record_offsets};
use opencoin_core::{AccountId, AccountKind, Action, Amount, CurrencySpec, Timestamp, Transaction};
use opencoin_ledger::journal::{
    DurableLedger, JOURNAL_FILE, JournalOptions, SyncPolicy, decode_operation,
};
use opencoin_ledger::{EventLog, Ledger, LedgerConfig, OpenAccount, Operation, Receipt};
use proptest::prelude::*;

const START: u64 = 1_800_000_000;
const ISSUER: u64 = 1;
const FIRST_MEMBER: u64 = 10;
const MEMBERS: u64 = 40;
/// A payer that has no account.
const UNKNOWN_PAYER: u64 = 99;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn member(index: u64) -> u64 {
    FIRST_MEMBER + index % MEMBERS
}

fn sign(source: u64, sequence: u64, at: u64, action: Action) -> Operation {
    let transaction = Transaction {
        currency: code("PIP"),
        source: AccountId(source),
        sequence,
        timestamp: Timestamp(at),
        action,
        memo: String::new(),
    };
    Operation::Submit(transaction.sign(&key(source as u8)).unwrap())
}

fn cents(minor_units: i128) -> Amount {
    Amount::from_minor_units(minor_units, 2).unwrap()
}

/// A currency without rules, its issuer, forty members, and 1,000.00
/// issued to each member.
fn founding() -> Vec<Operation> {
    let issuer = key(ISSUER as u8).verifying_key();
    let text = format!(
        "code = \"PIP\"\nname = \"pipeline\"\ndecimals = 2\n\n\
         [supply]\npolicy = \"issued\"\nissuers = [\"{}\"]\n",
        hex(issuer.as_bytes())
    );
    let at = Timestamp(START);
    let spec = CurrencySpec::from_toml_str(&text).unwrap();
    let mut operations = vec![Operation::CreateCurrency { spec: Box::new(spec), at }];
    let members = (0..MEMBERS).map(|index| (member(index), AccountKind::Member));
    for (id, kind) in std::iter::once((ISSUER, AccountKind::Issuer)).chain(members) {
        operations.push(Operation::OpenAccount(OpenAccount {
            id: AccountId(id),
            currency: code("PIP"),
            owner: key(id as u8).verifying_key(),
            kind,
            location: None,
            sectors: vec![],
            at,
        }));
    }
    for index in 0..MEMBERS {
        let action = Action::Issue { to: AccountId(member(index)), amount: cents(100_000) };
        operations.push(sign(ISSUER, index, START, action));
    }
    operations
}

/// Transfer number `k` of the scenario, which applies whatever is refused
/// around it: member `k % 40` pays another member 0.01 to 0.50, with the
/// sequence number `k / 40` (its earlier transfers), one second after
/// transfer `k - 1`. No member pays out more than a fortieth of the
/// transfers, so 1,000.00 each covers ten thousand of them.
fn transfer(k: u64) -> Operation {
    let payee = member(k + 1 + (k / MEMBERS) % (MEMBERS - 1));
    let amount = cents(1 + i128::from(k * 7_919 % 50));
    sign(member(k), k / MEMBERS, START + 1 + k, Action::Transfer { to: AccountId(payee), amount })
}

/// The kinds of operation that get no record.
#[derive(Debug, Clone, Copy)]
enum Unrecorded {
    /// A member's transfer with a sequence number far ahead: refused.
    WrongSequence,
    /// A transfer from an account that was never opened: refused.
    UnknownPayer,
    /// The transfer applied just before, again: `AlreadyApplied`, changing
    /// nothing (an unknown payer's transfer if none was applied yet).
    Repeat,
}

impl Unrecorded {
    fn from_code(code: u8) -> Unrecorded {
        match code % 3 {
            0 => Unrecorded::WrongSequence,
            1 => Unrecorded::UnknownPayer,
            _ => Unrecorded::Repeat,
        }
    }

    fn operation(self, variant: u64, last_applied: Option<&Operation>) -> Operation {
        let to = AccountId(member(variant + 1));
        match (self, last_applied) {
            (Unrecorded::WrongSequence, _) => {
                let action = Action::Transfer { to, amount: cents(1) };
                sign(member(variant), 1_000_000 + variant, START, action)
            }
            (Unrecorded::Repeat, Some(last)) => last.clone(),
            (Unrecorded::UnknownPayer | Unrecorded::Repeat, _) => {
                sign(UNKNOWN_PAYER, 0, START, Action::Transfer { to, amount: cents(1) })
            }
        }
    }
}

/// A batch: operations, and whether each must be applied (and recorded).
struct Batch {
    operations: Vec<Operation>,
    recorded: Vec<bool>,
}

/// Lays out a batch of `len` operations: the unrecorded ones at the
/// positions given, the next transfers from `transfers` everywhere else.
/// `last_applied` follows the transfers taken, for repeats.
fn lay_out(
    len: usize,
    unrecorded: &BTreeMap<usize, Unrecorded>,
    transfers: &mut impl Iterator<Item = Operation>,
    last_applied: &mut Option<Operation>,
) -> Batch {
    let mut batch = Batch { operations: Vec::with_capacity(len), recorded: Vec::new() };
    for position in 0..len {
        let operation = match unrecorded.get(&position) {
            Some(kind) => kind.operation(position as u64, last_applied.as_ref()),
            None => {
                let operation = transfers.next().unwrap();
                *last_applied = Some(operation.clone());
                operation
            }
        };
        batch.recorded.push(!unrecorded.contains_key(&position));
        batch.operations.push(operation);
    }
    batch
}

/// How the durable ledger is given the batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Calls {
    /// `apply_each_into`, which returns once the batch is durable.
    Waiting,
    /// `submit_each_into`, and each batch waited for only after the next
    /// one is submitted, as a server pipelining them would.
    Pipelined,
}

/// Applies the founding operations and then the batches, each in one call,
/// to a durable ledger and to an in-memory one, and checks everything the
/// file opening says is guarded. Returns how many operations were answered
/// `AlreadyApplied`.
fn run_and_check(batches: &[Batch], options: JournalOptions, calls: Calls) -> usize {
    let dir = TempDir::new("journal-windows");
    let (mut durable, _) = DurableLedger::open(dir.path(), options.clone()).unwrap();
    let mut memory = Ledger::new(options.ledger);
    let durable_log = durable.subscribe(Box::new(EventLog::default()));
    let memory_log = memory.subscribe(Box::new(EventLog::default()));

    let mut expected = founding();
    let founded = durable.apply_each(&expected).unwrap();
    assert_eq!(founded, memory.apply_each(&expected));
    assert!(founded.iter().all(|result| matches!(result, Ok(Receipt::Applied { .. }))));

    let mut already_applied = 0;
    let mut results = Vec::new();
    let mut in_flight = None;
    for (number, batch) in batches.iter().enumerate() {
        let durable_before = durable.record_count();
        match calls {
            Calls::Waiting => durable.apply_each_into(&batch.operations, &mut results).unwrap(),
            Calls::Pipelined => {
                let ticket = durable.submit_each_into(&batch.operations, &mut results).unwrap();
                // Submitting waits for no batch, not even when a snapshot
                // is due, and nobody hears of the batch before it is
                // durable.
                let records_now = durable.record_count();
                assert!(records_now == durable_before || records_now == expected.len() as u64);
                assert!(heard(durable.ledger(), durable_log) <= heard(&memory, memory_log));
                if let Some(previous) = in_flight.replace(ticket) {
                    durable.wait_durable(previous).unwrap();
                }
                // Every batch before this one is durable now, and heard of:
                // what the in-memory ledger published before this batch.
                assert_eq!(heard(durable.ledger(), durable_log), heard(&memory, memory_log));
            }
        }
        assert_eq!(results, memory.apply_each(&batch.operations), "batch {number}");
        for (position, (result, &recorded)) in results.iter().zip(&batch.recorded).enumerate() {
            let applied = matches!(result, Ok(Receipt::Applied { warning: None }));
            assert_eq!(applied, recorded, "batch {number}, operation {position}: {result:?}");
            already_applied += usize::from(matches!(result, Ok(Receipt::AlreadyApplied(_))));
        }
        let applied = batch.operations.iter().zip(&batch.recorded).filter(|(_, kept)| **kept);
        let expected_before = expected.len() as u64;
        expected.extend(applied.map(|(operation, _)| operation.clone()));
        match calls {
            Calls::Waiting => {
                assert_eq!(durable.record_count(), expected.len() as u64, "after batch {number}");
            }
            // With this batch in flight, the records of every batch before
            // it are counted, and perhaps not yet this one's.
            Calls::Pipelined => {
                let count = durable.record_count();
                assert!(count == expected_before || count == expected.len() as u64, "{number}");
            }
        }
    }
    if let Some(last) = in_flight {
        durable.wait_durable(last).unwrap();
    }
    assert_eq!(durable.record_count(), expected.len() as u64, "after the last batch");

    let live = durable.ledger().state_hash();
    assert_eq!(live, memory.state_hash());
    let events = |ledger: &Ledger, id| ledger.subscriber::<EventLog>(id).unwrap().events.clone();
    assert_eq!(events(durable.ledger(), durable_log), events(&memory, memory_log));
    assert_journal_holds(dir.path(), &expected);
    drop(durable);

    let (reopened, report) = DurableLedger::open(dir.path(), options).unwrap();
    assert_eq!(report.records, expected.len() as u64);
    // Every snapshot written, pipelined or not, stands on the chain.
    assert!(report.snapshots_ignored.is_empty(), "{report:?}");
    assert_eq!(reopened.ledger().state_hash(), live);
    assert!(reopened.verify().is_ok());
    already_applied
}

/// How many events the subscriber `id` (an [`EventLog`]) has heard.
fn heard(ledger: &Ledger, id: opencoin_ledger::SubscriberId) -> usize {
    ledger.subscriber::<EventLog>(id).unwrap().events.len()
}

/// Reads the journal file with the layout the module docs give (16-byte
/// header; records of an 8-byte frame header, a body of number, time,
/// outcome and operation, and a 32-byte chain hash) and checks that it
/// holds exactly `expected`, in order, each record numbered by its
/// position and chained by blake3 in key-derivation mode to the one before.
fn assert_journal_holds(dir: &Path, expected: &[Operation]) {
    let bytes = std::fs::read(dir.join(JOURNAL_FILE)).unwrap();
    let offsets = record_offsets(&bytes);
    assert_eq!(offsets.len(), expected.len(), "records in the file");

    let mut previous = [0_u8; 32];
    for (number, (&offset, operation)) in offsets.iter().zip(expected).enumerate() {
        let record = &bytes[offset..record_end(&bytes, offset)];
        let (framed, stored) = record.split_at(record.len() - 32);
        let body = &framed[8..];
        assert_eq!(u64::from_be_bytes(body[..8].try_into().unwrap()), number as u64);
        let at = u64::from_be_bytes(body[8..16].try_into().unwrap());
        assert_eq!(at, operation.at().seconds(), "record {number}");
        assert_eq!(body[16], 1, "record {number}: outcome \"applied\"");
        assert_eq!(&decode_operation(&body[17..]).unwrap(), operation, "record {number}");

        let mut hasher = blake3::Hasher::new_derive_key("opencoin 2026-12 journal record v1");
        hasher.update(&previous);
        hasher.update(framed);
        assert_eq!(hasher.finalize().as_bytes(), stored, "record {number}: chain hash");
        previous = stored.try_into().unwrap();
    }
    let end = offsets.last().map_or(16, |&offset| record_end(&bytes, offset));
    assert_eq!(end, bytes.len(), "bytes after the last record");
}

#[test]
fn unrecorded_operations_at_window_edges_and_in_whole_windows_leave_no_gap() {
    use Unrecorded::{Repeat, UnknownPayer, WrongSequence};

    // Windows are a few hundred operations (512 when this was written), so
    // the positions below sit at both ends of the batch, around the edges
    // of windows of 256, 512 and 1,024, and the run 1,500..2,700 covers
    // whole windows of any of those sizes.
    let mut first = BTreeMap::new();
    for (position, kind) in [
        (0, UnknownPayer),
        (1, WrongSequence),
        (255, Repeat),
        (256, Repeat),
        (511, WrongSequence),
        (512, Repeat),
        (513, UnknownPayer),
        (1_023, Repeat),
        (1_024, WrongSequence),
        (3_001, Repeat),
        (4_095, UnknownPayer),
        (5_599, WrongSequence),
    ] {
        first.insert(position, kind);
    }
    for position in 1_500..2_700 {
        first.insert(position, Unrecorded::from_code(position as u8));
    }
    let small: BTreeMap<_, _> = [(0, Repeat), (40, WrongSequence), (99, UnknownPayer)].into();
    let last: BTreeMap<_, _> = [(0, Repeat), (700, Repeat), (1_499, WrongSequence)].into();

    let mut transfers = (0..).map(transfer);
    let mut last_applied = None;
    let batches = [
        lay_out(5_600, &first, &mut transfers, &mut last_applied),
        lay_out(100, &small, &mut transfers, &mut last_applied),
        lay_out(1_500, &last, &mut transfers, &mut last_applied),
    ];
    let options = JournalOptions { sync: SyncPolicy::EveryBatch, ..journal_common::options(0) };

    // Every repeat is of the payer's latest transaction, so each is
    // answered AlreadyApplied: five in the first batch outside the run,
    // those of the run, one in the small batch and two in the last.
    let in_run = (1_500..2_700).filter(|&p| matches!(Unrecorded::from_code(p as u8), Repeat));
    let repeats = 5 + in_run.count() + 1 + 2;
    for calls in [Calls::Waiting, Calls::Pipelined] {
        assert_eq!(run_and_check(&batches, options.clone(), calls), repeats, "{calls:?}");
    }
}

#[test]
fn a_batch_in_flight_when_the_ledger_is_dropped_is_on_disk() {
    let dir = TempDir::new("journal-dropped-in-flight");
    let options = JournalOptions { sync: SyncPolicy::EveryBatch, ..journal_common::options(0) };
    let (mut durable, _) = DurableLedger::open(dir.path(), options.clone()).unwrap();
    let mut expected = founding();
    durable.apply_each(&expected).unwrap();
    let founded = durable.record_count();
    let log = durable.subscribe(Box::new(EventLog::default()));

    let batch: Vec<Operation> = (0..2_000).map(transfer).collect();
    let mut results = Vec::new();
    let _in_flight = durable.submit_each_into(&batch, &mut results).unwrap();
    assert!(results.iter().all(|result| matches!(result, Ok(Receipt::Applied { warning: None }))));
    // Not waited for: even if the batch is durable already, it is counted
    // and heard of only once its answer is received.
    assert_eq!(durable.record_count(), founded);
    assert_eq!(heard(durable.ledger(), log), 0);
    let live = durable.ledger().state_hash();
    drop(durable);

    // Dropping the ledger finished the batch's write and sync.
    expected.extend(batch);
    assert_journal_holds(dir.path(), &expected);
    let (reopened, report) = DurableLedger::open(dir.path(), options).unwrap();
    assert_eq!(report.records, expected.len() as u64);
    assert_eq!(reopened.ledger().state_hash(), live);
}

/// Signed once for all cases: the transfers, and one unrecorded operation
/// of each kind per variant, which cases place where they choose.
fn pool() -> &'static (Vec<Operation>, Vec<Operation>) {
    static POOL: OnceLock<(Vec<Operation>, Vec<Operation>)> = OnceLock::new();
    POOL.get_or_init(|| {
        let transfers = (0..POOL_TRANSFERS).map(transfer).collect();
        let kinds = [Unrecorded::WrongSequence, Unrecorded::UnknownPayer];
        let unrecorded = (0..MEMBERS)
            .flat_map(|variant| kinds.map(|kind| kind.operation(variant, None)))
            .collect();
        (transfers, unrecorded)
    })
}

const POOL_TRANSFERS: u64 = 3_000;

proptest! {
    #[test]
    fn any_placement_of_unrecorded_operations_journals_exactly_the_applied(
        cut in 0..=POOL_TRANSFERS as usize,
        singles in prop::collection::vec((0..=POOL_TRANSFERS as usize, any::<u8>()), 0..40),
        runs in prop::collection::vec((0..=POOL_TRANSFERS as usize, 0_usize..1_200), 0..3),
        snapshot_every in prop_oneof![Just(0_u64), Just(700), Just(2_500)],
    ) {
        // Unrecorded operations go before the transfer with the given
        // number; the transfers are split into two calls at `cut`.
        let (transfers, unrecorded) = pool();
        let mut before: BTreeMap<usize, Vec<u8>> = BTreeMap::new();
        for &(slot, kind) in &singles {
            before.entry(slot).or_default().push(kind);
        }
        for &(slot, len) in &runs {
            before.entry(slot).or_default().extend((0..len).map(|i| i as u8));
        }

        let mut batches = vec![
            Batch { operations: Vec::new(), recorded: Vec::new() },
            Batch { operations: Vec::new(), recorded: Vec::new() },
        ];
        let mut last_applied: Option<&Operation> = None;
        for slot in 0..=transfers.len() {
            let batch = &mut batches[usize::from(slot >= cut)];
            for (variant, &kind) in before.get(&slot).into_iter().flatten().enumerate() {
                let operation = match (Unrecorded::from_code(kind), last_applied) {
                    (Unrecorded::Repeat, Some(last)) => last.clone(),
                    (Unrecorded::WrongSequence, _) => unrecorded[2 * (variant % 40)].clone(),
                    _ => unrecorded[2 * (variant % 40) + 1].clone(),
                };
                batch.operations.push(operation);
                batch.recorded.push(false);
            }
            if let Some(operation) = transfers.get(slot) {
                batch.operations.push(operation.clone());
                batch.recorded.push(true);
                last_applied = Some(operation);
            }
        }

        let ledger = LedgerConfig { verify_signatures: false, ..LedgerConfig::default() };
        let options = JournalOptions { ledger, ..journal_common::options(snapshot_every) };
        let calls = if cut % 2 == 0 { Calls::Waiting } else { Calls::Pipelined };
        run_and_check(&batches, options, calls);
    }
}

/// A durable ledger in a new directory that does not verify signatures (the
/// transfers here are signed correctly, and verifying them is not what is
/// tested), asking for a snapshot every `snapshot_every` records, with the
/// founding operations applied.
fn founded_without_verifying(
    name: &str,
    snapshot_every: u64,
) -> (TempDir, DurableLedger, JournalOptions) {
    let dir = TempDir::new(name);
    let ledger = LedgerConfig { verify_signatures: false, ..LedgerConfig::default() };
    let options = JournalOptions { ledger, ..journal_common::options(snapshot_every) };
    let (mut durable, _) = DurableLedger::open(dir.path(), options.clone()).unwrap();
    let founded = durable.apply_each(&founding()).unwrap();
    assert!(founded.iter().all(|result| matches!(result, Ok(Receipt::Applied { .. }))));
    (dir, durable, options)
}

#[test]
fn a_snapshot_taken_with_batches_in_flight_holds_the_state_after_exactly_its_records() {
    // A snapshot every 250 records, batches of 130 to 410 transfers, and
    // up to three batches in flight: each snapshot is taken right after a
    // batch is submitted, while that batch and the one or two before it
    // are not durable yet.
    let (dir, mut durable, options) = founded_without_verifying("journal-snapshot-in-flight", 250);
    let mut expected = founding();

    let mut transfers = (0..).map(transfer);
    let mut in_flight = VecDeque::new();
    let mut results = Vec::new();
    for size in [410, 130, 260, 390, 170, 300, 250, 410, 140, 330] {
        let batch: Vec<Operation> = transfers.by_ref().take(size).collect();
        in_flight.push_back(durable.submit_each_into(&batch, &mut results).unwrap());
        assert!(results.iter().all(|result| matches!(result, Ok(Receipt::Applied { .. }))));
        expected.extend(batch);
        if in_flight.len() == 3 {
            durable.wait_durable(in_flight.pop_front().unwrap()).unwrap();
        }
    }
    durable.wait_all_durable().unwrap();
    assert_eq!(durable.record_count(), expected.len() as u64);
    assert!(durable.last_snapshot_error().is_none());
    let live = durable.ledger().state_hash();
    drop(durable);

    // Read with the documented layout: magic (8), version and padding (8),
    // record count (8), chain hash (32), state hash (32). Each state hash
    // must be that of an in-memory ledger fed exactly the records the
    // snapshot names, and the chain hash that of its last record in the
    // file.
    let journal = std::fs::read(dir.path().join(JOURNAL_FILE)).unwrap();
    let offsets = record_offsets(&journal);
    let mut snapshots: Vec<_> = std::fs::read_dir(dir.path().join("snapshots"))
        .unwrap()
        .map(|entry| std::fs::read(entry.unwrap().path()).unwrap())
        .collect();
    let count_of = |bytes: &Vec<u8>| u64::from_be_bytes(bytes[16..24].try_into().unwrap());
    snapshots.sort_by_key(count_of);

    // By hand: 82 founding records, then the batches end at 492, 622, 882,
    // 1,272, 1,442, 1,742, 1,992, 2,402, 2,542 and 2,872 records. A
    // snapshot is due 250 records after the last one taken, but none is
    // taken while one waits for its batch, and the batch submitted k-th is
    // waited for once the (k + 2)-th is submitted. So: 492 after the first
    // batch (written once the third is submitted); 1,272 after the fourth
    // (written at the sixth); 1,992 after the seventh (written at the
    // ninth); 2,872 after the tenth (written at the final wait).
    let counts: Vec<u64> = snapshots.iter().map(count_of).collect();
    assert_eq!(counts, [492, 1_272, 1_992, 2_872]);
    for bytes in &snapshots {
        let count = count_of(bytes) as usize;
        let last = offsets[count - 1];
        let end = record_end(&journal, last);
        assert_eq!(&bytes[24..56], &journal[end - 32..end], "chain hash at {count}");
        let mut memory = Ledger::new(options.ledger);
        let answers = memory.apply_each(&expected[..count]);
        assert!(answers.iter().all(|answer| matches!(answer, Ok(Receipt::Applied { .. }))));
        assert_eq!(&bytes[56..88], &memory.state_hash(), "state hash at {count}");
    }

    // Reopening uses the newest of them and ignores none.
    let (reopened, report) = DurableLedger::open(dir.path(), options).unwrap();
    assert_eq!(report.snapshot_used, Some(2_872));
    assert!(report.snapshots_ignored.is_empty(), "{report:?}");
    assert_eq!(reopened.ledger().state_hash(), live);
}

#[test]
fn snapshots_are_never_closer_than_the_number_of_accounts() {
    // A snapshot asked for every 10 records, with 41 accounts (the issuer
    // and 40 members): the interval is 41 records. By hand: the founding
    // call journals 82 records (the currency, 41 accounts, 40 issues) and
    // is snapshotted at its end; then batches of 10 transfers end at 92,
    // 102, ..., and the first end at least 41 past the last snapshot is
    // taken: 132 (>= 123), 182 (>= 173), 232 (>= 223), 282 (>= 273).
    assert_eq!(founding().len(), 82);
    let (dir, mut durable, _) = founded_without_verifying("journal-snapshot-interval", 10);
    let transfers: Vec<Operation> = (0..200).map(transfer).collect();
    for batch in transfers.chunks(10) {
        let results = durable.apply_each(batch).unwrap();
        assert!(results.iter().all(|result| matches!(result, Ok(Receipt::Applied { .. }))));
    }
    assert!(durable.last_snapshot_error().is_none());
    drop(durable);

    let mut counts: Vec<u64> = std::fs::read_dir(dir.path().join("snapshots"))
        .unwrap()
        .filter_map(|entry| {
            let name = entry.unwrap().file_name().into_string().unwrap();
            name.strip_prefix("snapshot-")?.strip_suffix(".ocs")?.parse().ok()
        })
        .collect();
    counts.sort_unstable();
    assert_eq!(counts, [82, 132, 182, 232, 282]);
}
