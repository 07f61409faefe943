//! The durable ledger: a [`Ledger`] whose applied operations are journalled
//! before its calls return, and which is rebuilt from its directory.

use std::fs::{self, File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use opencoin_core::ed25519_dalek::SigningKey;

use super::codec::{encode_operation, encode_outcome};
use super::error::{ApplyError, AtomicError, Damage, DamageKind, JournalError};
use super::file::{
    FRAME_HEADER_BYTES, GENESIS_HASH, HASH_BYTES, RecordMeta, ScanEnd, append_record,
    decode_framed, file_header, record_hasher, scan,
};
use super::merkle::{Checkpoint, TreeHash, leaf_hash, root_of_leaves};
use super::snapshot::{list_snapshots, load_snapshot, snapshot_path, write_snapshot};
use super::{JOURNAL_FILE, sync_dir};
use crate::event::{Subscriber, SubscriberId};
use crate::ledger::{Ledger, LedgerConfig, Receipt};
use crate::operation::Operation;
use crate::rejection::Rejection;

/// When the journal forces its writes to the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SyncPolicy {
    /// `fdatasync` after every call's records, before the call returns: an
    /// acknowledged operation survives a power cut. The default.
    #[default]
    EveryBatch,
    /// Never sync: a power cut or kernel crash may lose acknowledged
    /// operations at the end of the journal (a process crash does not).
    /// For tests and simulations only.
    None,
}

/// How a [`DurableLedger`] is opened and kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalOptions {
    /// When writes are synced. Default: [`SyncPolicy::EveryBatch`].
    pub sync: SyncPolicy,
    /// Write a snapshot every this many records; 0 never. Default: 100 000.
    ///
    /// A snapshot holds the whole state, and all are kept for time travel;
    /// opening replays at most this many records (verifying their
    /// signatures again). Lower
    /// values open faster and travel in time faster, at the cost of writing
    /// the state more often: at 10 000, a million transfers over ten
    /// thousand accounts spent more time writing snapshots than applying.
    pub snapshot_every: u64,
    /// If the journal is damaged (other than a torn last record), truncate
    /// it after the last good record instead of refusing to open. Records
    /// after the damage are lost. Default: off.
    pub recover_to_last_good: bool,
    /// The configuration of the ledger rebuilt from the journal. Default:
    /// [`LedgerConfig::default`].
    pub ledger: LedgerConfig,
}

impl Default for JournalOptions {
    fn default() -> JournalOptions {
        JournalOptions {
            sync: SyncPolicy::EveryBatch,
            snapshot_every: 100_000,
            recover_to_last_good: false,
            ledger: LedgerConfig::default(),
        }
    }
}

/// What [`DurableLedger::open`] found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenReport {
    /// How many records the journal holds after opening.
    pub records: u64,
    /// Bytes of a torn last record that were cut off (never acknowledged).
    pub torn_bytes_truncated: u64,
    /// Damage that was cut off because
    /// [`JournalOptions::recover_to_last_good`] was set, and how many bytes
    /// from it to the end were dropped.
    pub recovered_from: Option<(Damage, u64)>,
    /// The record count of the snapshot the state was loaded from, if any.
    pub snapshot_used: Option<u64>,
    /// Snapshots that were ignored because they failed a check.
    pub snapshots_ignored: Vec<u64>,
    /// How many records were replayed on top of the snapshot.
    pub replayed: u64,
}

/// What [`DurableLedger::verify`] or [`verify_dir`] checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// How many records are good.
    pub records: u64,
    /// The chain hash of the last record ([`GENESIS_HASH`] if none).
    pub head: [u8; HASH_BYTES],
    /// The bytes of the file that hold good records, header included.
    pub bytes: u64,
    /// Bytes of a torn tail after the last record (0 for a clean file).
    pub torn_bytes: u64,
}

/// A [`Ledger`] kept in a directory: every applied operation is journalled
/// and durable before the call that applied it returns.
///
/// See the [module docs](super) for the format and the guarantees.
pub struct DurableLedger {
    dir: PathBuf,
    path: PathBuf,
    file: File,
    options: JournalOptions,
    ledger: Ledger,
    records: Vec<RecordMeta>,
    len: u64,
    template: blake3::Hasher,
    operations: Vec<u8>,
    frames: Vec<u8>,
    payload: Vec<u8>,
    last_snapshot: u64,
    snapshot_error: Option<JournalError>,
    poisoned: bool,
}

