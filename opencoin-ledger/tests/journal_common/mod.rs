//! Shared fixtures of the journal tests: temporary directories, and seeded
//! streams of operations over three currencies (issued with demurrage into a
//! fund, mutual credit with a soft limit, basic income), in which some
//! operations are refused on purpose.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Coordinates are test data, not money.
#![allow(clippy::float_arithmetic)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use opencoin_core::ed25519_dalek::SigningKey;
use opencoin_core::{
    AccountId, AccountKind, Action, Amount, CurrencyCode, CurrencySpec, Location, SectorCode,
    Timestamp, Transaction,
};
use opencoin_ledger::journal::{DurableLedger, JournalOptions, SyncPolicy};
use opencoin_ledger::{Ledger, LedgerConfig, OpenAccount, Operation, Receipt, UpdateAccount};

/// A directory under the system's temporary directory, unique to this
/// process and call, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("opencoin-{name}-{}-{unique}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Options for tests: no sync (the tests simulate crashes by cutting
/// files), a snapshot every `snapshot_every` records.
pub fn options(snapshot_every: u64) -> JournalOptions {
    JournalOptions { sync: SyncPolicy::None, snapshot_every, ..JournalOptions::default() }
}

pub fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn hex(key: &SigningKey) -> String {
    key.verifying_key().as_bytes().iter().map(|byte| format!("{byte:02x}")).collect()
}

pub const START: u64 = 1_800_000_000;
pub const FUND: u64 = 1;
pub const ISSUER: u64 = 2;
/// Accounts 10.. hold VLG, 100.. hold HRS, 200.. hold BI.
pub const VLG_MEMBERS: u64 = 10;
pub const HRS_MEMBERS: u64 = 100;
pub const BI_MEMBERS: u64 = 200;
pub const MEMBERS_PER_CURRENCY: u64 = 6;

pub fn code(text: &str) -> CurrencyCode {
    CurrencyCode::new(text).unwrap()
}

/// The three currency files.
pub fn specs() -> Vec<CurrencySpec> {
    let village = format!(
        "code = \"VLG\"\nname = \"village\"\ndecimals = 2\n\n\
         [supply]\npolicy = \"issued\"\nissuers = [\"{issuer}\"]\ncap = \"100000.00\"\n\n\
         [[accounts]]\nid = {FUND}\nname = \"fund\"\nkind = \"fund\"\nowner = \"{fund}\"\n\
         opening_balance = \"0.00\"\n\n\
         [[accounts]]\nid = {ISSUER}\nname = \"issuer\"\nkind = \"issuer\"\nowner = \"{issuer}\"\n\
         opening_balance = \"500.00\"\n\n\
         [[rules]]\nkind = \"demurrage\"\nrate = \"5%\"\nperiod = \"30d\"\nstep = \"day\"\n\
         destination = {{ account = {FUND} }}\nexempt = {{ kinds = [\"fund\", \"issuer\"] }}\n\n\
         [[rules]]\nkind = \"payment_max\"\nmax = \"400.00\"\n",
        issuer = hex(&key(2)),
        fund = hex(&key(1)),
    );
    let hours = "{\"code\": \"HRS\", \"name\": \"hours\", \"decimals\": 1, \"supply\": \
                 {\"policy\": \"mutual_credit\", \"credit_limit\": \"20.0\", \
                 \"enforcement\": \"soft\"}}";
    let income = "code = \"BI\"\nname = \"income\"\ndecimals = 2\n\n\
                  [supply]\npolicy = \"basic_income\"\namount = \"10.00\"\nperiod = \"7d\"\n";
    vec![
        CurrencySpec::from_toml_str(&village).unwrap(),
        CurrencySpec::from_json_str(hours).unwrap(),
        CurrencySpec::from_toml_str(income).unwrap(),
    ]
}

/// A small deterministic generator (splitmix64), so that the fixtures need
/// no random crate.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Builds operations and keeps the sequence numbers that signing needs.
pub struct World {
    pub now: u64,
    sequences: std::collections::HashMap<u64, u64>,
}

