//! The durable ledger: a [`Ledger`] whose applied operations are journalled
//! before its calls return, and which is rebuilt from its directory.
//!
//! # Batches are journalled while they are applied
//!
//! A call encodes every operation first (so that one without canonical
//! bytes stops the call before anything changes), applies them in memory,
//! and journals the applied ones: frames each record, chains its blake3
//! hash to the previous record's, writes the frames and syncs once. For a
//! batch of 8,190 transfers, on the 2-core machine of the throughput
//! harness, encoding took about 0.7 ms, applying 2.2 ms, framing 2 ms
//! (nearly all of it hashing, which the chain makes sequential), writing
//! 0.5 ms and the sync 1 to 1.5 ms. Applying and framing are each
//! sequential, but framing depends on applying only through the records'
//! order: record i needs the outcome of operation i and the hash of record
//! i - 1, not the ledger's state.
//!
//! So a batch of more than [`WINDOW_OPERATIONS`] operations goes through a
//! pipeline of two threads that the ledger keeps from its first such batch
//! until it is dropped. The calling thread applies the batch in windows of
//! that many (`Ledger::apply_each_windows`, which verifies the signatures
//! once for the whole batch) and after each window hands the window's
//! marks (which operations get a record, with which outcome) to the
//! framing thread, which frames and hashes their records while the next
//! window is applied, and writes the batch's frames in one write once its
//! last window is framed. The syncing thread then syncs them and answers,
//! while the framing thread goes on with the next batch.
//!
//! [`DurableLedger::apply_each_into`] waits for that answer before it
//! returns. [`DurableLedger::submit_each_into`] does not: it returns once
//! the batch is applied in memory, with a [`BatchTicket`], so that the
//! caller can apply the next batch while this one is framed, written and
//! synced, and [`DurableLedger::wait_durable`] tells when it is durable.
//! In the throughput harness, with one batch in flight, this took durable
//! transfers from about 18% to about 23% of the rate of plain appends with
//! `fdatasync` (BENCHMARKS.md). Batches of one window, `apply` and
//! `apply_atomic` are framed on the calling thread, once every batch in
//! flight is durable, where a second thread would have nothing to overlap.
//!
//! The threads borrow nothing: the encoded operations and the list of
//! framed records are lent to them with each batch and come back with its
//! answer. A thread spawned for each call with `std::thread::scope` was
//! measured first and lost most of the gain: the scheduler left the new
//! thread on the calling thread's core until the caller blocked, about
//! 1.5 ms per batch, whereas a waiting thread woken through a channel ran
//! on the other core within about 50 us.
//!
//! What a batch is guaranteed is the same whichever thread frames its
//! records and whether its call waits:
//!
//! - it is acknowledged (its call returns, or its ticket is waited for)
//!   only once its records are written and, under [`SyncPolicy::EveryBatch`],
//!   synced (one write and one `fdatasync` per batch);
//! - every operation is encoded before any is applied;
//! - refused operations, and those answered `AlreadyApplied`, get no
//!   record; the others get one each, numbered and chained in the order
//!   they were applied, and batches become durable in the order they were
//!   applied;
//! - events are held until the records are durable, and dropped if the
//!   journal failed; [`DurableLedger::record_count`], the head and the
//!   proofs count durable records only;
//! - a failed write or sync, a warning without an encoding, or a journal
//!   thread that stopped poisons the ledger, and the records of the batch
//!   and of every batch after it are not counted;
//! - dropping the ledger finishes the write and sync of the batches in
//!   flight (their events are not published);
//! - a snapshot holds the state after exactly the records it names, and its
//!   file is written (on a thread of its own) only once they are durable:
//!   taken with batches in flight, it waits for the last of them, and it is
//!   dropped if the ledger is poisoned or dropped first (see
//!   `DurableLedger::take_snapshot`).
//!
//! # What bounds a pipelined batch
//!
//! The slower of the calling thread and the framing thread, which depends
//! on the processor (BENCHMARKS.md gives the traces). On the first AMD
//! machine, traced before the third session's changes, the calling thread
//! ran about 690 ns a transfer, the framing thread 510 and the syncing
//! thread 30 (it waits for the disk). On the faster one of the fourth
//! session, sampled, the framing thread was busy 90% of the time, about
//! 450 ns a record, two thirds of it the chain hash (four blake3 blocks
//! for the 226 bytes of a transfer's record and the hash before it) and a
//! fifth the kernel's copy into the page cache; the calling thread was
//! busy 79%.
//!
//! The calling thread encodes every operation before applying any,
//! applies (while the framing thread hashes on the other core, so more
//! slowly than alone), and at each snapshot encodes the whole state; it
//! no longer waits for the batches in flight then, nor writes the
//! snapshot's file. Encoding runs alone before applying because the
//! framing thread cannot borrow the caller's operations; encoding there
//! (with the operations lent by reference counting) would move it off the
//! calling thread. The framing thread's cost is fixed by the record
//! format: a chain keyed by the previous hash, with fewer bytes per
//! record, would take three blocks instead of four; hashing each record's
//! body apart from the chain would let records be hashed in parallel, but
//! costs another hash per record. Both need a new journal format version.

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;

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
use super::snapshot::{SnapshotParts, list_snapshots, load_snapshot, snapshot_path};
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
    /// Write a snapshot every this many records, or every as many records
    /// as the ledger has accounts if that is more; 0 never. Default:
    /// 100 000.
    ///
    /// A snapshot holds the whole state (every account, and every posting
    /// if the ledger keeps history), and all are kept for time travel;
    /// opening replays at most one interval of records (verifying their
    /// signatures again). Lower values open faster and travel in time
    /// faster, at the cost of writing the state more often. Since a
    /// snapshot's cost grows with the accounts, the interval never falls
    /// below their number: a snapshot then costs at most about one
    /// account's bytes per record it follows (some 130 bytes, against some
    /// 226 for a transfer's record), where a snapshot of a million accounts
    /// every 100,000 records made a durable ledger twelve times slower
    /// (BENCHMARKS.md, change 23). Between snapshots the ledger keeps the
    /// last one's state buffer, about a snapshot's size, to encode the
    /// next one into.
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

