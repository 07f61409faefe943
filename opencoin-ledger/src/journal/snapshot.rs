//! Snapshots: the whole ledger state at one record, so that opening and time
//! travel replay only the records after it.
//!
//! A snapshot is an optimisation and never an authority. It names the record
//! count and chain hash it stands on, which must match the journal; it
//! carries its own checksum and the ledger's state hash, which the decoded
//! state must reproduce. A snapshot that fails any check is ignored and the
//! records are replayed from an older one, or from the start.
//!
//! # Snapshot file, version 2
//!
//! `snapshots/snapshot-<record count, 20 decimal digits>.ocs`:
//!
//! | bytes | field |
//! |---|---|
//! | 8 | magic `OCSNAPSH` |
//! | 2 + 6 | version `2`, then six zero bytes |
//! | 8 | record count n: the state after records `0..n` |
//! | 32 | chain hash of record n - 1 |
//! | 32 | the ledger's [`Ledger::state_hash`] in that state |
//! | 8 + m | state length m, then the state bytes below |
//! | 32 | blake3, key-derivation context [`SNAPSHOT_CONTEXT`], of all the bytes before |
//!
//! State bytes (integers big-endian; `opt(x)` is a byte 0, or 1 then x):
//!
//! | field | encoding |
//! |---|---|
//! | clock, next event number | 8 + 8 |
//! | currencies, in creation order | 2-byte count, then per currency: spec format (1 TOML, 2 JSON), 4-byte text length and text; issued, redeemed, burned (16 each, `i128`); `opt(cap)` (16); income paid through (8); `opt(melt destination account index)` (4) |
//! | accounts, in opening order | 4-byte count, then per account: id (8), currency index (2), kind code (1), owner key (32), `opt(latitude bits, longitude bits)` (8 + 8), sector count (1) and each sector (1-byte length, ASCII), balance (16), settled at (8), next sequence (8), `opt(id of the last transaction from the account)` (32) |
//! | transactions applied | 8-byte count |
//! | postings (empty when the ledger keeps no history) | 8-byte count, then per posting: account index (4), time (8), `opt(transaction id)` (32), kind (1, see [`posting_kind_code`]), `opt(counterparty id)` (8), change (16), balance after (16) |
//!
//! Account profiles and compiled rules are not stored: they are functions of
//! the spec and the account attributes, and are computed again on load.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use opencoin_core::bytes::Truncated;
use opencoin_core::ed25519_dalek::VerifyingKey;
use opencoin_core::spec::{SpecFormat, SpecSource};
use opencoin_core::{AccountAttributes, AccountId, AccountKind, Timestamp, TransactionId};
use opencoin_rules::RuleSet;

use super::codec::{CodecError, Reader, put_location, put_sectors};
use super::error::JournalError;
use super::file::HASH_BYTES;
use crate::ledger::{
    AccountCold, AccountHot, AccountRecord, AccountSigner, CurrencyState, Ledger, LedgerConfig,
    Posting, PostingKind, Totals,
};

/// The magic bytes of a snapshot file.
pub const SNAPSHOT_MAGIC: [u8; 8] = *b"OCSNAPSH";

/// The snapshot format version written by this library.
pub const SNAPSHOT_VERSION: u16 = 2;

/// The blake3 key-derivation context of a snapshot's checksum. Its `v1`
/// names the checksum, which format version 2 kept as it was.
pub const SNAPSHOT_CONTEXT: &str = "opencoin 2026-12 journal snapshot v1";

/// The directory of snapshots inside a journal directory.
pub(crate) const SNAPSHOT_DIR: &str = "snapshots";

/// The stable code of a posting kind in snapshots.
pub fn posting_kind_code(kind: PostingKind) -> u8 {
    match kind {
        PostingKind::Opening => 1,
        PostingKind::Issue => 2,
        PostingKind::TransferIn => 3,
        PostingKind::TransferOut => 4,
        PostingKind::Redeem => 5,
        PostingKind::Melt => 6,
        PostingKind::MeltReceived => 7,
        PostingKind::Income => 8,
    }
}

fn posting_kind_from_code(code: u8) -> Option<PostingKind> {
    Some(match code {
        1 => PostingKind::Opening,
        2 => PostingKind::Issue,
        3 => PostingKind::TransferIn,
        4 => PostingKind::TransferOut,
        5 => PostingKind::Redeem,
        6 => PostingKind::Melt,
        7 => PostingKind::MeltReceived,
        8 => PostingKind::Income,
        _ => return None,
    })
}