impl DurableLedger {
    /// Opens the ledger kept in `dir`, creating the directory and an empty
    /// journal if there is none, and rebuilds its state.
    ///
    /// # Errors
    ///
    /// - [`JournalError::Io`] if a file cannot be created, read or written;
    /// - [`JournalError::Damaged`] with the first bad record's number and
    ///   byte offset, if the journal is damaged other than by a torn last
    ///   record and [`JournalOptions::recover_to_last_good`] is off;
    /// - [`JournalError::ReplayDiverged`] if a record does not replay to
    ///   the outcome it records.
    pub fn open(
        dir: impl AsRef<Path>,
        options: JournalOptions,
    ) -> Result<(DurableLedger, OpenReport), JournalError> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir).map_err(JournalError::io("create", &dir))?;
        let path = dir.join(JOURNAL_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(JournalError::io("open", &path))?;
        let mut bytes = fs::read(&path).map_err(JournalError::io("read", &path))?;
        let mut report = OpenReport::default();

        if bytes.is_empty() {
            // A new journal: the header, synced with the directory entry, so
            // that the file exists after a power cut.
            bytes.extend_from_slice(&file_header());
            file.write_all(&bytes).map_err(JournalError::io("write", &path))?;
            file.sync_all().map_err(JournalError::io("sync", &path))?;
            sync_dir(&dir)?;
        }

        let mut found = scan(&bytes);
        let mut good_len = found.good_len;
        match found.end.clone() {
            ScanEnd::Clean => {}
            ScanEnd::Torn { bytes: torn } => report.torn_bytes_truncated = torn,
            ScanEnd::Damaged(damage) => {
                if !options.recover_to_last_good || damage.kind == DamageKind::BadFileHeader {
                    return Err(JournalError::Damaged(damage));
                }
                let dropped = bytes.len() as u64 - good_len;
                report.recovered_from = Some((damage, dropped));
            }
        }
        if good_len < bytes.len() as u64 {
            file.set_len(good_len).map_err(JournalError::io("truncate", &path))?;
            file.sync_all().map_err(JournalError::io("sync", &path))?;
            bytes.truncate(good_len as usize);
        }
        if good_len == 0 {
            // Only a torn header was there: start the file again.
            file.write_all(&file_header()).map_err(JournalError::io("write", &path))?;
            file.sync_all().map_err(JournalError::io("sync", &path))?;
            bytes = file_header().to_vec();
            found = scan(&bytes);
            good_len = found.good_len;
        }
        file.seek(SeekFrom::Start(good_len)).map_err(JournalError::io("seek", &path))?;

        let records = found.records;
        let count = records.len() as u64;
        let (mut ledger, start, ignored) = base_state(&dir, &records, count, options.ledger);
        report.snapshot_used = (start > 0).then_some(start);
        report.snapshots_ignored = ignored;
        replay(&mut ledger, &bytes, &records, start, count, |_, _, _| {})?;
        report.replayed = count - start;
        report.records = count;

        let durable = DurableLedger {
            dir,
            path,
            file,
            last_snapshot: start,
            options,
            ledger,
            records,
            len: good_len,
            template: record_hasher(),
            operations: Vec::new(),
            frames: Vec::new(),
            payload: Vec::new(),
            snapshot_error: None,
            poisoned: false,
        };
        Ok((durable, report))
    }

    /// The ledger, for queries. It changes only through this wrapper, so
    /// that nothing applied escapes the journal.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Adds a subscriber to the ledger's later events. Events of records
    /// replayed when opening are not published again.
    pub fn subscribe(&mut self, subscriber: Box<dyn Subscriber>) -> SubscriberId {
        self.ledger.subscribe(subscriber)
    }

    /// The directory the ledger is kept in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// How many records the journal holds.
    pub fn record_count(&self) -> u64 {
        self.records.len() as u64
    }

    /// The chain hash of the last record ([`GENESIS_HASH`] if none).
    pub fn head(&self) -> [u8; HASH_BYTES] {
        self.records.last().map_or(GENESIS_HASH, |meta| meta.hash)
    }

    /// The error of the last snapshot that could not be written, if any. A
    /// failed snapshot costs opening time, never correctness, so it does not
    /// fail the call that triggered it.
    pub fn last_snapshot_error(&self) -> Option<&JournalError> {
        self.snapshot_error.as_ref()
    }

    /// Applies one operation and journals it if applied.
    ///
    /// # Errors
    ///
    /// - [`ApplyError::Refused`]: the ledger refused; nothing changed and
    ///   nothing was written;
    /// - [`ApplyError::Journal`] with [`JournalError::Unencodable`]: nothing
    ///   was applied;
    /// - [`ApplyError::Journal`] with [`JournalError::Io`]: the operation was
    ///   applied in memory but may not be durable, and the ledger is
    ///   poisoned: every later call fails with [`JournalError::Poisoned`]
    ///   until the directory is opened again.
    pub fn apply(&mut self, operation: &Operation) -> Result<Receipt, ApplyError> {
        let mut results = self.apply_each(std::slice::from_ref(operation))?;
        match results.pop() {
            Some(Ok(receipt)) => Ok(receipt),
            Some(Err(rejection)) => Err(ApplyError::Refused(rejection)),
            None => Err(ApplyError::Refused(Rejection::Unencodable)),
        }
    }

    /// Forces every record written so far to the disk (`fdatasync`). Needed
    /// only under [`SyncPolicy::None`], for example at the end of a
    /// simulation that journals without syncing each batch; under
    /// [`SyncPolicy::EveryBatch`] every call has synced already.
    ///
    /// # Errors
    ///
    /// [`JournalError::Io`] if the sync fails; the records may then not be
    /// durable, and the ledger is poisoned as after a failed apply.
    pub fn sync(&mut self) -> Result<(), JournalError> {
        if self.poisoned {
            return Err(JournalError::Poisoned);
        }
        self.file.sync_data().map_err(|error| {
            self.poisoned = true;
            JournalError::io("sync", &self.path)(error)
        })
    }

    /// Applies operations one after another, each on its own, and journals
    /// those applied, all in one write and one sync.
    ///
    /// # Errors
    ///
    /// [`JournalError::Unencodable`] (nothing applied), or an I/O error after
    /// applying, which poisons the ledger as described at
    /// [`DurableLedger::apply`].
    pub fn apply_each(
        &mut self,
        operations: &[Operation],
    ) -> Result<Vec<Result<Receipt, Rejection>>, JournalError> {
        let mut results = Vec::with_capacity(operations.len());
        self.apply_each_into(operations, &mut results)?;
        Ok(results)
    }

    /// Like [`DurableLedger::apply_each`], but writes the results into
    /// `results` (cleared first), so that one buffer serves batch after
    /// batch; see [`Ledger::apply_each_into`].
    ///
    /// # Errors
    ///
    /// As for [`DurableLedger::apply_each`]; `results` then holds the
    /// ledger's answers if the operations were applied in memory.
    pub fn apply_each_into(
        &mut self,
        operations: &[Operation],
        results: &mut Vec<Result<Receipt, Rejection>>,
    ) -> Result<(), JournalError> {
        let ranges = self.prepare(operations)?;
        self.ledger.hold_events();
        self.ledger.apply_each_into(operations, results);
        let applied = results.iter().enumerate().filter_map(|(index, result)| match result {
            Ok(Receipt::Applied { warning }) => Some((index, warning.as_deref())),
            _ => None,
        });
        let applied: Vec<_> = applied.collect();
        let committed = self.commit(operations, &ranges, &applied);
        self.publish_if_durable(committed.is_ok());
        committed
    }

    /// Subscribers hear of operations only once their records are durable;
    /// if the journal failed, the events of the batch are dropped (the
    /// ledger is poisoned and must be reopened from its journal anyway).
    fn publish_if_durable(&mut self, durable: bool) {
        if durable {
            self.ledger.release_events();
        } else {
            self.ledger.discard_held_events();
        }
    }

    /// Applies all the operations or none; journals them all if applied.
    ///
    /// # Errors
    ///
    /// - [`AtomicError::Refused`]: nothing changed and nothing was written;
    /// - [`AtomicError::Journal`] as for [`DurableLedger::apply_each`].
    pub fn apply_atomic(&mut self, operations: &[Operation]) -> Result<Vec<Receipt>, AtomicError> {
        let ranges = self.prepare(operations)?;
        self.ledger.hold_events();
        let receipts = match self.ledger.apply_atomic(operations) {
            Ok(receipts) => receipts,
            Err(refusal) => {
                self.ledger.release_events();
                return Err(AtomicError::Refused(refusal));
            }
        };
        let applied = receipts.iter().enumerate().filter_map(|(index, receipt)| match receipt {
            Receipt::Applied { warning } => Some((index, warning.as_deref())),
            Receipt::AlreadyApplied(_) => None,
        });
        let applied: Vec<_> = applied.collect();
        let committed = self.commit(operations, &ranges, &applied);
        self.publish_if_durable(committed.is_ok());
        committed?;
        Ok(receipts)
    }

    /// Refuses a poisoned ledger and encodes every operation before any is
    /// applied, so that an operation without canonical bytes stops the call
    /// before it changes anything.
    fn prepare(&mut self, operations: &[Operation]) -> Result<Vec<Range<usize>>, JournalError> {
        if self.poisoned {
            return Err(JournalError::Poisoned);
        }
        self.operations.clear();
        let mut ranges = Vec::with_capacity(operations.len());
        for (index, operation) in operations.iter().enumerate() {
            let start = self.operations.len();
            encode_operation(operation, &mut self.operations)
                .map_err(|problem| JournalError::Unencodable { index, problem })?;
            ranges.push(start..self.operations.len());
        }
        Ok(ranges)
    }

    /// Frames, writes and syncs the records of the applied operations, then
    /// snapshots if one is due.
    fn commit(
        &mut self,
        operations: &[Operation],
        ranges: &[Range<usize>],
        applied: &[(usize, Option<&opencoin_rules::Warning>)],
    ) -> Result<(), JournalError> {
        if applied.is_empty() {
            return Ok(());
        }

        self.frames.clear();
        let mut previous = self.head();
        let mut metas = Vec::with_capacity(applied.len());
        for &(index, warning) in applied {
            self.payload.clear();
            if let Err(problem) = encode_outcome(warning, &mut self.payload) {
                // Applied in memory but not recordable: memory is now ahead
                // of the journal.
                self.poisoned = true;
                return Err(JournalError::Unencodable { index, problem });
            }
            let range = ranges.get(index).cloned().unwrap_or_default();
            self.payload.extend_from_slice(self.operations.get(range).unwrap_or_default());
            let number = (self.records.len() + metas.len()) as u64;
            let at = operations.get(index).map_or(self.ledger.clock(), Operation::at);
            let offset = self.len + self.frames.len() as u64;
            let hash = append_record(
                &mut self.frames,
                &self.template,
                &previous,
                number,
                at,
                &self.payload,
            );
            metas.push(RecordMeta { offset, at, hash });
            previous = hash;
        }

        self.write_frames()?;
        self.len += self.frames.len() as u64;
        self.records.extend(metas);
        self.maybe_snapshot();
        Ok(())
    }

    fn write_frames(&mut self) -> Result<(), JournalError> {
        let written =
            self.file.write_all(&self.frames).map_err(JournalError::io("write", &self.path));
        let synced = written.and_then(|()| match self.options.sync {
            SyncPolicy::EveryBatch => {
                self.file.sync_data().map_err(JournalError::io("sync", &self.path))
            }
            SyncPolicy::None => Ok(()),
        });
        if synced.is_err() {
            self.poisoned = true;
        }
        synced
    }

    fn maybe_snapshot(&mut self) {
        let every = self.options.snapshot_every;
        let count = self.record_count();
        if every == 0 || count < self.last_snapshot.saturating_add(every) {
            return;
        }
        match self.snapshot_now() {
            Ok(()) => self.snapshot_error = None,
            Err(error) => self.snapshot_error = Some(error),
        }
        // Try again only after another interval, not on every call.
        self.last_snapshot = count;
    }

    /// Writes a snapshot of the current state now.
    ///
    /// # Errors
    ///
    /// [`JournalError::Io`] if it cannot be written; the journal is not
    /// affected.
    pub fn snapshot_now(&mut self) -> Result<(), JournalError> {
        let count = self.record_count();
        if count == 0 {
            return Ok(());
        }
        write_snapshot(&self.dir, &self.ledger, count, &self.head())
    }

    /// Reads the journal file again and checks every record: framing, chain
    /// hashes, numbering, time order and decoding, and that the chain equals
    /// the one this ledger wrote.
    ///
    /// # Errors
    ///
    /// [`JournalError::Damaged`] with the first bad record's number and byte
    /// offset, or [`JournalError::Io`].
    pub fn verify(&self) -> Result<VerifyReport, JournalError> {
        let report = verify_dir(&self.dir)?;
        let on_disk = fs::read(&self.path).map_err(JournalError::io("read", &self.path))?;
        let found = scan(&on_disk);
        for (number, (mine, theirs)) in self.records.iter().zip(&found.records).enumerate() {
            if mine.hash != theirs.hash {
                let damage = Damage {
                    record: number as u64,
                    offset: theirs.offset,
                    kind: DamageKind::HashMismatch,
                };
                return Err(JournalError::Damaged(damage));
            }
        }
        if report.records < self.record_count() {
            let number = report.records;
            let offset = self.records.get(number as usize).map_or(report.bytes, |meta| meta.offset);
            let kind =
                DamageKind::MissingRecords { expected: self.record_count(), found: report.records };
            let damage = Damage { record: number, offset, kind };
            return Err(JournalError::Damaged(damage));
        }
        Ok(report)
    }

    /// The Merkle root over the first `count` records' chain hashes.
    ///
    /// # Errors
    ///
    /// [`JournalError::RecordOutOfRange`] if `count` is beyond the journal.
    pub fn root_at(&self, count: u64) -> Result<TreeHash, JournalError> {
        let leaves = self.leaves(count)?;
        Ok(root_of_leaves(&leaves))
    }

    pub(crate) fn leaves(&self, count: u64) -> Result<Vec<TreeHash>, JournalError> {
        let records = self
            .records
            .get(..usize::try_from(count).unwrap_or(usize::MAX))
            .ok_or(JournalError::RecordOutOfRange { record: count, count: self.record_count() })?;
        Ok(records.iter().map(|meta| leaf_hash(&meta.hash)).collect())
    }

    /// Signs a checkpoint of the whole journal with the operator's key.
    pub fn checkpoint(&self, operator: &SigningKey) -> Checkpoint {
        let leaves: Vec<TreeHash> = self.records.iter().map(|meta| leaf_hash(&meta.hash)).collect();
        Checkpoint::sign(self.record_count(), root_of_leaves(&leaves), operator)
    }

    pub(crate) fn records(&self) -> &[RecordMeta] {
        &self.records
    }

    pub(crate) fn journal_bytes(&self) -> Result<Vec<u8>, JournalError> {
        let mut bytes = fs::read(&self.path).map_err(JournalError::io("read", &self.path))?;
        bytes.truncate(usize::try_from(self.len).unwrap_or(usize::MAX));
        Ok(bytes)
    }

    pub(crate) fn options(&self) -> &JournalOptions {
        &self.options
    }
}