/// A [`Ledger`] kept in a directory: every applied operation is journalled,
/// and durable before the call that applied it returns (or, for
/// [`DurableLedger::submit_each_into`], before its ticket is waited for).
///
/// From its first batch of more than 512 operations on, it keeps two
/// threads of its own, which journal large batches while they are applied
/// and end when the ledger is dropped.
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
    /// The current call's operations, encoded, and the records framed from
    /// them. Lent to the pipeline with a submitted batch.
    buffers: Buffers,
    /// Buffers back from the pipeline, for the next batches: kept from call
    /// to call, like the others below, so that a call allocates nothing for
    /// them in steady state.
    spare_buffers: Vec<Buffers>,
    /// Buffers of marks (what to record of each operation), one per window
    /// in flight.
    spare_marks: Vec<Vec<Mark>>,
    /// Records framed on the calling thread and not yet written.
    frames: Vec<u8>,
    /// The payload of a record with a warning: outcome, then operation.
    payload: Vec<u8>,
    /// The threads that journal submitted batches, from the first on.
    pipeline: Option<Pipeline>,
    /// Submitted batches whose records are not known to be durable yet,
    /// oldest first.
    in_flight: VecDeque<InFlight>,
    /// How many batches have been submitted: the next ticket's number.
    batches_submitted: u64,
    /// How many submitted batches are known durable: every ticket below
    /// this number.
    batches_durable: u64,
    last_snapshot: u64,
    /// The snapshot being written, if any (see [`DurableLedger::maybe_snapshot`]).
    snapshot_writer: SnapshotWriter,
    /// A snapshot taken with batches in flight, waiting for the last of
    /// them to be durable (see [`DurableLedger::take_snapshot`]).
    pending_snapshot: Option<PendingSnapshot>,
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

        let mut durable = DurableLedger {
            dir,
            path,
            file,
            last_snapshot: start,
            options,
            ledger,
            records,
            len: good_len,
            hasher: record_hasher(),
            buffers: Buffers::default(),
            spare_buffers: Vec::new(),
            spare_marks: Vec::new(),
            frames: Vec::new(),
            payload: Vec::new(),
            pipeline: None,
            in_flight: VecDeque::new(),
            batches_submitted: 0,
            batches_durable: 0,
            snapshot_writer: SnapshotWriter::default(),
            pending_snapshot: None,
            snapshot_error: None,
            poisoned: false,
        };
        // Subscribers hear of an operation only once its record is durable.
        durable.ledger.hold_events();
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

    /// The error of the last snapshot that could not be written, if any,
    /// once the one being written (see [`JournalOptions::snapshot_every`])
    /// is finished: this waits for it. A failed snapshot costs opening
    /// time, never correctness, so it does not fail the call that
    /// triggered it.
    pub fn last_snapshot_error(&mut self) -> Option<&JournalError> {
        self.collect_snapshot();
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
        self.wait_all_durable()?;
        self.file.sync_data().map_err(|error| {
            self.poison();
            JournalError::io("sync", &self.path)(error)
        })
    }

    /// Applies operations one after another, each on its own, and journals
    /// those applied, all in one write and one sync. Returns once they are
    /// durable.
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
    /// A batch of more than 512 operations is submitted to the journal's
    /// threads and waited for ([`DurableLedger::submit_each_into`], then
    /// [`DurableLedger::wait_durable`]), so that its records are framed
    /// while it is applied; a smaller one is journalled on this thread. The
    /// guarantees are the same.
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
        if operations.len() > WINDOW_OPERATIONS {
            let ticket = self.submit_each_into(operations, results)?;
            return self.wait_durable(ticket);
        }
        self.wait_all_durable()?;
        self.prepare(operations)?;
        self.ledger.apply_each_into(operations, results);
        let framed = self.frame_here(results.iter().map(|result| result.as_ref().ok()));
        self.commit(framed)
    }

    /// Applies operations one after another, each on its own, like
    /// [`DurableLedger::apply_each_into`], but returns as soon as they are
    /// applied in memory, while the journal's threads write and sync their
    /// records: the next batch can be applied while this one is synced.
    /// [`DurableLedger::wait_durable`] with the returned ticket says when
    /// they are durable.
    ///
    /// Until then the results in `results` are the ledger's final answers
    /// but must not be acknowledged to anyone: after a power cut the
    /// operations may be gone. Queries on [`DurableLedger::ledger`] already
    /// see the batch; subscribers hear of it only once it is durable, and
    /// [`DurableLedger::record_count`], [`DurableLedger::head`] and the
    /// journal's proofs count only durable records. Batches become durable
    /// in the order they were submitted.
    ///
    /// Every operation is encoded before any is applied. When a snapshot is
    /// due, the call first waits for the batches in flight, since a
    /// snapshot holds the state after exactly the durable records.
    ///
    /// # Errors
    ///
    /// [`JournalError::Unencodable`] (nothing applied, nothing submitted),
    /// or any error of a batch submitted earlier that this call had to wait
    /// for, which poisons the ledger as described at
    /// [`DurableLedger::apply`]. An error journalling this batch is
    /// answered by [`DurableLedger::wait_durable`].
    pub fn submit_each_into(
        &mut self,
        operations: &[Operation],
        results: &mut Vec<Result<Receipt, Rejection>>,
    ) -> Result<BatchTicket, JournalError> {
        if self.poisoned {
            return Err(JournalError::Poisoned);
        }
        self.prepare(operations)?;
        let ticket = BatchTicket(self.batches_submitted);
        self.batches_submitted += 1;

        if self.pipeline.is_none() {
            self.pipeline = Pipeline::start(&self.file, &self.path, self.options.sync).ok();
        }
        let Some(pipeline) = &self.pipeline else {
            // No thread could be started (so none is in flight): the batch
            // is journalled here, and durable on return.
            self.ledger.apply_each_into(operations, results);
            let framed = self.frame_here(results.iter().map(|result| result.as_ref().ok()));
            self.commit(framed)?;
            self.batches_durable += 1;
            return Ok(ticket);
        };

        // The pipeline continues its own chain while batches are in
        // flight; otherwise it starts after this thread's last record.
        let start = self.in_flight.is_empty().then(|| ChainPosition {
            head: self.records.last().map_or(GENESIS_HASH, |meta| meta.hash),
            number: self.records.len() as u64,
            end: self.len,
        });
        let spare = self.spare_buffers.pop().unwrap_or_default();
        let buffers = std::mem::replace(&mut self.buffers, spare);
        let events_before = self.ledger.held_events();
        if pipeline.send(Job::Begin(Lent { buffers, start })).is_err() {
            self.poison();
            return Err(pipeline_stopped(&self.path));
        }

        let spare_marks = &mut self.spare_marks;
        self.ledger.apply_each_windows(operations, results, WINDOW_OPERATIONS, |range, window| {
            let mut marks = spare_marks.pop().unwrap_or_default();
            marks.clear();
            marks.extend(window.iter().map(|result| Mark::of(result.as_ref().ok())));
            // Fails only if the thread has stopped, which the missing
            // answer reports when the batch is waited for.
            let _ = pipeline.send(Job::Window { first: range.start, marks });
        });
        let _ = pipeline.send(Job::End);

        let events = self.ledger.held_events() - events_before;
        // Applied operations get a record each (see `Mark`).
        let records = results.iter().filter(|result| matches!(result, Ok(Receipt::Applied { .. })));
        self.in_flight.push_back(InFlight { events, records: records.count() as u64 });
        self.take_snapshot();
        Ok(ticket)
    }

    /// Returns once the batch of `ticket`, and every batch submitted before
    /// it, is durable; publishes their events to the subscribers.
    ///
    /// # Errors
    ///
    /// The error that journalling one of those batches met (a failed write
    /// or sync, a warning without an encoding, a journal thread that
    /// stopped), which poisons the ledger: memory may be ahead of the disk,
    /// so every later call fails with [`JournalError::Poisoned`] until the
    /// directory is opened again. [`JournalError::Poisoned`] if it already
    /// was and the batch was not durable before.
    pub fn wait_durable(&mut self, ticket: BatchTicket) -> Result<(), JournalError> {
        while ticket.0 >= self.batches_durable && !self.poisoned {
            if self.in_flight.is_empty() {
                // A ticket this ledger did not hand out: nothing to wait for.
                return Ok(());
            }
            self.receive_oldest()?;
        }
        if ticket.0 >= self.batches_durable {
            return Err(JournalError::Poisoned);
        }
        Ok(())
    }

    /// Returns once every batch submitted so far is durable; see
    /// [`DurableLedger::wait_durable`].
    ///
    /// # Errors
    ///
    /// As for [`DurableLedger::wait_durable`].
    pub fn wait_all_durable(&mut self) -> Result<(), JournalError> {
        if self.poisoned {
            return Err(JournalError::Poisoned);
        }
        while !self.in_flight.is_empty() {
            self.receive_oldest()?;
        }
        Ok(())
    }

    /// Waits for the pipeline's answer for the oldest batch in flight: if
    /// its records are durable, counts them and publishes the batch's
    /// events (and snapshots, if one is due and nothing else is in flight);
    /// if not, poisons the ledger.
    fn receive_oldest(&mut self) -> Result<(), JournalError> {
        let Some(batch) = self.in_flight.pop_front() else { return Ok(()) };
        let answer = self.pipeline.as_ref().and_then(|pipeline| pipeline.answers.recv().ok());
        let Some(Answer { buffers, marks, written }) = answer else {
            self.poison();
            return Err(pipeline_stopped(&self.path));
        };
        self.spare_marks.extend(marks);

        let received = match written {
            Ok(end) => {
                self.len = end;
                self.records.extend_from_slice(&buffers.framed);
                self.batches_durable += 1;
                self.ledger.release_held_events(batch.events);
                self.write_pending_snapshot();
                Ok(())
            }
            Err(error) => {
                self.poison();
                Err(error)
            }
        };
        self.spare_buffers.push(buffers);
        if received.is_ok() && self.in_flight.is_empty() {
            self.maybe_snapshot();
        }
        received
    }

    /// Marks the ledger as possibly ahead of its journal: every later call
    /// fails until the directory is opened again. The events held back are
    /// dropped, since their operations may not be durable.
    fn poison(&mut self) {
        self.poisoned = true;
        self.in_flight.clear();
        // Its state may stand on records that will never be durable.
        self.pending_snapshot = None;
        self.ledger.discard_held_events();
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
        let next = ChainPosition { head: self.head(), number: self.record_count(), end: self.len };
        self.frames.clear();
        self.buffers.framed.clear();
        let mut framer = Framer {
            file: &self.file,
            path: &self.path,
            hasher: &mut self.hasher,
            encoded: &self.buffers.encoded,
            encodings: &self.buffers.encodings,
            frames: &mut self.frames,
            payload: &mut self.payload,
            framed: &mut self.buffers.framed,
            next,
        };
        let framed =
            framer.frame(0, &marks).and_then(|()| framer.write()).map(|()| framer.next.end);
        self.spare_marks.push(marks);
        framed
    }

    /// Applies all the operations or none; journals them all if applied.
    ///
    /// # Errors
    ///
    /// - [`AtomicError::Refused`]: nothing changed and nothing was written;
    /// - [`AtomicError::Journal`] as for [`DurableLedger::apply_each`].
    pub fn apply_atomic(&mut self, operations: &[Operation]) -> Result<Vec<Receipt>, AtomicError> {
        self.wait_all_durable()?;
        self.prepare(operations)?;
        let receipts = self.ledger.apply_atomic(operations).map_err(AtomicError::Refused)?;
        let framed = self.frame_here(receipts.iter().map(Some));
        self.commit(framed)?;
        Ok(receipts)
    }

    /// Refuses a poisoned ledger and encodes every operation before any is
    /// applied, so that an operation without canonical bytes stops the call
    /// before it changes anything.
    fn prepare(&mut self, operations: &[Operation]) -> Result<(), JournalError> {
        if self.poisoned {
            return Err(JournalError::Poisoned);
        }
        let Buffers { encoded, encodings, .. } = &mut self.buffers;
        encoded.clear();
        encodings.clear();
        for (index, operation) in operations.iter().enumerate() {
            let unencodable = |problem| JournalError::Unencodable { index, problem };
            let start = encoded.len();
            encode_outcome(None, encoded).map_err(unencodable)?;
            let operation_start = encoded.len();
            encode_operation(operation, encoded).map_err(unencodable)?;
            encodings.push(Encoding {
                at: operation.at(),
                start,
                operation: operation_start,
                end: encoded.len(),
            });
        }
        Ok(())
    }

    /// Ends a call journalled on this thread, whose records were framed and
    /// written up to `framed` (the journal's new length): syncs them, then
    /// counts them, publishes their events and snapshots if one is due. If
    /// anything failed, the ledger is poisoned (memory may be ahead of the
    /// disk) and the call's records are not counted.
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
                self.records.extend_from_slice(&self.buffers.framed);
                self.ledger.release_held_events(self.ledger.held_events());
                self.maybe_snapshot();
                Ok(())
            }
            Err(error) => {
                self.poison();
                Err(error)
            }
        }
    }

    /// Whether enough records were applied since the last snapshot was
    /// taken, and none is waiting for its batch.
    fn snapshot_due(&self) -> bool {
        let every = self.options.snapshot_every;
        let interval = every.max(self.ledger.accounts.len() as u64);
        every != 0
            && self.pending_snapshot.is_none()
            && self.records_applied() >= self.last_snapshot.saturating_add(interval)
    }

    /// The records of every operation applied: the durable ones and those
    /// of the batches in flight.
    fn records_applied(&self) -> u64 {
        self.record_count() + self.in_flight.iter().map(|batch| batch.records).sum::<u64>()
    }

    /// Takes a snapshot, if one is due, of the state after the batch just
    /// submitted, without waiting for the batches in flight: that state is
    /// the one after all their records, which are not durable yet. The
    /// state is encoded now, while the ledger holds it; the file also names
    /// the last record's chain hash, which the framing thread has not
    /// computed yet, so it is written once that batch is durable (see
    /// [`DurableLedger::write_pending_snapshot`]), and dropped if the
    /// ledger is poisoned or dropped before: a snapshot only saves replay
    /// time, and the next one is taken an interval later. Waiting for the
    /// batches in flight first, as the ledger did before change 20 of
    /// BENCHMARKS.md, emptied the pipeline once every snapshot.
    fn take_snapshot(&mut self) {
        if !self.snapshot_due() {
            return;
        }
        let count = self.records_applied();
        // The last snapshot's buffer, if its write is over (an interval
        // ago, usually); waiting for it here would stall the pipeline.
        if self.snapshot_writer.is_done() {
            self.collect_snapshot();
        }
        self.pending_snapshot = Some(PendingSnapshot {
            after_batch: self.batches_submitted - 1,
            // The chain hash is filled in once known.
            parts: self.snapshot_parts(count, GENESIS_HASH),
        });
        // Try again only after another interval, not on every call.
        self.last_snapshot = count;
    }

    /// Starts writing the snapshot taken with batches in flight once the
    /// last of them is durable, with the chain hash of its last record.
    fn write_pending_snapshot(&mut self) {
        let durable = self.batches_durable;
        let Some(pending) = self.pending_snapshot.take_if(|pending| durable > pending.after_batch)
        else {
            return;
        };
        let mut parts = pending.parts;
        // The batches are answered in order, so the records now durable
        // are exactly those the state stands on. If they were not (a bug),
        // the snapshot is dropped rather than written under a wrong count.
        debug_assert_eq!(self.record_count(), parts.count);
        if self.record_count() != parts.count {
            return;
        }
        parts.chain = self.head();
        self.collect_snapshot();
        if let Some(outcome) = self.snapshot_writer.start(&self.dir, parts) {
            self.note_snapshot(outcome);
        }
    }

    /// The ledger's state now, as a snapshot standing on `count` records
    /// whose last chain hash is `chain`, encoded into the last snapshot's
    /// buffer if the writer has given it back.
    fn snapshot_parts(&mut self, count: u64, chain: [u8; HASH_BYTES]) -> SnapshotParts {
        let buffer = self.snapshot_writer.take_spare();
        SnapshotParts::of(&self.ledger, count, chain, buffer)
    }

    /// Takes a snapshot if one is due and no batch is in flight. The state
    /// is encoded here, where the ledger is; the file is written and synced
    /// on a thread of its own while this one goes on applying. That thread
    /// renames the file into place only once it is synced, so a crash
    /// leaves a whole snapshot or none (see [`SnapshotParts::write`]).
    /// Until the third session's change 16 (BENCHMARKS.md) the file was
    /// written on this thread, which then waited about 3 ms for the disk
    /// every 100,000 records with ten thousand accounts.
    fn maybe_snapshot(&mut self) {
        // With batches in flight the state is ahead of the durable records;
        // `take_snapshot` takes it then, after the batch just submitted.
        if !self.snapshot_due() || !self.in_flight.is_empty() {
            return;
        }
        self.collect_snapshot();
        let count = self.record_count();
        if count > 0 {
            let parts = self.snapshot_parts(count, self.head());
            if let Some(outcome) = self.snapshot_writer.start(&self.dir, parts) {
                self.note_snapshot(outcome);
            }
        }
        // Try again only after another interval, not on every call.
        self.last_snapshot = count;
    }

    /// Waits for the snapshot being written, if any, and keeps its outcome
    /// for [`DurableLedger::last_snapshot_error`].
    fn collect_snapshot(&mut self) {
        if let Some(outcome) = self.snapshot_writer.finish() {
            self.note_snapshot(outcome);
        }
    }

    fn note_snapshot(&mut self, outcome: Result<(), JournalError>) {
        self.snapshot_error = outcome.err();
    }

    /// Writes a snapshot of the current state now, after waiting for the
    /// batches in flight and any snapshot being written.
    ///
    /// # Errors
    ///
    /// [`JournalError::Io`] if it cannot be written; the journal is not
    /// affected. The error of a batch in flight, as for
    /// [`DurableLedger::wait_all_durable`].
    pub fn snapshot_now(&mut self) -> Result<(), JournalError> {
        self.wait_all_durable()?;
        self.collect_snapshot();
        let count = self.record_count();
        if count == 0 {
            return Ok(());
        }
        let parts = self.snapshot_parts(count, self.head());
        let written = parts.write(&self.dir);
        self.snapshot_writer.spare = parts.state;
        written
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
/// needs, so that it can run on the pipeline's framing thread while the
/// ledger applies, or on the calling thread.
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
    /// Where the next record goes (after the frames built so far are
    /// written).
    next: ChainPosition,
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
        let start = self.frames.len();
        let next = &mut self.next;
        let hash =
            append_record(self.frames, self.hasher, &next.head, next.number, encoding.at, payload);
        self.framed.push(RecordMeta { offset: next.end, at: encoding.at, hash });
        next.head = hash;
        next.number += 1;
        next.end += (self.frames.len() - start) as u64;
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

/// Where the next record of the journal goes.
#[derive(Debug, Clone, Copy)]
struct ChainPosition {
    /// The chain hash of the record before it ([`GENESIS_HASH`] if none).
    head: [u8; HASH_BYTES],
    /// Its number.
    number: u64,
    /// Its byte offset in the journal file.
    end: u64,
}

/// A batch given to the journal by [`DurableLedger::submit_each_into`]. Its
/// operations are applied in memory; [`DurableLedger::wait_durable`] says
/// when their records are durable. Tickets are ordered as their batches
/// were submitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[must_use = "a submitted batch may be acknowledged only once waited for"]
pub struct BatchTicket(u64);

/// A submitted batch whose records are not known durable yet.
#[derive(Debug)]
struct InFlight {
    /// How many events its operations raised, held back until then.
    events: usize,
    /// How many records it adds to the journal.
    records: u64,
}

/// A snapshot taken with batches in flight (see
/// [`DurableLedger::take_snapshot`]).
struct PendingSnapshot {
    /// The ticket number of the last batch in flight when it was taken.
    after_batch: u64,
    /// The state then, standing on the records of that batch and before.
    parts: SnapshotParts,
}

/// What the journal needs of a batch: its operations encoded (see
/// [`Encoding`]), and room for the records framed from them. Lent to the
/// pipeline with each submitted batch and given back with its answer.
#[derive(Debug, Default)]
struct Buffers {
    encoded: Vec<u8>,
    /// Where each operation is in `encoded`.
    encodings: Vec<Encoding>,
    /// Where each framed record is, counted in the ledger's records once
    /// durable.
    framed: Vec<RecordMeta>,
}

/// A snapshot's file being written on a thread of its own. Dropping it
/// waits for the write, so that a ledger dropped (or a test reading the
/// directory after it) finds the file in place.
#[derive(Default)]
struct SnapshotWriter {
    /// The directory written to, and the thread writing.
    writing: Option<(PathBuf, JoinHandle<SnapshotWritten>)>,
    /// The state buffer of the last snapshot written, for the next one
    /// (see [`encode_state_into`](super::snapshot::encode_state_into)).
    /// It keeps about one snapshot's state in memory between snapshots.
    spare: Vec<u8>,
}

/// What the thread writing a snapshot gives back: the write's outcome and
/// the state's buffer.
type SnapshotWritten = (Result<(), JournalError>, Vec<u8>);

impl SnapshotWriter {
    /// Starts writing a snapshot, once any write still going on is
    /// finished. Returns the outcome of that earlier write, or the error of
    /// a thread that could not be started (the snapshot is then skipped,
    /// like one that failed).
    fn start(&mut self, dir: &Path, parts: SnapshotParts) -> Option<Result<(), JournalError>> {
        let finished = self.finish();
        let thread_dir = dir.to_path_buf();
        let spawned =
            std::thread::Builder::new().name("opencoin-snapshot".into()).spawn(move || {
                let outcome = parts.write(&thread_dir);
                (outcome, parts.state)
            });
        match spawned {
            Ok(handle) => {
                self.writing = Some((dir.to_path_buf(), handle));
                finished
            }
            Err(error) => Some(Err(JournalError::io("start a snapshot thread for", dir)(error))),
        }
    }

    /// Whether no write is going on, or the one going on is over, so that
    /// [`SnapshotWriter::finish`] would not wait.
    fn is_done(&self) -> bool {
        self.writing.as_ref().is_none_or(|(_, handle)| handle.is_finished())
    }

    /// Waits for the write going on, if any, keeps its buffer and returns
    /// its outcome.
    fn finish(&mut self) -> Option<Result<(), JournalError>> {
        let (dir, handle) = self.writing.take()?;
        match handle.join() {
            Ok((outcome, buffer)) => {
                self.spare = buffer;
                Some(outcome)
            }
            Err(_) => {
                let source = std::io::Error::other("the thread writing a snapshot stopped");
                Some(Err(JournalError::Io { action: "write a snapshot in", path: dir, source }))
            }
        }
    }

    /// The buffer kept from the last snapshot written, or an empty one.
    fn take_spare(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.spare)
    }
}