/// The path of the snapshot standing on `count` records.
pub(crate) fn snapshot_path(dir: &Path, count: u64) -> PathBuf {
    dir.join(SNAPSHOT_DIR).join(format!("snapshot-{count:020}.ocs"))
}

/// The record counts of the snapshots in `dir`, newest first. Files that do
/// not look like snapshots are left alone.
pub(crate) fn list_snapshots(dir: &Path) -> Vec<u64> {
    let Ok(entries) = fs::read_dir(dir.join(SNAPSHOT_DIR)) else { return Vec::new() };
    let mut counts: Vec<u64> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name();
            let name = name.to_str()?;
            name.strip_prefix("snapshot-")?.strip_suffix(".ocs")?.parse().ok()
        })
        .collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    counts
}

/// A snapshot's contents before they are written: the state's bytes (from
/// [`encode_state_into`]) and hash, taken from the ledger, and the record count
/// and chain hash they stand on, which a journal with batches in flight
/// learns only later (see `DurableLedger::take_snapshot`).
pub(crate) struct SnapshotParts {
    /// The records the state stands on.
    pub count: u64,
    /// The chain hash of the last of them.
    pub chain: [u8; HASH_BYTES],
    /// [`Ledger::state_hash`] of the state.
    pub state_hash: [u8; HASH_BYTES],
    /// The state's bytes.
    pub state: Vec<u8>,
}

/// The bytes of a snapshot file before the state: magic, version and
/// padding, count, chain hash, state hash, state length.
const SNAPSHOT_HEADER_BYTES: usize = 8 + 8 + 8 + HASH_BYTES + HASH_BYTES + 8;

impl SnapshotParts {
    /// The parts of a snapshot of `ledger` as it is now, standing on
    /// `count` records whose last chain hash is `chain`; the state is
    /// encoded into `buffer`, whatever it held.
    pub(crate) fn of(
        ledger: &Ledger,
        count: u64,
        chain: [u8; HASH_BYTES],
        mut buffer: Vec<u8>,
    ) -> SnapshotParts {
        encode_state_into(ledger, &mut buffer);
        SnapshotParts { count, chain, state_hash: ledger.state_hash(), state: buffer }
    }

    /// The file's bytes before the state, as the module's table lays
    /// them out.
    fn header(&self) -> [u8; SNAPSHOT_HEADER_BYTES] {
        let mut header = [0; SNAPSHOT_HEADER_BYTES];
        let fields: [&[u8]; 7] = [
            &SNAPSHOT_MAGIC,
            &SNAPSHOT_VERSION.to_be_bytes(),
            &[0; 6],
            &self.count.to_be_bytes(),
            &self.chain,
            &self.state_hash,
            &(self.state.len() as u64).to_be_bytes(),
        ];
        let mut at = 0;
        for field in fields {
            header[at..at + field.len()].copy_from_slice(field);
            at += field.len();
        }
        header
    }

    /// The whole file's bytes, for tests that edit them.
    #[cfg(test)]
    fn to_bytes(&self) -> Vec<u8> {
        let header = self.header();
        let checksum = checksum(&[&header, &self.state]);
        [&header[..], &self.state, &checksum].concat()
    }

    /// Writes the file into `dir` atomically: a temporary file, written in
    /// three parts (so that the state, which can be hundreds of megabytes,
    /// is not copied into one buffer first), synced, renamed into place,
    /// and the directory synced. Needs no ledger, so that it can run on a
    /// thread of its own.
    ///
    /// # Errors
    ///
    /// [`JournalError::Io`] if a file cannot be written; the journal itself
    /// is not affected.
    pub(crate) fn write(&self, dir: &Path) -> Result<(), JournalError> {
        let snapshot_dir = dir.join(SNAPSHOT_DIR);
        fs::create_dir_all(&snapshot_dir).map_err(JournalError::io("create", &snapshot_dir))?;
        let temporary = snapshot_dir.join(format!(".snapshot-{:020}.tmp", self.count));
        let path = snapshot_path(dir, self.count);

        let header = self.header();
        let checksum = checksum(&[&header, &self.state]);
        let mut file = File::create(&temporary).map_err(JournalError::io("create", &temporary))?;
        for part in [&header[..], &self.state, &checksum] {
            file.write_all(part).map_err(JournalError::io("write", &temporary))?;
        }
        file.sync_data().map_err(JournalError::io("sync", &temporary))?;
        drop(file);
        fs::rename(&temporary, &path).map_err(JournalError::io("rename", &temporary))?;
        super::sync_dir(&snapshot_dir)
    }
}

