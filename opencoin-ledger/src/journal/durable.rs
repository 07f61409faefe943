//! The durable ledger: a [`Ledger`] whose applied operations are journalled
//! before its calls return, and which is rebuilt from its directory.
//!
//! # A large batch is journalled while it is applied
//!
//! A call encodes every operation first (so that one without canonical
//! bytes stops the call before anything changes), applies them in memory,
//! and journals the applied ones: frames each record, chains its blake3
//! hash to the previous record's, writes the frames and syncs once. For a
//! batch of 8,190 transfers, on the 2-core machine of the throughput
//! harness, encoding took about 0.7 ms, applying 2.2 ms, framing 2 ms
//! (nearly all of it hashing, which the chain makes sequential), writing
//! 0.5 ms and the sync 1.5 ms. Applying and framing are each sequential,
//! but framing depends on applying only through the records' order: record
//! i needs the outcome of operation i and the hash of record i - 1, not the
//! ledger's state.
//!
//! So a batch of more than [`WINDOW_OPERATIONS`] operations is applied in
//! windows of that many (`Ledger::apply_each_windows`, which verifies the
//! signatures once for the whole batch). After each window the calling
//! thread hands the window's marks (which operations get a record, with
//! which outcome) to the framing thread, through a channel, in order, and
//! goes on with the next window; the framing thread frames and hashes the
//! records of each window it receives. After the last window it writes all
//! the frames at once and answers; the calling thread then syncs, counts
//! the records and releases the events. Batches of one window, `apply` and
//! `apply_atomic` are framed on the calling thread, where a second thread
//! would have nothing to overlap. In the harness this took the median
//! batch from about 6.7 ms to about 5.0 ms.
//!
//! The framing thread is started at the ledger's first large batch and
//! lives as long as the ledger, waiting between batches. It borrows
//! nothing: the encoded operations and the list of framed records are lent
//! to it with each batch and come back with its answer. A thread spawned
//! for each call with `std::thread::scope` was measured first and lost most
//! of the gain: the scheduler left the new thread on the calling thread's
//! core until the caller blocked, about 1.5 ms per batch, whereas a waiting
//! thread woken through a channel ran on the other core within about 50 us.
//!
//! What a call guarantees is the same whichever thread frames its records:
//!
//! - it returns only once its records are written and, under
//!   [`SyncPolicy::EveryBatch`], synced (one write and one `fdatasync`);
//! - every operation is encoded before any is applied;
//! - refused operations, and those answered `AlreadyApplied`, get no
//!   record; the others get one each, numbered and chained in the order
//!   they were applied;
//! - events are held until the records are durable, and dropped if the
//!   journal failed;
//! - a failed write or sync, a warning without an encoding, or a framing
//!   thread that stopped poisons the ledger, and the call's records are not
//!   counted.
//!
//! TODO(journal-speed): the framing thread is the slower of the two (2.5 ms
//! with the write, against 2.2), and encoding runs alone before applying,
//! since the framing thread cannot borrow the caller's operations. Two
//! things would shorten a batch further: having the calling thread write
//! the windows already framed once it has applied the last one; and a
//! first `fdatasync` issued while the framing thread finishes, which
//! measured about 5% faster at the price of two syncs a batch.