impl Drop for SnapshotWriter {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

/// The two threads that journal submitted batches behind the ledger, from
/// its first submitted batch until it is dropped.
///
/// The framing thread takes a batch's windows of marks as the ledger
/// applies them, frames and hashes their records, and writes the batch's
/// frames in one write. The syncing thread then syncs them, while the
/// framing thread goes on with the next batch, and answers. Answers come
/// in the order batches were submitted. The syncing thread mostly waits
/// for the disk, so on two cores the three threads (with the caller's)
/// share the processor well.
///
/// A sync covers the batches whose frames were written before it began;
/// a write that runs during it is covered by the next one. Each batch with
/// records gets its own sync, so that a batch's sync never waits for a
/// later batch's write.
struct Pipeline {
    /// Jobs for the framing thread, in order; taken when the pipeline is
    /// dropped, which ends both threads once the batches in flight are
    /// written and synced.
    jobs: Option<mpsc::Sender<Job>>,
    /// One answer per batch, from the syncing thread.
    answers: mpsc::Receiver<Answer>,
    threads: Vec<JoinHandle<()>>,
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
    /// The batch is applied: write its frames.
    End,
}

/// A batch lent to the framing thread.
struct Lent {
    buffers: Buffers,
    /// Where its first record goes; `None` to go on after the previous
    /// batch the thread framed (which the ledger cannot know while that
    /// batch is in flight).
    start: Option<ChainPosition>,
}

/// The pipeline's answer for a batch.
struct Answer {
    buffers: Buffers,
    /// The windows' marks, for reuse.
    marks: Vec<Vec<Mark>>,
    /// The journal's length once the batch's records are written and, under
    /// [`SyncPolicy::EveryBatch`], synced.
    written: Result<u64, JournalError>,
}

impl Pipeline {
    /// Starts the threads, each with its own handle on the journal file.
    fn start(file: &File, path: &Path, sync: SyncPolicy) -> std::io::Result<Pipeline> {
        let (jobs, receive_jobs) = mpsc::channel();
        let (send_written, receive_written) = mpsc::channel();
        let (send_answers, answers) = mpsc::channel();

        let (framer_file, framer_path) = (file.try_clone()?, path.to_path_buf());
        let framer =
            std::thread::Builder::new().name("opencoin-frame".into()).spawn(move || {
                frame_batches(&framer_file, &framer_path, &receive_jobs, &send_written);
            })?;
        // If this spawn fails, `jobs` is dropped on return and the framing
        // thread ends by itself.
        let (syncer_file, syncer_path) = (file.try_clone()?, path.to_path_buf());
        let syncer = std::thread::Builder::new().name("opencoin-sync".into()).spawn(move || {
            sync_batches(&syncer_file, &syncer_path, sync, &receive_written, &send_answers);
        })?;
        Ok(Pipeline { jobs: Some(jobs), answers, threads: vec![framer, syncer] })
    }