/// The checksum that ends a snapshot file, of everything before it, given
/// in consecutive parts.
fn checksum(parts: &[&[u8]]) -> [u8; HASH_BYTES] {
    let mut hasher = blake3::Hasher::new_derive_key(SNAPSHOT_CONTEXT);
    for part in parts {
        hasher.update(part);
    }
    *hasher.finalize().as_bytes()
}

/// A snapshot read back and checked against itself (not yet against the
/// journal).
pub(crate) struct LoadedSnapshot {
    pub count: u64,
    pub chain: [u8; HASH_BYTES],
    pub ledger: Ledger,
}

/// Reads a snapshot file; `None` if it is missing or fails any of its own
/// checks (checksum, decoding, state hash).
pub(crate) fn load_snapshot(path: &Path, config: LedgerConfig) -> Option<LoadedSnapshot> {
    let bytes = fs::read(path).ok()?;
    decode_snapshot(&bytes, config).ok()
}

/// Reads snapshot bytes.
pub(crate) fn decode_snapshot(
    bytes: &[u8],
    config: LedgerConfig,
) -> Result<LoadedSnapshot, CodecError> {
    let body_len = bytes
        .len()
        .checked_sub(HASH_BYTES)
        .ok_or(CodecError::Truncated(Truncated { offset: 0, field: "snapshot" }))?;
    if checksum(&[&bytes[..body_len]])[..] != bytes[body_len..] {
        return Err(CodecError::Invalid { field: "snapshot checksum", problem: "mismatch".into() });
    }
    let mut reader = Reader::new(&bytes[..body_len]);
    if reader.array::<8>("snapshot magic")? != SNAPSHOT_MAGIC {
        return Err(CodecError::MagicMismatch { expected: "OCSNAPSH" });
    }
    let version = reader.u16("snapshot version")?;
    if version != SNAPSHOT_VERSION {
        let problem =
            format!("version {version} is not read by this library (it reads {SNAPSHOT_VERSION})");
        return Err(bad("snapshot version", problem));
    }
    if reader.array::<6>("reserved bytes")? != [0; 6] {
        return Err(bad("reserved bytes", "they are not all zero"));
    }
    let count = reader.u64("record count")?;
    let chain = reader.array::<HASH_BYTES>("chain hash")?;
    let state_hash = reader.array::<HASH_BYTES>("state hash")?;
    let len = usize::try_from(reader.u64("state length")?).unwrap_or(usize::MAX);
    let state = reader.take(len, "state")?;
    reader.finish()?;

    let ledger = decode_state(state, config)?;
    if ledger.state_hash() != state_hash {
        let problem = "the decoded state does not reproduce the recorded hash".to_owned();
        return Err(CodecError::Invalid { field: "state", problem });
    }
    Ok(LoadedSnapshot { count, chain, ledger })
}

fn put_opt(out: &mut Vec<u8>, value: Option<&[u8]>) {
    match value {
        None => out.push(0),
        Some(bytes) => {
            out.push(1);
            out.extend_from_slice(bytes);
        }
    }
}