use std::fs::{self, File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use opencoin_core::Timestamp;
use opencoin_core::ed25519_dalek::SigningKey;
use opencoin_rules::Warning;

use super::codec::{encode_operation, encode_outcome};
use super::error::{ApplyError, AtomicError, Damage, DamageKind, JournalError};
use super::file::{
    GENESIS_HASH, HASH_BYTES, RecordMeta, ScanEnd, append_record, decode_framed, file_header,
    framed_bytes, record_hasher, scan,
};
use super::merkle::{Checkpoint, TreeHash, leaf_hash, root_of_leaves};
use super::snapshot::{list_snapshots, load_snapshot, snapshot_path, write_snapshot};
use super::{JOURNAL_FILE, sync_dir};
use crate::event::{Subscriber, SubscriberId};
use crate::ledger::{Ledger, LedgerConfig, Receipt};
use crate::operation::Operation;
use crate::rejection::Rejection;

/// Operations per window of a large batch, which is journalled while it is
/// applied (see the module docs). Windows of 256 and 512 measured alike;
/// 1,024 and 2,048 were 2 to 5% slower, the framing of the last window
/// being longer to wait for.
pub(crate) const WINDOW_OPERATIONS: usize = 512;

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
    /// A snapshot holds the whole state (every account, and every posting
    /// if the ledger keeps history), and all are kept for time travel;
    /// opening replays at most this many records (verifying their
    /// signatures again). Lower values open faster and travel in time
    /// faster, at the cost of writing the state more often.
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
/// From its first batch of more than 512 operations on, it keeps a thread
/// of its own, which journals large batches while they are applied and
/// ends when the ledger is dropped.
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
    /// Hashes the records framed on the calling thread.
    hasher: blake3::Hasher,
    /// The operations of the current call, encoded (see [`Encoding`]). This
    /// and the other buffers are kept from call to call, so that a call
    /// allocates nothing for them in steady state.
    encoded: Vec<u8>,
    /// Where each operation of the current call is in `encoded`.
    encodings: Vec<Encoding>,
    /// The records framed by the current call, counted in `records` once
    /// they are durable.
    framed: Vec<RecordMeta>,
    /// Buffers of marks (what to record of each operation), one per window
    /// in flight.
    spare_marks: Vec<Vec<Mark>>,
    /// Records framed on the calling thread and not yet written.
    frames: Vec<u8>,
    /// The payload of a record with a warning: outcome, then operation.
    payload: Vec<u8>,
    /// The thread that frames large batches while they are applied, from
    /// the first such batch on.
    framing: Option<FramingThread>,
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
                if !options.recover_to_last_good || damage.kind == DamageKind::FileHeaderMismatch {
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
            hasher: record_hasher(),
            encoded: Vec::new(),
            encodings: Vec::new(),
            framed: Vec::new(),
            spare_marks: Vec::new(),
            frames: Vec::new(),
            payload: Vec::new(),
            framing: None,
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
    ///   was applied (unless the warning the operation earned has no
    ///   encoding, which poisons the ledger as below);
    /// - [`ApplyError::Journal`] with [`JournalError::Io`]: the operation was
    ///   applied in memory but may not be durable, and the ledger is
    ///   poisoned: every later call fails with [`JournalError::Poisoned`]
    ///   until the directory is opened again.
    pub fn apply(&mut self, operation: &Operation) -> Result<Receipt, ApplyError> {
        let mut results = self.apply_each(std::slice::from_ref(operation))?;
        match results.pop() {
            Some(Ok(receipt)) => Ok(receipt),
            Some(Err(rejection)) => Err(ApplyError::Refused(rejection)),
            // Never taken: `apply_each` answers every operation it is given.
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
    /// A batch of more than 512 operations is journalled on a second thread
    /// while it is applied (a thread kept from the first such batch until
    /// the ledger is dropped); the guarantees are the same.
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
        self.prepare(operations)?;
        self.ledger.hold_events();

        let framing =
            if operations.len() > WINDOW_OPERATIONS { self.lend_to_framing_thread() } else { None };
        let framed = match framing {
            Some(framing) => self.apply_each_pipelined(framing, operations, results),
            None => {
                self.ledger.apply_each_into(operations, results);
                self.frame_here(results.iter().map(|result| result.as_ref().ok()))
            }
        };

        let committed = self.commit(framed);
        self.publish_if_durable(committed.is_ok());
        committed
    }

    /// Starts a batch on the framing thread (starting the thread if there
    /// is none yet), lending it the encoded operations. `None` if the
    /// thread cannot be started or has stopped; the batch is then framed
    /// on this thread, and nothing is lost.
    fn lend_to_framing_thread(&mut self) -> Option<FramingThread> {
        let framing = match self.framing.take() {
            Some(framing) => framing,
            None => FramingThread::start(&self.file, &self.path).ok()?,
        };
        let jobs = framing.jobs.as_ref()?;
        let lent = Lent {
            encoded: std::mem::take(&mut self.encoded),
            encodings: std::mem::take(&mut self.encodings),
            framed: std::mem::take(&mut self.framed),
            first_number: self.record_count(),
            head: self.head(),
            end: self.len,
        };
        match jobs.send(Job::Begin(lent)) {
            Ok(()) => Some(framing),
            Err(mpsc::SendError(job)) => {
                if let Job::Begin(lent) = job {
                    self.take_back(lent);
                }
                None
            }
        }
    }

    /// Applies the batch window by window on this thread while the framing
    /// thread frames and hashes the records of the windows already applied,
    /// in order, then writes them. Returns the journal's length once they
    /// are written (not synced).
    fn apply_each_pipelined(
        &mut self,
        framing: FramingThread,
        operations: &[Operation],
        results: &mut Vec<Result<Receipt, Rejection>>,
    ) -> Result<u64, JournalError> {
        let spare_marks = &mut self.spare_marks;
        self.ledger.apply_each_windows(operations, results, WINDOW_OPERATIONS, |range, window| {
            let mut marks = spare_marks.pop().unwrap_or_default();
            marks.clear();
            marks.extend(window.iter().map(|result| Mark::of(result.as_ref().ok())));
            if let Some(jobs) = &framing.jobs {
                // Fails only if the thread has stopped, which the missing
                // answer below reports.
                let _ = jobs.send(Job::Window { first: range.start, marks });
            }
        });
        if let Some(jobs) = &framing.jobs {
            let _ = jobs.send(Job::End);
        }

        let Ok(Answer { lent, marks, written }) = framing.answers.recv() else {
            // The thread is gone, and the buffers lent to it; the error
            // poisons the ledger, which drops the thread here.
            return Err(framer_stopped(&self.path));
        };
        self.take_back(lent);
        self.spare_marks.extend(marks);
        self.framing = Some(framing);
        written
    }

    /// Takes back the buffers lent to the framing thread.
    fn take_back(&mut self, lent: Lent) {
        self.encoded = lent.encoded;
        self.encodings = lent.encodings;
        self.framed = lent.framed;
    }

    /// Frames and writes, on the calling thread, the records of the
    /// operations whose receipts are given (one per operation of the call,
    /// `None` for a refused one). Returns the journal's length once they
    /// are written (not synced).
    fn frame_here<'r>(
        &mut self,
        receipts: impl Iterator<Item = Option<&'r Receipt>>,
    ) -> Result<u64, JournalError> {
        let mut marks = self.spare_marks.pop().unwrap_or_default();
        marks.clear();
        marks.extend(receipts.map(Mark::of));
        let head = self.head();
        self.frames.clear();
        self.framed.clear();
        let mut framer = Framer {
            file: &self.file,
            path: &self.path,
            hasher: &mut self.hasher,
            encoded: &self.encoded,
            encodings: &self.encodings,
            frames: &mut self.frames,
            payload: &mut self.payload,
            framed: &mut self.framed,
            first_number: self.records.len() as u64,
            head,
            end: self.len,
        };
        let framed = framer.frame(0, &marks).and_then(|()| framer.write()).map(|()| framer.end);
        self.spare_marks.push(marks);
        framed
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
        self.prepare(operations)?;
        self.ledger.hold_events();
        let receipts = match self.ledger.apply_atomic(operations) {
            Ok(receipts) => receipts,
            Err(refusal) => {
                self.ledger.release_events();
                return Err(AtomicError::Refused(refusal));
            }
        };
        let framed = self.frame_here(receipts.iter().map(Some));
        let committed = self.commit(framed);
        self.publish_if_durable(committed.is_ok());
        committed?;
        Ok(receipts)
    }

    /// Refuses a poisoned ledger and encodes every operation before any is
    /// applied, so that an operation without canonical bytes stops the call
    /// before it changes anything.
    fn prepare(&mut self, operations: &[Operation]) -> Result<(), JournalError> {
        if self.poisoned {
            return Err(JournalError::Poisoned);
        }
        self.encoded.clear();
        self.encodings.clear();
        for (index, operation) in operations.iter().enumerate() {
            let unencodable = |problem| JournalError::Unencodable { index, problem };
            let start = self.encoded.len();
            encode_outcome(None, &mut self.encoded).map_err(unencodable)?;
            let operation_start = self.encoded.len();
            encode_operation(operation, &mut self.encoded).map_err(unencodable)?;
            self.encodings.push(Encoding {
                at: operation.at(),
                start,
                operation: operation_start,
                end: self.encoded.len(),
            });
        }
        Ok(())
    }

    /// Ends a call whose records were framed and written up to `framed`
    /// (the journal's new length): syncs them, then counts them and
    /// snapshots if one is due. If anything failed, the ledger is poisoned
    /// (memory may be ahead of the disk) and the call's records are not
    /// counted.
    fn commit(&mut self, framed: Result<u64, JournalError>) -> Result<(), JournalError> {
        let synced = framed.and_then(|end| {
            if end > self.len && self.options.sync == SyncPolicy::EveryBatch {
                self.file.sync_data().map_err(JournalError::io("sync", &self.path))?;
            }
            Ok(end)
        });
        match synced {
            Ok(end) => {
                self.len = end;
                self.records.extend_from_slice(&self.framed);
                self.maybe_snapshot();
                Ok(())
            }
            Err(error) => {
                self.poisoned = true;
                Err(error)
            }
        }
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
        let (report, on_disk) = verify_file(&self.path)?;
        for (number, (mine, theirs)) in self.records.iter().zip(&on_disk).enumerate() {
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

/// Where an operation of the current call is in the encoding buffer: the
/// outcome "applied", then the operation's canonical bytes. A record of an
/// operation applied without a warning (nearly all) has exactly
/// `start..end` as its payload, framed from the buffer without a copy.
#[derive(Debug, Clone, Copy)]
struct Encoding {
    /// The time the operation carries, which its record carries too.
    at: Timestamp,
    /// Where the outcome starts.
    start: usize,
    /// Where the operation's bytes start.
    operation: usize,
    /// Where they end.
    end: usize,
}

/// What the journal records of one operation of a call.
#[derive(Debug)]
enum Mark {
    /// Nothing: the operation was refused, or answered `AlreadyApplied`.
    Nothing,
    /// A record: the operation was applied.
    Applied,
    /// A record that carries a warning: the operation was applied past a
    /// soft limit.
    Warned(Box<Warning>),
}

impl Mark {
    /// The mark of an operation given its receipt (`None` if refused).
    fn of(receipt: Option<&Receipt>) -> Mark {
        match receipt {
            Some(Receipt::Applied { warning: None }) => Mark::Applied,
            Some(Receipt::Applied { warning: Some(warning) }) => Mark::Warned(warning.clone()),
            Some(Receipt::AlreadyApplied(_)) | None => Mark::Nothing,
        }
    }
}

/// Frames records after the journal's last one: encodes their outcome,
/// chains their hashes, and writes them. It borrows only what framing
/// needs, so that it can run on the framing thread while the ledger
/// applies, or on the calling thread.
struct Framer<'a> {
    file: &'a File,
    path: &'a Path,
    hasher: &'a mut blake3::Hasher,
    encoded: &'a [u8],
    encodings: &'a [Encoding],
    frames: &'a mut Vec<u8>,
    payload: &'a mut Vec<u8>,
    /// Where the framed records are, in order.
    framed: &'a mut Vec<RecordMeta>,
    /// The number of the first record framed.
    first_number: u64,
    /// The chain hash of the last record framed (or of the journal's last).
    head: [u8; HASH_BYTES],
    /// The journal's length once the frames built so far are written.
    end: u64,
}

impl Framer<'_> {
    /// Frames the records of the operations marked in `marks`, the first
    /// of which is operation `first` of the call.
    fn frame(&mut self, first: usize, marks: &[Mark]) -> Result<(), JournalError> {
        for (index, mark) in (first..).zip(marks) {
            let warning = match mark {
                Mark::Nothing => continue,
                Mark::Applied => None,
                Mark::Warned(warning) => Some(warning.as_ref()),
            };
            self.frame_record(index, warning)?;
        }
        Ok(())
    }

    fn frame_record(
        &mut self,
        index: usize,
        warning: Option<&Warning>,
    ) -> Result<(), JournalError> {
        let encoding = self.encodings[index];
        let payload = match warning {
            None => &self.encoded[encoding.start..encoding.end],
            Some(warning) => {
                self.payload.clear();
                encode_outcome(Some(warning), self.payload)
                    .map_err(|problem| JournalError::Unencodable { index, problem })?;
                self.payload.extend_from_slice(&self.encoded[encoding.operation..encoding.end]);
                self.payload.as_slice()
            }
        };
        let number = self.first_number + self.framed.len() as u64;
        let start = self.frames.len();
        let hash =
            append_record(self.frames, self.hasher, &self.head, number, encoding.at, payload);
        self.framed.push(RecordMeta { offset: self.end, at: encoding.at, hash });
        self.end += (self.frames.len() - start) as u64;
        self.head = hash;
        Ok(())
    }

    /// Writes the frames built so far after the journal's last bytes.
    fn write(&mut self) -> Result<(), JournalError> {
        if self.frames.is_empty() {
            return Ok(());
        }
        let mut file = self.file;
        file.write_all(self.frames).map_err(JournalError::io("write", self.path))?;
        self.frames.clear();
        Ok(())
    }
}

/// The thread that frames a ledger's records while the ledger applies,
/// from the ledger's first batch of more than one window until the ledger
/// is dropped. Between batches it waits for the next.
struct FramingThread {
    /// Jobs for the thread, in order; taken when the ledger is dropped,
    /// which ends the thread.
    jobs: Option<mpsc::Sender<Job>>,
    /// One answer per batch.
    answers: mpsc::Receiver<Answer>,
    handle: Option<std::thread::JoinHandle<()>>,
}

/// A job for the framing thread.
enum Job {
    /// A batch begins.
    Begin(Lent),
    /// The marks of the batch's next window, in order; the first is that
    /// of operation `first` of the batch.
    Window {
        /// The position in the batch of the window's first operation.
        first: usize,
        /// One mark per operation of the window.
        marks: Vec<Mark>,
    },
    /// The batch is applied: write what is left and answer.
    End,
}

/// What the framing thread needs of the ledger for one batch: lent with
/// [`Job::Begin`], given back with the [`Answer`].
struct Lent {
    encoded: Vec<u8>,
    encodings: Vec<Encoding>,
    framed: Vec<RecordMeta>,
    first_number: u64,
    head: [u8; HASH_BYTES],
    end: u64,
}

/// The framing thread's answer for a batch.
struct Answer {
    lent: Lent,
    /// The windows' marks, for reuse.
    marks: Vec<Vec<Mark>>,
    /// The journal's length once the batch's records are written.
    written: Result<u64, JournalError>,
}

impl FramingThread {
    /// Starts the thread, with its own handle on the journal file.
    fn start(file: &File, path: &Path) -> std::io::Result<FramingThread> {
        let file = file.try_clone()?;
        let path = path.to_path_buf();
        let (jobs, receive_jobs) = mpsc::channel();
        let (send_answers, answers) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("opencoin-journal".into())
            .spawn(move || frame_batches(&file, &path, &receive_jobs, &send_answers))?;
        Ok(FramingThread { jobs: Some(jobs), answers, handle: Some(handle) })
    }
}

impl Drop for FramingThread {
    fn drop(&mut self) {
        // Without a sender the thread's next wait fails, and it returns.
        self.jobs = None;
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

/// The framing thread's loop: one batch after another, until the ledger
/// is dropped. After a failure it still takes the batch's remaining
/// windows, so that its answer comes when the ledger waits for it.
fn frame_batches(
    file: &File,
    path: &Path,
    jobs: &mpsc::Receiver<Job>,
    answers: &mpsc::Sender<Answer>,
) {
    let mut hasher = record_hasher();
    let mut frames = Vec::new();
    let mut payload = Vec::new();
    while let Ok(Job::Begin(mut lent)) = jobs.recv() {
        lent.framed.clear();
        frames.clear();
        let mut framer = Framer {
            file,
            path,
            hasher: &mut hasher,
            encoded: &lent.encoded,
            encodings: &lent.encodings,
            frames: &mut frames,
            payload: &mut payload,
            framed: &mut lent.framed,
            first_number: lent.first_number,
            head: lent.head,
            end: lent.end,
        };
        let mut spent = Vec::new();
        let mut framed = Ok(());
        loop {
            match jobs.recv() {
                Ok(Job::Window { first, marks }) => {
                    if framed.is_ok() {
                        framed = framer.frame(first, &marks);
                    }
                    spent.push(marks);
                }
                Ok(Job::End) => break,
                // The ledger is gone (or out of step): no one to answer.
                Ok(Job::Begin(_)) | Err(_) => return,
            }
        }
        // One write for the batch, as on the calling thread: writing each
        // window as it is framed measured no faster.
        let written = framed.and_then(|()| framer.write()).map(|()| framer.end);
        if answers.send(Answer { lent, marks: spent, written }).is_err() {
            return;
        }
    }
}

/// The error of a framing thread that stopped without an answer (it
/// panicked, which its code does not do).
fn framer_stopped(path: &Path) -> JournalError {
    let source = std::io::Error::other("the thread framing the journal's records stopped");
    JournalError::Io { action: "frame records for", path: path.to_path_buf(), source }
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
    let mut hasher = record_hasher();
    let mut payload = Vec::new();
    let mut head = previous;
    for (index, (operation, warning)) in records.into_iter().enumerate() {
        payload.clear();
        encode_outcome(warning, &mut payload)
            .map_err(|problem| JournalError::Unencodable { index, problem })?;
        encode_operation(operation, &mut payload)
            .map_err(|problem| JournalError::Unencodable { index, problem })?;
        let number = first_number + index as u64;
        head = append_record(out, &mut hasher, &head, number, operation.at(), &payload);
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
    let (report, _) = verify_file(&dir.as_ref().join(JOURNAL_FILE))?;
    Ok(report)
}

/// [`verify_dir`] of one journal file, which also gives where its good
/// records are, so that [`DurableLedger::verify`] reads and hashes the file
/// only once.
fn verify_file(path: &Path) -> Result<(VerifyReport, Vec<RecordMeta>), JournalError> {
    let bytes = fs::read(path).map_err(JournalError::io("read", path))?;
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
    let report = VerifyReport {
        records: found.records.len() as u64,
        head,
        bytes: found.good_len,
        torn_bytes,
    };
    Ok((report, found.records))
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