/// Frames applied operations as journal records, appending them to `out`
/// exactly as [`DurableLedger`] writes them (canonical encoding, framing,
/// chain hashing), and returns the last record's chain hash. For tools and
/// benchmarks that measure or produce journal bytes without a ledger.
///
/// # Errors
///
/// [`JournalError::Unencodable`] for an operation or warning without a
/// canonical form; `out` may then hold part of the records.
pub fn frame_records<'a>(
    previous: [u8; HASH_BYTES],
    first_number: u64,
    records: impl IntoIterator<Item = (&'a Operation, Option<&'a opencoin_rules::Warning>)>,
    out: &mut Vec<u8>,
) -> Result<[u8; HASH_BYTES], JournalError> {
    let template = record_hasher();
    let mut payload = Vec::new();
    let mut head = previous;
    for (index, (operation, warning)) in records.into_iter().enumerate() {
        payload.clear();
        encode_outcome(warning, &mut payload)
            .map_err(|problem| JournalError::Unencodable { index, problem })?;
        encode_operation(operation, &mut payload)
            .map_err(|problem| JournalError::Unencodable { index, problem })?;
        let number = first_number + index as u64;
        head = append_record(out, &template, &head, number, operation.at(), &payload);
    }
    Ok(head)
}

/// Checks a journal directory without opening a ledger: every record's
/// framing, chain hash, numbering, time order and payload decoding.
///
/// # Errors
///
/// [`JournalError::Damaged`] with the first bad record's number and byte
/// offset, or [`JournalError::Io`].
pub fn verify_dir(dir: impl AsRef<Path>) -> Result<VerifyReport, JournalError> {
    let path = dir.as_ref().join(JOURNAL_FILE);
    let bytes = fs::read(&path).map_err(JournalError::io("read", &path))?;
    let found = scan(&bytes);
    let torn_bytes = match found.end {
        ScanEnd::Clean => 0,
        ScanEnd::Torn { bytes } => bytes,
        ScanEnd::Damaged(damage) => return Err(JournalError::Damaged(damage)),
    };
    for (number, meta) in found.records.iter().enumerate() {
        let framed = framed_bytes(&bytes, meta);
        if let Err(problem) = decode_framed(framed) {
            let damage = Damage {
                record: number as u64,
                offset: meta.offset,
                kind: DamageKind::Undecodable(problem),
            };
            return Err(JournalError::Damaged(damage));
        }
    }
    let head = found.records.last().map_or(GENESIS_HASH, |meta| meta.hash);
    Ok(VerifyReport {
        records: found.records.len() as u64,
        head,
        bytes: found.good_len,
        torn_bytes,
    })
}