/// The canonical bytes of a ledger's state (see the module docs), written
/// into `out` in place of what it held. A buffer kept from the previous
/// snapshot is reused this way: a fresh one of some 130 MB (a million
/// accounts) has every page zeroed by the kernel as it is first written,
/// which took longer than encoding itself (BENCHMARKS.md, change 24).
pub(crate) fn encode_state_into(ledger: &Ledger, out: &mut Vec<u8>) {
    out.clear();
    out.reserve(64 + ledger.accounts.len() * 160 + ledger.history.len() * 100);
    out.extend_from_slice(&ledger.clock.seconds().to_be_bytes());
    out.extend_from_slice(&ledger.event_sequence().to_be_bytes());

    out.extend_from_slice(&(ledger.currencies.len() as u16).to_be_bytes());
    for state in &ledger.currencies {
        // A currency in the ledger came through the journal, which refuses
        // specs without source text, so the fallback is never written by a
        // durable ledger; an empty text would fail to load, costing only
        // the snapshot.
        let (format, text) = match state.spec.source() {
            Some(SpecSource { format: SpecFormat::Toml, text }) => (1, text.as_str()),
            Some(SpecSource { format: SpecFormat::Json, text }) => (2, text.as_str()),
            None => (0, ""),
        };
        out.push(format);
        out.extend_from_slice(&(text.len() as u32).to_be_bytes());
        out.extend_from_slice(text.as_bytes());
        let totals = state.totals;
        out.extend_from_slice(&totals.issued.to_be_bytes());
        out.extend_from_slice(&totals.redeemed.to_be_bytes());
        out.extend_from_slice(&totals.burned.to_be_bytes());
        put_opt(out, totals.cap.map(i128::to_be_bytes).as_ref().map(|b| &b[..]));
        out.extend_from_slice(&totals.income_paid_through.seconds().to_be_bytes());
        put_opt(out, state.melt_destination.map(u32::to_be_bytes).as_ref().map(|b| &b[..]));
    }

    out.extend_from_slice(&(ledger.accounts.len() as u32).to_be_bytes());
    for (AccountRecord { hot, signer }, cold) in ledger.accounts.iter().zip(&ledger.cold) {
        out.extend_from_slice(&cold.attributes.id.0.to_be_bytes());
        out.extend_from_slice(&hot.currency.to_be_bytes());
        out.push(cold.attributes.kind.code());
        out.extend_from_slice(&signer.owner);
        put_location(out, cold.attributes.location);
        put_sectors(out, &cold.attributes.sectors);
        out.extend_from_slice(&hot.balance.to_be_bytes());
        out.extend_from_slice(&hot.as_of.seconds().to_be_bytes());
        out.extend_from_slice(&hot.next_sequence.to_be_bytes());
        let last_transaction = signer.last_transaction(hot);
        put_opt(out, last_transaction.as_ref().map(|id| &id.as_bytes()[..]));
    }
    out.extend_from_slice(&ledger.applied_count.to_be_bytes());

    out.extend_from_slice(&(ledger.history.len() as u64).to_be_bytes());
    for posting in &ledger.history {
        out.extend_from_slice(&posting.account.to_be_bytes());
        out.extend_from_slice(&posting.at.seconds().to_be_bytes());
        put_opt(out, posting.transaction.as_ref().map(|id| &id.as_bytes()[..]));
        out.push(posting_kind_code(posting.kind));
        put_opt(out, posting.counterparty.map(|id| id.0.to_be_bytes()).as_ref().map(|b| &b[..]));
        out.extend_from_slice(&posting.change.to_be_bytes());
        out.extend_from_slice(&posting.balance_after.to_be_bytes());
    }
}

fn bad(field: &'static str, problem: impl Into<String>) -> CodecError {
    CodecError::Invalid { field, problem: problem.into() }
}