impl Default for World {
    fn default() -> World {
        World::new()
    }
}

impl World {
    pub fn new() -> World {
        World { now: START, sequences: Default::default() }
    }

    /// The founding operations: three currencies and their members.
    pub fn founding(&mut self) -> Vec<Operation> {
        let at = Timestamp(self.now);
        let mut operations: Vec<Operation> = specs()
            .into_iter()
            .map(|spec| Operation::CreateCurrency { spec: Box::new(spec), at })
            .collect();
        for (first, currency) in [(VLG_MEMBERS, "VLG"), (HRS_MEMBERS, "HRS"), (BI_MEMBERS, "BI")] {
            for id in first..first + MEMBERS_PER_CURRENCY {
                let location =
                    (id % 2 == 0).then(|| Location::new(44.0 + id as f64 / 1e3, 6.5).unwrap());
                let sectors =
                    if id % 3 == 0 { vec![SectorCode::new("5411").unwrap()] } else { vec![] };
                operations.push(Operation::OpenAccount(OpenAccount {
                    id: AccountId(id),
                    currency: code(currency),
                    owner: key(id as u8).verifying_key(),
                    kind: if id % 3 == 0 { AccountKind::Merchant } else { AccountKind::Member },
                    location,
                    sectors,
                    at,
                }));
            }
        }
        operations
    }

    fn sign(&mut self, currency: &str, source: u64, action: Action, honest: bool) -> Operation {
        let sequence = self.sequences.entry(source).or_insert(0);
        let transaction = Transaction {
            currency: code(currency),
            source: AccountId(source),
            sequence: if honest { *sequence } else { *sequence + 7 },
            timestamp: Timestamp(self.now),
            action,
            memo: if source.is_multiple_of(2) { "bread".into() } else { String::new() },
        };
        let signed = transaction.sign(&key(source as u8)).unwrap();
        Operation::Submit(signed)
    }

    /// Call after applying a submitted operation, so that the next one from
    /// the same source carries the right sequence number.
    pub fn applied(
        &mut self,
        operation: &Operation,
        result: &Result<Receipt, opencoin_ledger::Rejection>,
    ) {
        if let (Operation::Submit(signed), Ok(Receipt::Applied { .. })) = (operation, result) {
            let transaction = signed.transaction();
            self.sequences.insert(transaction.source.0, transaction.sequence + 1);
        }
    }

    /// One random operation; some are refused by the ledger on purpose
    /// (wrong sequence, too large, unknown account).
    pub fn random(&mut self, rng: &mut Rng) -> Operation {
        self.now += rng.below(3 * 3_600);
        let member = |rng: &mut Rng, first: u64| first + rng.below(MEMBERS_PER_CURRENCY);
        match rng.below(20) {
            0..=3 => {
                let to = member(rng, VLG_MEMBERS);
                let amount = Amount::from_minor_units(1 + rng.below(20_000) as i128, 2).unwrap();
                self.sign("VLG", ISSUER, Action::Issue { to: AccountId(to), amount }, true)
            }
            4..=9 => {
                let (from, to) = (member(rng, VLG_MEMBERS), member(rng, VLG_MEMBERS));
                let amount = Amount::from_minor_units(1 + rng.below(50_000) as i128, 2).unwrap();
                let honest = rng.below(10) != 0;
                self.sign("VLG", from, Action::Transfer { to: AccountId(to), amount }, honest)
            }
            10..=13 => {
                let (from, to) = (member(rng, HRS_MEMBERS), member(rng, HRS_MEMBERS));
                let amount = Amount::from_minor_units(1 + rng.below(150) as i128, 1).unwrap();
                self.sign("HRS", from, Action::Transfer { to: AccountId(to), amount }, true)
            }
            14 => {
                let from = member(rng, VLG_MEMBERS);
                let amount = Amount::from_minor_units(1 + rng.below(3_000) as i128, 2).unwrap();
                self.sign("VLG", from, Action::Redeem { amount }, true)
            }
            15 => {
                let (from, to) = (member(rng, BI_MEMBERS), member(rng, BI_MEMBERS));
                let amount = Amount::from_minor_units(1 + rng.below(2_000) as i128, 2).unwrap();
                self.sign("BI", from, Action::Transfer { to: AccountId(to), amount }, true)
            }
            16 | 17 => {
                self.now += 2 * 86_400;
                Operation::DistributeIncome { currency: code("BI"), at: Timestamp(self.now) }
            }
            18 => {
                let id = member(rng, VLG_MEMBERS);
                let sectors =
                    if rng.below(2) == 0 { vec![] } else { vec![SectorCode::new("5462").unwrap()] };
                let location =
                    Some(Location::new(44.5, 6.0 + rng.below(100) as f64 / 100.0).unwrap());
                Operation::UpdateAccount(UpdateAccount {
                    id: AccountId(id),
                    location,
                    sectors,
                    at: Timestamp(self.now),
                })
            }
            _ => {
                // An unknown account: always refused.
                let amount = Amount::from_minor_units(100, 2).unwrap();
                self.sign("VLG", 9_999, Action::Redeem { amount }, true)
            }
        }
    }
}