/// The frame header and body of a record that [`scan`] found good.
pub(crate) fn framed_bytes<'a>(bytes: &'a [u8], meta: &RecordMeta) -> &'a [u8] {
    let start = usize::try_from(meta.offset).unwrap_or(usize::MAX);
    let header = bytes.get(start..start.saturating_add(4)).unwrap_or_default();
    let len = header.try_into().map_or(0, u32::from_be_bytes) as usize;
    bytes.get(start..start.saturating_add(FRAME_HEADER_BYTES + len)).unwrap_or_default()
}

/// The newest snapshot at or before `count` records that matches the chain,
/// or an empty ledger; with the record count it stands on and the snapshots
/// that were ignored.
pub(crate) fn base_state(
    dir: &Path,
    records: &[RecordMeta],
    count: u64,
    config: LedgerConfig,
) -> (Ledger, u64, Vec<u64>) {
    let mut ignored = Vec::new();
    for candidate in list_snapshots(dir) {
        if candidate == 0 || candidate > count {
            continue;
        }
        let loaded = load_snapshot(&snapshot_path(dir, candidate), config);
        let matches = loaded.as_ref().is_some_and(|snapshot| {
            snapshot.count == candidate
                && records
                    .get(candidate as usize - 1)
                    .is_some_and(|meta| meta.hash == snapshot.chain)
        });
        match loaded {
            Some(snapshot) if matches => return (snapshot.ledger, candidate, ignored),
            _ => ignored.push(candidate),
        }
    }
    (Ledger::new(config), 0, ignored)
}

/// Replays records `from..to` onto `ledger`, checking each outcome, and
/// calls `each` after every record with its number, operation and receipt.
pub(crate) fn replay(
    ledger: &mut Ledger,
    bytes: &[u8],
    records: &[RecordMeta],
    from: u64,
    to: u64,
    mut each: impl FnMut(u64, &Ledger, &(Receipt, Operation)),
) -> Result<(), JournalError> {
    for number in from..to {
        let meta = records.get(number as usize).ok_or(JournalError::RecordOutOfRange {
            record: number,
            count: records.len() as u64,
        })?;
        let (_, recorded, operation) =
            decode_framed(framed_bytes(bytes, meta)).map_err(|problem| {
                JournalError::Damaged(Damage {
                    record: number,
                    offset: meta.offset,
                    kind: DamageKind::Undecodable(problem),
                })
            })?;
        let replayed = ledger.apply(&operation);
        if replayed.as_ref() != Ok(&recorded) {
            return Err(JournalError::ReplayDiverged {
                record: number,
                recorded: format!("{recorded:?}"),
                replayed: format!("{replayed:?}"),
            });
        }
        each(number, ledger, &(recorded, operation));
    }
    Ok(())
}