/// Rebuilds a ledger from its state bytes. Every index is checked, so bad
/// bytes give an error and never a panic.
pub(crate) fn decode_state(bytes: &[u8], config: LedgerConfig) -> Result<Ledger, CodecError> {
    let mut reader = Reader::new(bytes);
    let mut ledger = Ledger::new(config);
    ledger.clock = Timestamp(reader.u64("clock")?);
    ledger.set_event_sequence(reader.u64("event sequence")?);

    let currency_count = reader.u16("currency count")?;
    let mut melt_destinations = Vec::new();
    for index in 0..currency_count {
        let format = match reader.u8("spec format")? {
            1 => SpecFormat::Toml,
            2 => SpecFormat::Json,
            tag => return Err(CodecError::UnknownTag { what: "spec format", tag }),
        };
        let len = reader.u32("spec length")? as usize;
        let text = reader.take(len, "spec text")?;
        let text =
            std::str::from_utf8(text).map_err(|error| bad("spec text", error.to_string()))?;
        let source = SpecSource { format, text: text.to_owned() };
        let spec = source.parse().map_err(|error| bad("spec text", error.to_string()))?;
        let rules =
            RuleSet::compile(&spec).map_err(|error| bad("spec rules", error.to_string()))?;
        let issued = reader.i128("issued")?;
        let redeemed = reader.i128("redeemed")?;
        let burned = reader.i128("burned")?;
        let cap = if reader.bool("cap flag")? { Some(reader.i128("cap")?) } else { None };
        let income_paid_through = Timestamp(reader.u64("income paid through")?);
        let melt_destination = if reader.bool("melt destination flag")? {
            Some(reader.u32("melt destination")?)
        } else {
            None
        };
        melt_destinations.push(melt_destination);
        let totals = Totals { issued, redeemed, burned, cap, income_paid_through };
        if ledger.currency_index.insert(spec.code, index).is_some() {
            return Err(bad("currency", format!("{} appears twice", spec.code)));
        }
        ledger.currencies.push(CurrencyState::new(spec, rules, totals, melt_destination));
    }

    let account_count = reader.u32("account count")?;
    for index in 0..account_count {
        let id = AccountId(reader.u64("account id")?);
        let currency = reader.u16("account currency")?;
        let state = ledger
            .currencies
            .get(usize::from(currency))
            .ok_or_else(|| bad("account currency", format!("index {currency} is out of range")))?;
        let kind = reader.u8("account kind")?;
        let kind = AccountKind::from_code(kind)
            .ok_or(CodecError::UnknownTag { what: "account kind", tag: kind })?;
        // Checked to be a valid key, as an account opening checks it.
        let owner = reader.array::<32>("owner key")?;
        VerifyingKey::from_bytes(&owner).map_err(|error| bad("owner key", error.to_string()))?;
        let location = reader.location()?;
        let sectors = reader.sectors()?;
        let attributes =
            AccountAttributes { id, currency: state.spec.code, kind, location, sectors };
        let profile = state.rules.profile(&attributes);
        let profile = ledger.intern_profile(profile);
        let balance = reader.i128("balance")?;
        let as_of = Timestamp(reader.u64("settled at")?);
        let next_sequence = reader.u64("next sequence")?;
        let last_transaction = if reader.bool("last transaction flag")? {
            Some(TransactionId(reader.array("last transaction id")?))
        } else {
            None
        };
        if ledger.account_index.insert(id, index).is_some() {
            return Err(bad("account", format!("{id} appears twice")));
        }
        let hot = AccountHot { balance, as_of, next_sequence, id, profile, currency, kind };
        let mut signer = AccountSigner::new(owner);
        if let Some(id) = last_transaction {
            signer.last_transaction = id;
        }
        ledger.accounts.push(AccountRecord { hot, signer });
        ledger.cold.push(AccountCold { attributes });
    }
    for destination in melt_destinations.iter().flatten() {
        if *destination >= account_count {
            return Err(bad("melt destination", format!("index {destination} is out of range")));
        }
    }

    ledger.applied_count = reader.u64("applied count")?;

    let posting_count = reader.u64("posting count")?;
    for _ in 0..posting_count {
        let account = reader.u32("posting account")?;
        if account >= account_count {
            return Err(bad("posting account", format!("index {account} is out of range")));
        }
        let at = Timestamp(reader.u64("posting time")?);
        let transaction = if reader.bool("transaction flag")? {
            Some(TransactionId(reader.array("transaction id")?))
        } else {
            None
        };
        let kind = reader.u8("posting kind")?;
        let kind = posting_kind_from_code(kind)
            .ok_or(CodecError::UnknownTag { what: "posting kind", tag: kind })?;
        let counterparty = if reader.bool("counterparty flag")? {
            Some(AccountId(reader.u64("counterparty")?))
        } else {
            None
        };
        let change = reader.i128("change")?;
        let balance_after = reader.i128("balance after")?;
        ledger.post(Posting {
            account,
            at,
            transaction,
            kind,
            counterparty,
            change,
            balance_after,
        });
    }
    reader.finish()?;

    // The books must balance in a loaded state exactly as after a commit.
    for (index, state) in ledger.currencies.iter().enumerate() {
        let sum = ledger
            .accounts
            .iter()
            .map(|record| &record.hot)
            .filter(|hot| usize::from(hot.currency) == index)
            .try_fold(0_i128, |sum, hot| sum.checked_add(hot.balance));
        let totals = state.totals;
        let circulating =
            totals.issued.checked_sub(totals.redeemed).and_then(|x| x.checked_sub(totals.burned));
        if sum.is_none() || sum != circulating {
            return Err(bad("totals", format!("the books of {} do not balance", state.spec.code)));
        }
    }
    Ok(ledger)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A snapshot of an empty ledger with its version field set to `version`
    /// and its checksum made right again.
    fn snapshot_of_version(version: u16) -> Vec<u8> {
        let ledger = Ledger::new(LedgerConfig::default());
        let mut bytes = SnapshotParts::of(&ledger, 1, [7; HASH_BYTES], Vec::new()).to_bytes();
        bytes[8..10].copy_from_slice(&version.to_be_bytes());
        let body_len = bytes.len() - HASH_BYTES;
        let checksum = checksum(&[&bytes[..body_len]]);
        bytes[body_len..].copy_from_slice(&checksum);
        bytes
    }

    #[test]
    fn another_version_is_refused_by_its_full_number() {
        let loaded = decode_snapshot(&snapshot_of_version(2), LedgerConfig::default());
        assert_eq!(
            loaded.map(|snapshot| (snapshot.count, snapshot.chain)).ok(),
            Some((1, [7; 32]))
        );

        // 258 is 0x0102, whose low byte is this library's version: the
        // message must name 258, not 2.
        for version in [1, 3, 258] {
            let Err(error) =
                decode_snapshot(&snapshot_of_version(version), LedgerConfig::default())
            else {
                panic!("version {version} was read");
            };
            assert_eq!(
                error.to_string(),
                format!(
                    "the snapshot version is invalid: version {version} is not read by this \
                         library (it reads 2)"
                )
            );
        }
    }
}