    /// Sends a job to the framing thread; fails only if it has stopped.
    fn send(&self, job: Job) -> Result<(), ()> {
        let jobs = self.jobs.as_ref().ok_or(())?;
        jobs.send(job).map_err(|_| ())
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        // Without a sender the framing thread's next wait fails once the
        // jobs sent are done, and it returns, which ends the syncing
        // thread in turn.
        self.jobs = None;
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// The framing thread's loop: one batch after another, until the ledger
/// is dropped. After a failure it still takes each batch's windows, so
/// that its answer comes when the ledger waits for it.
fn frame_batches(
    file: &File,
    path: &Path,
    jobs: &mpsc::Receiver<Job>,
    written: &mpsc::Sender<Answer>,
) {
    let mut hasher = record_hasher();
    let mut frames = Vec::new();
    let mut payload = Vec::new();
    // Where the last batch framed here ended; `None` after a failure, which
    // poisons the ledger, so that batches already behind it fail too.
    let mut last_end = None;
    while let Ok(Job::Begin(Lent { mut buffers, start })) = jobs.recv() {
        buffers.framed.clear();
        frames.clear();
        let mut spent = Vec::new();
        let outcome = match start.or(last_end) {
            Some(next) => {
                let mut framer = Framer {
                    file,
                    path,
                    hasher: &mut hasher,
                    encoded: &buffers.encoded,
                    encodings: &buffers.encodings,
                    frames: &mut frames,
                    payload: &mut payload,
                    framed: &mut buffers.framed,
                    next,
                };
                let mut framed = Ok(());
                let ended = receive_windows(jobs, &mut spent, |first, marks| {
                    if framed.is_ok() {
                        framed = framer.frame(first, marks);
                    }
                });
                if !ended {
                    return;
                }
                // One write for the batch: writing each window as it is
                // framed measured no faster.
                framed.and_then(|()| framer.write()).map(|()| framer.next)
            }
            None => {
                if !receive_windows(jobs, &mut spent, |_, _| {}) {
                    return;
                }
                Err(JournalError::Poisoned)
            }
        };
        last_end = outcome.as_ref().ok().copied();
        let answer = Answer { buffers, marks: spent, written: outcome.map(|next| next.end) };
        if written.send(answer).is_err() {
            return;
        }
    }
}

/// Takes a batch's windows until its end, handing each to `frame` and
/// keeping its marks in `spent`. False if the ledger is gone (or out of
/// step), in which case there is no one to answer.
fn receive_windows(
    jobs: &mpsc::Receiver<Job>,
    spent: &mut Vec<Vec<Mark>>,
    mut frame: impl FnMut(usize, &[Mark]),
) -> bool {
    loop {
        match jobs.recv() {
            Ok(Job::Window { first, marks }) => {
                frame(first, &marks);
                spent.push(marks);
            }
            Ok(Job::End) => return true,
            Ok(Job::Begin(_)) | Err(_) => return false,
        }
    }
}

/// The syncing thread's loop: syncs each written batch and answers it.
/// After a failure every later batch fails too: its bytes follow some that
/// may not be on the disk.
fn sync_batches(
    file: &File,
    path: &Path,
    sync: SyncPolicy,
    written: &mpsc::Receiver<Answer>,
    answers: &mpsc::Sender<Answer>,
) {
    let mut failed = false;
    while let Ok(mut answer) = written.recv() {
        let needs_sync = answer.written.is_ok()
            && !answer.buffers.framed.is_empty()
            && sync == SyncPolicy::EveryBatch;
        if failed {
            answer.written = Err(JournalError::Poisoned);
        } else if needs_sync && let Err(error) = file.sync_data() {
            answer.written = Err(JournalError::io("sync", path)(error));
        }
        failed = answer.written.is_err();
        if answers.send(answer).is_err() {
            return;
        }
    }
}

/// The error of a journal thread that stopped without an answer (it
/// panicked, which its code does not do).
fn pipeline_stopped(path: &Path) -> JournalError {
    let source = std::io::Error::other("a thread journalling the ledger's records stopped");
    JournalError::Io { action: "journal records in", path: path.to_path_buf(), source }
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