/// Applies the founding operations and then `count` random ones, in
/// batches of one to `batch_max` with `apply_each`. Returns the operations
/// that were applied (and so journalled), in order, and the record count
/// after each batch (what was acknowledged when each call returned).
pub fn fill(
    durable: &mut DurableLedger,
    seed: u64,
    count: usize,
    batch_max: u64,
) -> (Vec<Operation>, Vec<u64>) {
    let mut world = World::new();
    let mut rng = Rng(seed);
    let mut applied = Vec::new();
    let mut acknowledged = Vec::new();

    let founding = world.founding();
    durable.apply_atomic(&founding).unwrap();
    applied.extend(founding);
    acknowledged.push(durable.record_count());

    let mut made = 0;
    while made < count {
        let size = (1 + rng.below(batch_max)) as usize;
        let batch: Vec<Operation> =
            (0..size.min(count - made)).map(|_| world.random(&mut rng)).collect();
        made += batch.len();
        let results = durable.apply_each(&batch).unwrap();
        for (operation, result) in batch.iter().zip(&results) {
            world.applied(operation, result);
            if matches!(result, Ok(Receipt::Applied { .. })) {
                applied.push(operation.clone());
            }
        }
        acknowledged.push(durable.record_count());
    }
    (applied, acknowledged)
}

/// A fresh in-memory ledger fed the given operations, each of which must
/// apply.
pub fn fresh(operations: &[Operation]) -> Ledger {
    let mut ledger = Ledger::new(LedgerConfig::default());
    for (index, operation) in operations.iter().enumerate() {
        let receipt = ledger.apply(operation);
        assert!(matches!(receipt, Ok(Receipt::Applied { .. })), "operation {index}: {receipt:?}");
    }
    ledger
}

/// The byte offsets where each record starts, read with the documented
/// framing (16-byte file header, then 8-byte frame header, body, 32-byte
/// hash), independently of the library's scanner.
pub fn record_offsets(bytes: &[u8]) -> Vec<usize> {
    let mut offsets = Vec::new();
    let mut offset = 16;
    while offset + 8 <= bytes.len() {
        let end = record_end(bytes, offset);
        if end > bytes.len() {
            break;
        }
        offsets.push(offset);
        offset = end;
    }
    offsets
}

/// The byte offset just past the record that starts at `offset`, read with
/// the documented framing: an 8-byte frame header whose first 4 bytes are
/// the body length, the body, a 32-byte hash.
pub fn record_end(bytes: &[u8], offset: usize) -> usize {
    let len = u32::from_be_bytes(bytes[offset..offset + 4].try_into().unwrap()) as usize;
    offset + 8 + len + 32
}
